"""Order search (every filter, keyset pagination, today's names) and customers' notifications."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

from mallbots.tools.client import ApiError, Json, MallbotsClient
from tests.integration.conftest import Shop, open_shop

ORDERS = 52


async def _approved_orders(mall: MallbotsClient, shop: Shop, count: int) -> list[str]:
    """Direct orders in batches of ten: odd ones buy the widget, even ones the gadget."""
    ids: list[str] = []
    for start in range(0, count, 10):

        async def one(n: int) -> str:
            payment_id = await mall.authorize_payment(shop.customer_id, "500.00")
            product = shop.widget_id if n % 2 else shop.gadget_id
            order_id = await mall.create_order(shop.customer_id, payment_id, {product: 1 + n % 3})
            await mall.wait_for_order(order_id, {"approved"}, within=60)
            return order_id

        ids += await asyncio.gather(*(one(n) for n in range(start, min(start + 10, count))))
    return ids


async def _all_pages(mall: MallbotsClient, filters: Mapping[str, object], limit: int) -> list[Json]:
    found: list[Json] = []
    token: str | None = None
    while True:
        page = await mall.search_orders(filters, next=token, limit=limit)
        assert len(page["orders"]) <= limit
        found += page["orders"]
        token = page["next"]
        if token == "":  # the last page
            return found


async def test_search_finds_orders_by_every_filter_and_pages_through_them(mall: MallbotsClient) -> None:
    shop = await open_shop(mall)
    started = datetime.now(UTC)
    order_ids = await _approved_orders(mall, shop, ORDERS)

    everything = await _all_pages(mall, {"customerId": shop.customer_id}, limit=7)
    assert sorted(o["id"] for o in everything) == sorted(order_ids)  # no gap, no duplicate
    keys = [(o["createdAt"], o["id"]) for o in everything]
    assert keys == sorted(keys, reverse=True)  # newest first, stable across pages

    widget_orders = await _all_pages(mall, {"productIds": [shop.widget_id]}, limit=100)
    assert {o["id"] for o in widget_orders} == {o for n, o in enumerate(order_ids) if n % 2}
    by_store = await _all_pages(mall, {"storeIds": [shop.store_id, "another-store"]}, limit=100)
    assert len(by_store) == ORDERS
    assert await _all_pages(mall, {"storeIds": ["no-such-store"], "customerId": shop.customer_id}, 10) == []

    expensive = await _all_pages(mall, {"customerId": shop.customer_id, "minTotal": 39.98}, limit=100)
    assert expensive and all(o["total"] >= 39.98 for o in expensive)
    cheap = await _all_pages(mall, {"customerId": shop.customer_id, "maxTotal": 10}, limit=100)
    assert cheap and all(o["total"] <= 10 for o in cheap)
    assert len(expensive) + len(cheap) < ORDERS

    assert len(await _all_pages(mall, {"customerId": shop.customer_id, "status": "approved"}, 100)) == ORDERS
    assert await _all_pages(mall, {"customerId": shop.customer_id, "status": "completed"}, 100) == []
    window = {"customerId": shop.customer_id, "after": started.isoformat(), "before": datetime.now(UTC).isoformat()}
    assert len(await _all_pages(mall, window, 100)) == ORDERS
    later = {"customerId": shop.customer_id, "after": (datetime.now(UTC) + timedelta(minutes=1)).isoformat()}
    assert await _all_pages(mall, later, 100) == []

    one = await mall.get_search_order(order_ids[1])
    assert one["customerName"].startswith("Customer ")
    assert one["items"][0]["storeId"] == shop.store_id


async def test_search_shows_todays_names_for_orders_placed_before_a_rebrand(mall: MallbotsClient, shop: Shop) -> None:
    [order_id] = await _approved_orders(mall, shop, 1)
    before = await mall.get_search_order(order_id)
    assert before["items"][0]["storeName"].startswith("Store ")

    await mall.rebrand_store(shop.store_id, "Renamed Emporium")
    await mall.rebrand_product(shop.gadget_id, "Gadget Deluxe")

    after = await mall.get_search_order(order_id)
    assert (after["items"][0]["storeName"], after["items"][0]["productName"]) == ("Renamed Emporium", "Gadget Deluxe")
    assert (await mall.get_order(order_id))["items"][0]["storeName"] == before["items"][0]["storeName"]  # as sold


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"limit": 0}, "limit must be between 1 and 100"),
        ({"limit": 101}, "limit must be between 1 and 100"),
        ({"next": "not-a-cursor"}, "next is not a cursor this API gave out"),
        ({"filters": {"minTotal": 10, "maxTotal": 5}}, "minTotal cannot be more than maxTotal"),
        ({"filters": {"after": "2026-01-02T00:00:00Z", "before": "2026-01-01T00:00:00Z"}}, "after must be earlier"),
        ({"filters": {"status": "lost"}}, "filters.status: Input should be"),
    ],
)
async def test_bad_search_requests_are_400s(mall: MallbotsClient, body: dict[str, object], message: str) -> None:
    with pytest.raises(ApiError) as refused:
        await mall.request("POST", "/api/search/orders", body)
    assert refused.value.status == 400
    assert refused.value.message.startswith(message)


async def test_an_unknown_order_is_not_found_in_search(mall: MallbotsClient) -> None:
    with pytest.raises(ApiError) as missing:
        await mall.get_search_order(f"nope-{uuid.uuid4()}")
    assert missing.value.status == 404


async def test_a_customer_is_told_about_each_step_of_the_journey_exactly_once(mall: MallbotsClient, shop: Shop) -> None:
    await mall.change_sms(shop.customer_id, "+1 555 0199")
    payment_id = await mall.authorize_payment(shop.customer_id, "100.00")
    order_id = await mall.create_order(shop.customer_id, payment_id, {shop.widget_id: 1})
    await mall.wait_for_order(order_id, {"approved"})
    await mall.assign_bot(order_id, "bot-3")
    await mall.complete_shopping_list(order_id)
    await mall.wait_for_order(order_id, {"ready"})
    await mall.pay_invoice(order_id)
    await mall.wait_for_order(order_id, {"completed"})
    short = await mall.authorize_payment(shop.customer_id, "1.00")
    rejected_id = await mall.create_order(shop.customer_id, short, {shop.widget_id: 1})
    await mall.wait_for_order(rejected_id, {"rejected"})
    cancelled_payment = await mall.authorize_payment(shop.customer_id, "100.00")
    cancelled_id = await mall.create_order(shop.customer_id, cancelled_payment, {shop.gadget_id: 1})
    await mall.wait_for_order(cancelled_id, {"approved"})
    await mall.cancel_order(cancelled_id)

    # Notifications follow in the background: wait (bounded) for the last message of the journey.
    sent = await mall.wait_for_notification(shop.customer_id, cancelled_id, "ordering.OrderCancelled")

    by_order: dict[str, list[str]] = {}
    for sms in sent:
        by_order.setdefault(sms["orderId"], []).append(sms["eventName"])
        assert sms["smsNumber"] == "+1 555 0199"
    assert sorted(by_order[order_id]) == ["ordering.OrderCompleted", "ordering.OrderCreated", "ordering.OrderReadied"]
    assert sorted(by_order[rejected_id]) == ["ordering.OrderCreated", "ordering.OrderRejected"]
    assert sorted(by_order[cancelled_id]) == ["ordering.OrderCancelled", "ordering.OrderCreated"]
    rejection = next(s for s in sent if s["eventName"] == "ordering.OrderRejected")
    assert "does not cover the order total" in rejection["message"]
    assert [s["sentAt"] for s in sent] == sorted((s["sentAt"] for s in sent), reverse=True)


async def test_notifications_need_a_customer(mall: MallbotsClient) -> None:
    with pytest.raises(ApiError) as refused:
        await mall.request("GET", "/api/notifications")
    assert (refused.value.status, refused.value.message) == (400, "the customer ID cannot be blank")
