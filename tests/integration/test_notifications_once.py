"""An order's SMS goes out at most once per event, however often the event is delivered: the notifications
activity run against the real notifications schema, its event delivered again and again (a retry after the
attempt timed out, two deliveries at once, a worker that died between sending and recording) with a gateway
that counts what it is asked to send."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from temporalio.testing import ActivityEnvironment

from activities.notifications.activities import NotificationsActivities
from activities.notifications.gateway import RecordingGateway, Sms
from domain.ordering.events import OrderEvent, order_event
from domain.ordering.model import Order
from mallbots.stack import Stack
from readmodels.notifications import sends
from readmodels.shared.db import SessionFactory


class CountingGateway:
    """Forwards to the recording gateway; counts the calls; can hold a call, or fail it, on demand."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.recording = RecordingGateway(sessions)
        self.calls: list[str] = []
        self.hold = asyncio.Event()
        self.hold.set()
        self.entered = asyncio.Event()
        self.fail_next = False

    async def send(self, sms: Sms) -> None:
        self.calls.append(sms.id)
        self.entered.set()
        await self.hold.wait()
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("the provider is unreachable")
        await self.recording.send(sms)


@pytest.fixture
async def notifications(stack: Stack) -> SessionFactory:
    assert stack.databases is not None
    return stack.databases.sessions("notifications")


async def _known_customer(sessions: SessionFactory) -> str:
    """A customer notifications knows (its cache row, as its projection writes it)."""
    customer_id = f"once-{uuid.uuid4().hex[:8]}"
    async with sessions.begin() as session:
        await (await session.connection()).execute(
            text(
                "INSERT INTO notifications.customers (id, name, sms_number, version) VALUES (:id, 'Ada', '5550001', 1)"
            ),
            {"id": customer_id},
        )
    return customer_id


def _order_created(customer_id: str) -> OrderEvent:
    order = Order(id=str(uuid.uuid4()), customer_id=customer_id, payment_id="p-1", items=())
    return order_event("ordering.OrderCreated", 1, datetime.now(UTC), order)


async def _recorded(sessions: SessionFactory, key: str) -> int:
    async with sessions() as session:
        found = await (await session.connection()).execute(
            text("SELECT count(*) FROM notifications.notifications WHERE id = :id"), {"id": key}
        )
        return int(found.scalar_one())


async def test_a_redelivered_event_sends_nothing_twice(notifications: SessionFactory) -> None:
    gateway = CountingGateway(notifications)
    activity = NotificationsActivities(notifications, gateway)
    event = _order_created(await _known_customer(notifications))

    for _ in range(3):
        await ActivityEnvironment().run(activity.apply_order_event, event)

    key = f"{event.aggregate_id}:{event.number}"
    assert gateway.calls == [key]
    assert await _recorded(notifications, key) == 1


async def test_a_delivery_during_a_send_in_flight_waits_for_it_and_sends_nothing(notifications: SessionFactory) -> None:
    """The first attempt timed out while the gateway was still at work (no cancellation reached it): the
    retry finds its claim alive and is retried itself, and then finds the message sent."""
    gateway = CountingGateway(notifications)
    activity = NotificationsActivities(notifications, gateway)
    event = _order_created(await _known_customer(notifications))
    gateway.hold.clear()
    first = asyncio.create_task(ActivityEnvironment().run(activity.apply_order_event, event))
    await asyncio.wait_for(gateway.entered.wait(), 10)

    with pytest.raises(sends.SendInFlight):
        await ActivityEnvironment().run(activity.apply_order_event, event)
    gateway.hold.set()
    await asyncio.wait_for(first, 10)
    await ActivityEnvironment().run(activity.apply_order_event, event)  # the retry of the redelivery

    assert len(gateway.calls) == 1


async def test_a_send_the_gateway_refused_is_sent_by_the_retry(notifications: SessionFactory) -> None:
    gateway = CountingGateway(notifications)
    activity = NotificationsActivities(notifications, gateway)
    event = _order_created(await _known_customer(notifications))
    gateway.fail_next = True

    with pytest.raises(ConnectionError):
        await ActivityEnvironment().run(activity.apply_order_event, event)
    await ActivityEnvironment().run(activity.apply_order_event, event)

    key = f"{event.aggregate_id}:{event.number}"
    assert gateway.calls == [key, key]
    assert await _recorded(notifications, key) == 1


async def test_a_claim_left_by_a_dead_worker_is_taken_over_after_its_lease_with_the_same_key(
    notifications: SessionFactory,
) -> None:
    """A worker died after claiming (and perhaps after the provider took the message): once its lease ran
    out the message is sent again under the same idempotency key, which the provider (here the recording
    gateway) honours: the customer gets one message."""
    gateway = CountingGateway(notifications)
    activity = NotificationsActivities(notifications, gateway)
    event = _order_created(await _known_customer(notifications))
    key = f"{event.aggregate_id}:{event.number}"
    dead = sends.new_claim()
    assert await sends.claim(notifications, key, dead) is sends.Claim.MINE
    await gateway.recording.send(  # the provider took it; the worker died before marking it sent
        Sms(
            id=key,
            customer_id="x",
            order_id="x",
            event_name="ordering.OrderCreated",
            sms_number="",
            message="m",
            sent_at=datetime.now(UTC),
        )
    )
    with pytest.raises(sends.SendInFlight):  # within the lease: the dead worker may still be sending
        await ActivityEnvironment().run(activity.apply_order_event, event)
    async with notifications.begin() as session:  # the lease runs out
        await (await session.connection()).execute(
            text("UPDATE notifications.sms_sends SET claimed_at = claimed_at - :lease WHERE id = :id"),
            {"lease": sends.LEASE + timedelta(seconds=1), "id": key},
        )

    await ActivityEnvironment().run(activity.apply_order_event, event)

    assert gateway.calls == [key]  # the take-over sent it, with the same key…
    assert await _recorded(notifications, key) == 1  # …and the provider kept one message
    assert await sends.claim(notifications, key, sends.new_claim()) is sends.Claim.SENT
