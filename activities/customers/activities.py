"""What other services ask of customers: may this customer act?"""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.customers.model import Customer, authorize_customer
from workflows.customers.customer_workflow import CustomerWorkflow
from workflows.customers.messages import AuthorizeCustomer, AuthorizedCustomer, customer_workflow_id
from workflows.shared.errors import domain_failures


class CustomersActivities:
    """Asks the customer's own workflow, the entity's source of truth: a query, no history written and no
    database, so the callers' workers (ordering, baskets, payments) run it first as a local activity
    (``workflows.shared.activity_options.run_command``) and customers' queue serves its fallback."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @activity.defn
    async def authorize_customer(self, cmd: AuthorizeCustomer) -> AuthorizedCustomer:
        """Saga step 1 (and a basket's or payment's start): the customer is registered and enabled, else a
        non-retryable business failure. Answers only that (no name, no SMS number: the answer is recorded in
        the caller's history). An unreachable customers worker is an outage, retried, never a refusal."""
        found = await self._customer(cmd.customer_id)
        with domain_failures():
            customer = authorize_customer(found, cmd.customer_id)
        return AuthorizedCustomer(id=customer.id, enabled=customer.enabled)

    async def _customer(self, customer_id: str) -> Customer | None:
        handle = self._client.get_workflow_handle(customer_workflow_id(customer_id))
        try:
            found: Customer | None = await handle.query(CustomerWorkflow.get_customer)
        except RPCError as err:
            # Never registered; or an ID the server refuses as a workflow ID (too long, say), which no registration
            # can have used either. Callers validate IDs first; this keeps a bad one a refusal, never a retry loop.
            if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
                return None
            raise  # anything else (the worker unreachable, the server busy) is retried
        return found
