"""Customers' SMS notifications through the REST API of the running stack: which order events a customer hears
about, to which number, exactly once each, newest first.

Every test registers its own customer, so the notifications it reads are its own whatever else runs.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pytest

from activities.notifications.activities import NotificationsActivities
from activities.notifications.gateway import RecordingGateway
from domain.ordering.events import OrderEvent, order_event
from domain.ordering.model import Order, OrderItem, OrderStatus
from mallbots.stack import Stack
from mallbots.tools.client import ApiError, Json, MallbotsClient

CREATED = "ordering.OrderCreated"
REJECTED = "ordering.OrderRejected"
READIED = "ordering.OrderReadied"
COMPLETED = "ordering.OrderCompleted"
CANCELLED = "ordering.OrderCancelled"
FIELDS = {"id", "customerId", "orderId", "eventName", "smsNumber", "message", "sentAt"}


@dataclass
class Shopper:
    """A participating store with one 12.50 product, and a customer of this test alone."""

    product_id: str
    customer_id: str
    name: str
    sms: str


@pytest.fixture
async def shopper(mall: MallbotsClient) -> Shopper:
    tag = uuid.uuid4().hex[:6]
    store_id = await mall.create_store(f"Notify Store {tag}", "Level 3")
    await mall.enable_participation(store_id)
    product_id = await mall.add_product(store_id, f"Notebook {tag}", "12.50", sku=f"N-{tag}")
    name, sms = f"Noa {tag}", f"+1 555 {int(tag, 16) % 10_000:04d}"
    return Shopper(product_id, await mall.register_customer(name, sms), name, sms)


async def _order(mall: MallbotsClient, shopper: Shopper, *, amount: str = "100.00", quantity: int = 1) -> Json:
    """A direct order, once the saga has decided it (approved, or rejected)."""
    payment_id = await mall.authorize_payment(shopper.customer_id, amount)
    order_id = await mall.create_order(shopper.customer_id, payment_id, {shopper.product_id: quantity})
    return await mall.wait_for_order(order_id, {"approved", "rejected"}, within=60)


async def _sent(
    mall: MallbotsClient, customer_id: str, until: Callable[[list[Json]], bool] = lambda _: True
) -> list[Json]:
    """The customer's notifications once ``until`` holds (events reach notifications after the command answers)."""
    deadline = asyncio.get_running_loop().time() + 60
    while True:
        sent = await mall.get_notifications(customer_id)
        if until(sent):
            return sent
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"notifications of {customer_id} stayed {[s['eventName'] for s in sent]}")
        await asyncio.sleep(0.05)


def _has(order_id: str, *events: str) -> Callable[[list[Json]], bool]:
    return lambda sent: set(events) <= {s["eventName"] for s in sent if s["orderId"] == order_id}


def _events(sent: list[Json], order_id: str) -> list[str]:
    return sorted(s["eventName"] for s in sent if s["orderId"] == order_id)


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- what a customer hears about ----------------------------------------------------------------------


async def test_an_approved_order_gives_the_customer_one_order_created_sms(
    mall: MallbotsClient, shopper: Shopper
) -> None:
    order = await _order(mall, shopper, quantity=2)

    [sms] = await _sent(mall, shopper.customer_id, _has(order["id"], CREATED))

    assert set(sms) == FIELDS
    assert (sms["customerId"], sms["orderId"], sms["eventName"]) == (shopper.customer_id, order["id"], CREATED)
    assert sms["smsNumber"] == shopper.sms
    assert sms["message"] == f"Hi {shopper.name}, we received your order {order['id'][:8]} for 25.00."
    assert sms["id"] == f"{order['id']}:1"  # one message per event: the order's first
    assert _when(sms["sentAt"]) >= _when(order["createdAt"])


async def test_a_rejected_order_tells_the_customer_it_was_received_and_why_it_was_rejected(
    mall: MallbotsClient, shopper: Shopper
) -> None:
    order = await _order(mall, shopper, amount="1.00")
    assert order["status"] == "rejected"

    sent = await _sent(mall, shopper.customer_id, _has(order["id"], CREATED, REJECTED))

    assert [s["eventName"] for s in sent] == [REJECTED, CREATED]  # newest first
    rejection = sent[0]
    assert rejection["message"].startswith(f"Hi {shopper.name}, your order {order['id'][:8]} could not be placed: ")
    assert "does not cover the order total" in rejection["message"]
    assert order["reason"] in rejection["message"]


async def test_the_whole_journey_tells_the_customer_of_creation_readiness_and_completion_exactly_once(
    mall: MallbotsClient, shopper: Shopper, stack: Stack
) -> None:
    order = await _order(mall, shopper)
    await mall.assign_bot(order["shoppingId"], "bot-7")
    await mall.complete_shopping_list(order["shoppingId"])
    ready = await mall.wait_for_order(order["id"], {"ready"})
    await mall.pay_invoice(ready["invoiceId"])
    await mall.wait_for_order(order["id"], {"completed"})

    sent = await _sent(mall, shopper.customer_id, _has(order["id"], CREATED, READIED, COMPLETED))

    assert [s["eventName"] for s in sent] == [COMPLETED, READIED, CREATED]
    assert len({s["id"] for s in sent}) == 3
    assert "is ready. Please pay the invoice of 12.50." in sent[1]["message"]
    assert "is paid and complete" in sent[0]["message"]

    # The same events delivered again (a retried activity, a replay) send nothing new and change nothing.
    assert stack.databases is not None
    sessions = stack.databases.sessions("notifications")
    notifications = NotificationsActivities(sessions, RecordingGateway(sessions))
    for event in _events_behind(sent, await mall.get_order(order["id"])):
        await notifications.apply_order_event(event)
        await notifications.apply_order_event(event)

    assert await mall.get_notifications(shopper.customer_id) == sent


def _events_behind(sent: list[Json], order: Json) -> list[OrderEvent]:
    """The order events the notifications were sent for, rebuilt from the API (``id`` = ``<order>:<number>``)."""
    items = tuple(
        OrderItem(
            product_id=i["productId"],
            store_id=i["storeId"],
            store_name=i["storeName"],
            product_name=i["productName"],
            price=Decimal(str(i["price"])),
            quantity=i["quantity"],
        )
        for i in order["items"]
    )
    status = {CREATED: OrderStatus.PENDING, READIED: OrderStatus.READY, COMPLETED: OrderStatus.COMPLETED}
    events = []
    for sms in sent:
        snapshot = Order(
            id=order["id"],
            customer_id=order["customerId"],
            payment_id=order["paymentId"],
            items=items,
            status=status[sms["eventName"]],
            created_at=_when(order["createdAt"]),
            updated_at=_when(sms["sentAt"]),
        )
        number = int(sms["id"].rsplit(":", 1)[1])
        events.append(order_event(sms["eventName"], number, _when(sms["sentAt"]), snapshot))
    return events


async def test_a_cancelled_order_tells_the_customer_it_was_cancelled(mall: MallbotsClient, shopper: Shopper) -> None:
    order = await _order(mall, shopper)
    assert order["status"] == "approved"

    await mall.cancel_order(order["id"])
    sent = await _sent(mall, shopper.customer_id, _has(order["id"], CANCELLED))

    assert [s["eventName"] for s in sent] == [CANCELLED, CREATED]
    assert sent[0]["message"] == (
        f"Hi {shopper.name}, your order {order['id'][:8]} has been cancelled; nothing was charged."
    )


async def test_a_new_sms_number_is_used_for_later_messages_and_earlier_ones_keep_theirs(
    mall: MallbotsClient, shopper: Shopper
) -> None:
    first = await _order(mall, shopper)
    await _sent(mall, shopper.customer_id, _has(first["id"], CREATED))

    # answers once notifications' copy has it (the copy the next order's messages read)
    await mall.change_sms(shopper.customer_id, "+44 20 7946 0000")
    second = await _order(mall, shopper)
    await mall.cancel_order(first["id"])
    cancelled, created = _has(first["id"], CANCELLED), _has(second["id"], CREATED)
    sent = await _sent(mall, shopper.customer_id, lambda sent: cancelled(sent) and created(sent))

    number = {(s["orderId"], s["eventName"]): s["smsNumber"] for s in sent}
    assert number == {
        (first["id"], CREATED): shopper.sms,
        (first["id"], CANCELLED): "+44 20 7946 0000",
        (second["id"], CREATED): "+44 20 7946 0000",
    }


async def test_a_customer_sees_only_their_own_notifications_newest_first(
    mall: MallbotsClient, shopper: Shopper
) -> None:
    other = await mall.register_customer("Someone Else", "+1 555 0999")
    other_shopper = Shopper(shopper.product_id, other, "Someone Else", "+1 555 0999")
    mine = [await _order(mall, shopper), await _order(mall, shopper, amount="0.50")]
    theirs = await _order(mall, other_shopper)

    sent = await _sent(
        mall, shopper.customer_id, lambda s: _has(mine[0]["id"], CREATED)(s) and _has(mine[1]["id"], REJECTED)(s)
    )
    their_sent = await _sent(mall, other, _has(theirs["id"], CREATED))

    assert len(sent) == 3 and {s["orderId"] for s in sent} == {o["id"] for o in mine}
    assert all(s["customerId"] == shopper.customer_id for s in sent)
    assert [_when(s["sentAt"]) for s in sent] == sorted((_when(s["sentAt"]) for s in sent), reverse=True)
    assert _events(sent, mine[1]["id"]) == [CREATED, REJECTED]
    assert [s["orderId"] for s in their_sent] == [theirs["id"]]


async def test_a_customer_who_ordered_nothing_has_no_notifications(mall: MallbotsClient, shopper: Shopper) -> None:
    assert await mall.get_notifications(shopper.customer_id) == []
    assert await mall.get_notifications(f"nobody-{uuid.uuid4()}") == []


# --- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"customerId": ""}, {"customerId": "   "}])
async def test_notifications_need_a_customer_id(mall: MallbotsClient, params: dict[str, str]) -> None:
    with pytest.raises(ApiError) as refused:
        await mall.request("GET", "/api/notifications", params=params)

    assert (refused.value.status, refused.value.message) == (400, "the customer ID cannot be blank")
