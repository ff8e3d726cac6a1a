"""The order journey through the REST API against real Temporal, Postgres and workers, with every
read model checked afterwards."""

from __future__ import annotations

import asyncio
import time
import uuid
from decimal import Decimal

import pytest
from sqlmodel import select

from mallbots.stack import Stack
from mallbots.tools.client import ApiError, MallbotsClient
from readmodels.depot.tables import ShoppingListRow
from readmodels.notifications.tables import NotificationRow
from readmodels.ordering.tables import OrderRow
from readmodels.search.tables import SearchOrderView
from tests.integration.conftest import Shop


async def _notifications(stack: Stack, order_id: str) -> list[str]:
    async with stack.databases.sessions("notifications")() as session:  # type: ignore[union-attr]
        rows = (await session.exec(select(NotificationRow).where(NotificationRow.order_id == order_id))).all()
    return sorted(r.event_name for r in rows)


async def _notified(stack: Stack, order_id: str, expected: list[str]) -> list[str]:
    """The messages sent about the order once they are ``expected`` (notifications follow in the background),
    or, after a bounded wait, whatever they are, for the assertion to show."""
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        sent = await _notifications(stack, order_id)
        if sent == expected or asyncio.get_running_loop().time() > deadline:
            return sent
        await asyncio.sleep(0.05)


async def _row(stack: Stack, service: str, model: type, key: str) -> object:
    async with stack.databases.sessions(service)() as session:  # type: ignore[union-attr]
        return await session.get(model, key)


async def _settled_row(stack: Stack, service: str, model: type, key: str, status: str) -> object:
    """Another service's read model follows the order's events eventually (only the owner's is read-your-writes):
    wait, on the rows themselves, until it shows ``status``; the limit only turns a hang into a failure."""
    async with asyncio.timeout(30):
        while True:
            row = await _row(stack, service, model, key)
            if getattr(row, "status", None) == status:
                return row
            await asyncio.sleep(0.05)


async def _checkout(mall: MallbotsClient, shop: Shop, amount: str, quantity: int = 5) -> tuple[str, str]:
    payment_id = await mall.authorize_payment(shop.customer_id, amount)
    basket_id = await mall.start_basket(shop.customer_id)
    await mall.add_item(basket_id, shop.widget_id, quantity)
    await mall.checkout(basket_id, payment_id)
    return basket_id, payment_id


async def test_a_checkout_is_approved_and_every_read_model_shows_it(
    stack: Stack, mall: MallbotsClient, shop: Shop
) -> None:
    started = time.perf_counter()
    order_id, payment_id = await _checkout(mall, shop, "200.00")
    order = await mall.wait_for_order(order_id, {"approved", "rejected"})
    print(f"checkout → approved through the API: {time.perf_counter() - started:.3f}s")

    assert order["status"] == "approved", order
    assert Decimal(str(order["total"])) == Decimal("99.95")
    assert order["shoppingId"] == order_id
    assert [(i["productId"], i["quantity"], i["price"]) for i in order["items"]] == [(shop.widget_id, 5, 19.99)]
    assert (await mall.get_basket(order_id))["status"] == "checked_out"
    payment = await mall.get_payment(payment_id)
    assert (payment["status"], payment["orderId"]) == ("reserved", order_id)
    shopping_list = await mall.get_shopping_list(order_id)
    assert shopping_list["status"] == "available"
    assert [stop["storeId"] for stop in shopping_list["stops"]] == [shop.store_id]
    assert shopping_list["stops"][0]["items"][0]["quantity"] == 5

    row = await _row(stack, "ordering", OrderRow, order_id)
    assert isinstance(row, OrderRow) and (row.status, row.version) == ("approved", 2)
    view = await _settled_row(stack, "search", SearchOrderView, order_id, "approved")
    assert isinstance(view, SearchOrderView)
    assert (view.status, view.store_ids, view.product_ids) == ("approved", [shop.store_id], [shop.widget_id])
    assert view.customer_name.startswith("Customer ")
    assert await _notified(stack, order_id, ["ordering.OrderCreated"]) == ["ordering.OrderCreated"]


async def test_a_disabled_customers_checkout_is_rejected_with_nothing_held(
    stack: Stack, mall: MallbotsClient, shop: Shop
) -> None:
    payment_id = await mall.authorize_payment(shop.customer_id, "200.00")
    basket_id = await mall.start_basket(shop.customer_id)
    await mall.add_item(basket_id, shop.widget_id, 2)
    await mall.disable_customer(shop.customer_id)

    await mall.checkout(basket_id, payment_id)
    order = await mall.wait_for_order(basket_id, {"approved", "rejected"})

    assert order["status"] == "rejected"
    assert "disabled" in order["reason"]
    assert (await mall.get_payment(payment_id))["status"] == "authorized"  # never reserved: still usable
    with pytest.raises(ApiError) as missing:
        await mall.get_shopping_list(basket_id)
    assert missing.value.status == 404
    told = ["ordering.OrderCreated", "ordering.OrderRejected"]
    assert await _notified(stack, basket_id, told) == told


async def test_a_payment_short_of_the_total_is_rejected_with_the_list_cancelled_and_the_payment_untouched(
    stack: Stack, mall: MallbotsClient, shop: Shop
) -> None:
    order_id, payment_id = await _checkout(mall, shop, "50.00")  # 5 x 19.99 = 99.95
    order = await mall.wait_for_order(order_id, {"approved", "rejected"})

    assert order["status"] == "rejected"
    assert "does not cover the order total 99.95" in order["reason"]
    assert (await mall.get_shopping_list(order_id))["status"] == "cancelled"
    # The order never reserved it, so its compensation leaves the authorization as it was: still usable.
    assert (await mall.get_payment(payment_id))["status"] == "authorized"
    row = await _row(stack, "ordering", OrderRow, order_id)
    assert isinstance(row, OrderRow) and (row.status, row.version) == ("rejected", 2)


async def test_an_order_goes_all_the_way_to_completed(stack: Stack, mall: MallbotsClient, shop: Shop) -> None:
    started = time.perf_counter()
    order_id, payment_id = await _checkout(mall, shop, "200.00", quantity=1)
    await mall.wait_for_order(order_id, {"approved"})
    await mall.assign_bot(order_id, "bot-7")
    await mall.complete_shopping_list(order_id)
    ready = await mall.wait_for_order(order_id, {"ready"})
    assert ready["invoiceId"] == order_id
    invoice = await mall.get_invoice(order_id)
    assert (invoice["status"], invoice["amount"]) == ("pending", 19.99)

    await mall.pay_invoice(order_id)
    completed = await mall.wait_for_order(order_id, {"completed"})
    print(f"checkout → completed through the API (bot and payment included): {time.perf_counter() - started:.3f}s")

    assert completed["status"] == "completed"
    assert (await mall.get_payment(payment_id))["status"] == "captured"
    assert (await mall.get_invoice(order_id))["status"] == "paid"
    assert (await mall.get_shopping_list(order_id))["status"] == "completed"
    with pytest.raises(ApiError) as again:
        await mall.pay_invoice(order_id)
    assert again.value.status == 409
    with pytest.raises(ApiError) as late:
        await mall.cancel_order(order_id)
    assert (late.value.status, late.value.message) == (
        409,
        "the order is completed and can no longer be cancelled",
    )
    told = ["ordering.OrderCompleted", "ordering.OrderCreated", "ordering.OrderReadied"]
    assert await _notified(stack, order_id, told) == told


async def test_cancelling_an_approved_order_releases_everything_it_held(
    stack: Stack, mall: MallbotsClient, shop: Shop
) -> None:
    order_id, payment_id = await _checkout(mall, shop, "200.00", quantity=1)
    await mall.wait_for_order(order_id, {"approved"})

    cancelled = await mall.cancel_order(order_id)

    assert cancelled["status"] == "cancelled"
    assert (await mall.get_order(order_id))["status"] == "cancelled"
    assert (await mall.get_shopping_list(order_id))["status"] == "cancelled"
    assert (await mall.get_payment(payment_id))["status"] == "released"
    with pytest.raises(ApiError) as twice:
        await mall.cancel_order(order_id)
    assert twice.value.status == 409
    async with stack.databases.sessions("depot")() as session:  # type: ignore[union-attr]
        open_lists = (
            await session.exec(
                select(ShoppingListRow).where(
                    ShoppingListRow.order_id == order_id, ShoppingListRow.status != "cancelled"
                )
            )
        ).all()
    assert open_lists == []


async def test_the_same_order_request_sent_twice_with_one_key_creates_one_order(
    mall: MallbotsClient, shop: Shop
) -> None:
    payment_id = await mall.authorize_payment(shop.customer_id, "100.00")
    key = f"order-{uuid.uuid4()}"
    first, second = await asyncio.gather(
        mall.create_order(shop.customer_id, payment_id, {shop.gadget_id: 2}, key=key),
        mall.create_order(shop.customer_id, payment_id, {shop.gadget_id: 2}, key=key),
    )
    assert first == second
    order = await mall.wait_for_order(first, {"approved", "rejected"})
    assert order["status"] == "approved"
    assert await mall.create_order(shop.customer_id, payment_id, {shop.gadget_id: 2}, key=key) == first


async def test_a_direct_order_for_an_unknown_product_is_rejected(mall: MallbotsClient, shop: Shop) -> None:
    payment_id = await mall.authorize_payment(shop.customer_id, "100.00")
    order_id = await mall.create_order(shop.customer_id, payment_id, {"no-such-product": 1})
    order = await mall.wait_for_order(order_id, {"approved", "rejected"})
    assert order["status"] == "rejected"
    assert order["reason"] == "the product no-such-product does not exist"
    assert (await mall.get_payment(payment_id))["status"] == "authorized"
