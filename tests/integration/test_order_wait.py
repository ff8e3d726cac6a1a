"""``GET /api/ordering/{id}?waitFor=…``: a client learns that an order moved on without polling. The order's
workflow answers the wait (an update that returns when the status is reached and the read model shows it), and
the answer is the read model's row, as a plain GET's."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from api.auth import Role
from mallbots.stack import Stack
from mallbots.tools.client import ApiError, MallbotsClient
from tests.integration.conftest import Shop


async def _checked_out(mall: MallbotsClient, shop: Shop, amount: str = "100.00") -> str:
    payment_id = await mall.authorize_payment(shop.customer_id, amount)
    basket_id = await mall.start_basket(shop.customer_id)
    await mall.add_item(basket_id, shop.widget_id, 2)
    await mall.checkout(basket_id, payment_id)
    return basket_id


async def test_a_wait_right_after_checkout_answers_the_approved_order(
    api: httpx.AsyncClient, mall: MallbotsClient, shop: Shop
) -> None:
    order_id = await _checked_out(mall, shop)

    waited = await api.get(f"/api/ordering/{order_id}", params={"waitFor": "approved"})

    assert waited.status_code == 200, waited.text
    assert waited.json()["order"]["status"] == "approved"
    plain = await api.get(f"/api/ordering/{order_id}")
    assert plain.json() == waited.json()  # the same row a plain GET reads


async def test_a_wait_for_a_status_the_order_never_reaches_ends_with_its_final_one(
    api: httpx.AsyncClient, mall: MallbotsClient, shop: Shop
) -> None:
    order_id = await _checked_out(mall, shop, amount="1.00")  # short: the saga rejects it

    waited = await api.get(f"/api/ordering/{order_id}", params={"waitFor": "approved"})

    assert waited.json()["order"]["status"] == "rejected"


async def test_a_wait_that_times_out_answers_the_order_as_it_is(
    api: httpx.AsyncClient, mall: MallbotsClient, shop: Shop
) -> None:
    order_id = await _checked_out(mall, shop)
    await mall.wait_for_order(order_id, {"approved"})

    waited = await api.get(f"/api/ordering/{order_id}", params={"waitFor": "completed", "timeout": "0.3"})

    assert waited.status_code == 200 and waited.json()["order"]["status"] == "approved"


async def test_waits_follow_the_order_through_the_bots_and_the_payment(
    api: httpx.AsyncClient, mall: MallbotsClient, shop: Shop
) -> None:
    order_id = await _checked_out(mall, shop)
    assert (await api.get(f"/api/ordering/{order_id}", params={"waitFor": "approved"})).json()["order"][
        "status"
    ] == "approved"
    await mall.assign_bot(order_id, "bot-wait")

    ready, _ = await asyncio.gather(
        api.get(f"/api/ordering/{order_id}", params={"waitFor": "ready"}), mall.complete_shopping_list(order_id)
    )
    assert ready.json()["order"]["status"] == "ready"
    assert (await api.get(f"/api/payments/invoices/{order_id}")).status_code == 200  # ready: the invoice is there
    await mall.pay_invoice(order_id)
    done = await api.get(f"/api/ordering/{order_id}", params={"waitFor": "completed"})
    assert done.json()["order"]["status"] == "completed"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"waitFor": "shipped"}, "waitFor"),
        ({"waitFor": "approved,"}, "waitFor"),
        ({"waitFor": "approved", "timeout": "0"}, "timeout"),
        ({"waitFor": "approved", "timeout": "61"}, "timeout"),
        ({"waitFor": "approved", "timeout": "soon"}, "timeout"),
    ],
)
async def test_a_bad_wait_is_a_400_naming_it(api: httpx.AsyncClient, params: dict[str, str], message: str) -> None:
    answer = await api.get(f"/api/ordering/{uuid.uuid4()}", params=params)

    assert answer.status_code == 400 and message in answer.json()["message"], answer.text


async def test_an_unknown_order_is_a_404_at_once_even_with_a_wait(api: httpx.AsyncClient) -> None:
    order_id = str(uuid.uuid4())

    answer = await asyncio.wait_for(api.get(f"/api/ordering/{order_id}", params={"waitFor": "approved"}), 5)

    assert answer.status_code == 404 and answer.json()["message"] == f"the order {order_id} does not exist"


async def test_a_customer_waits_on_its_own_order_from_the_moment_it_is_checked_out(stack: Stack) -> None:
    """The ordering read model may not have the order yet when checkout answers: who owns it is then asked of
    its workflow, and another customer still gets a 404."""
    async with MallbotsClient(stack.api_url, token=stack.token()) as operator:
        shop = await _customer_shop(stack, operator)
        alice = operator.acting_as(stack.token(Role.CUSTOMER, shop.customer_subject))
        payment_id = await alice.authorize_payment(shop.customer_id, "100.00")
        basket_id = await alice.start_basket(shop.customer_id)
        await alice.add_item(basket_id, shop.widget_id, 1)
        await alice.checkout(basket_id, payment_id)

        mine = await alice.request("GET", f"/api/ordering/{basket_id}", params={"waitFor": "approved"})
        assert mine["order"]["status"] == "approved"
        bob = operator.acting_as(stack.token(Role.CUSTOMER, f"bob-{uuid.uuid4().hex[:6]}"))
        with pytest.raises(ApiError) as refused:
            await bob.request("GET", f"/api/ordering/{basket_id}", params={"waitFor": "approved"})
        assert refused.value.status == 404


class _CustomerShop(Shop):
    customer_subject: str


async def _customer_shop(stack: Stack, operator: MallbotsClient) -> _CustomerShop:
    tag = uuid.uuid4().hex[:6]
    store_id = await operator.create_store(f"Wait store {tag}", "Level 1")
    await operator.enable_participation(store_id)
    widget_id = await operator.add_product(store_id, f"Widget {tag}", "19.99", sku=f"W-{tag}")
    subject = f"alice-{tag}"
    customer = operator.acting_as(stack.token(Role.CUSTOMER, subject))
    customer_id = await customer.register_customer(f"Alice {tag}", "+1 555 0100")
    shop = _CustomerShop(store_id, widget_id, "", customer_id)
    shop.customer_subject = subject
    return shop
