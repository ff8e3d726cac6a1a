"""A customer's authorization, as the saga's step 1 and a basket's or payment's start ask it: a query of the
customer's own workflow (the entity's source of truth), run by the caller's worker as a local activity first.

Real Temporal and the real customers workers: the activity is called directly, with the stack's client, as the
ordering worker's local activity calls it.
"""

from __future__ import annotations

import uuid

import pytest
from temporalio.exceptions import ApplicationError

from activities.customers.activities import CustomersActivities
from mallbots.stack import Stack
from mallbots.tools.client import MallbotsClient
from workflows.customers.messages import AuthorizeCustomer, AuthorizedCustomer


def _authorizer(stack: Stack) -> CustomersActivities:
    assert stack.client is not None
    return CustomersActivities(stack.client)


async def test_a_registered_enabled_customer_is_authorized_with_nothing_but_its_id(
    stack: Stack, mall: MallbotsClient
) -> None:
    customer_id = await mall.register_customer("Ada Lovelace", "+1 555 0100")

    authorized = await _authorizer(stack).authorize_customer(AuthorizeCustomer(customer_id=customer_id))

    assert authorized == AuthorizedCustomer(id=customer_id, enabled=True)  # no name, no SMS number


async def test_a_customer_disabled_a_moment_ago_is_refused_at_once(stack: Stack, mall: MallbotsClient) -> None:
    """The workflow answers: no read model to lag behind the command that just returned."""
    customer_id = await mall.register_customer("Ada Lovelace", "+1 555 0100")
    await mall.disable_customer(customer_id)

    with pytest.raises(ApplicationError) as caught:
        await _authorizer(stack).authorize_customer(AuthorizeCustomer(customer_id=customer_id))

    assert (caught.value.type, caught.value.non_retryable) == ("Conflict", True)
    assert caught.value.message == f"the customer {customer_id} is disabled"

    await mall.enable_customer(customer_id)
    authorized = await _authorizer(stack).authorize_customer(AuthorizeCustomer(customer_id=customer_id))
    assert authorized.enabled


@pytest.mark.parametrize(
    "customer_id",
    [str(uuid.uuid4()), "x" * 300, "x" * 5000, "../customer:1", "\u00e9\u6f22\U0001f600", "a\x00b", ""],
    ids=["never registered", "long", "longer than a workflow ID may be", "path-like", "non-ascii", "NUL", "empty"],
)
async def test_a_customer_never_registered_is_refused_as_not_found_not_retried(stack: Stack, customer_id: str) -> None:
    with pytest.raises(ApplicationError) as caught:
        await _authorizer(stack).authorize_customer(AuthorizeCustomer(customer_id=customer_id))

    assert (caught.value.type, caught.value.non_retryable) == ("NotFound", True)
    assert caught.value.message == f"the customer {customer_id} is not registered"
