"""What every subscriber's read model must hold after sagas were interrupted and resumed: each approved
order exactly once, with each event applied once (versions count the events; SMS counted per order)."""

from __future__ import annotations

import asyncio

from sqlmodel import func, select

from mallbots.stack import Stack
from readmodels.depot.tables import ShoppingListRow
from readmodels.notifications.tables import NotificationRow
from readmodels.ordering.tables import OrderRow
from readmodels.payments.tables import PaymentRow
from readmodels.search.tables import SearchOrderView
from workflows.ordering.messages import order_workflow_id


async def order_statuses(stack: Stack, order_ids: list[str]) -> dict[str, str]:
    assert stack.databases is not None
    async with stack.databases.sessions("ordering")() as session:
        rows = (await session.exec(select(OrderRow).where(OrderRow.id.in_(order_ids)))).all()  # type: ignore[attr-defined]
    return {row.id: row.status for row in rows}


async def wait_until_delivered(stack: Stack, order_ids: list[str], within: float = 90.0) -> None:
    """Until no order workflow has an activity pending: every event has reached every subscriber (the
    ordering read model says "approved" as soon as its own projection ran; the others may still be
    retrying theirs with backoff)."""
    assert stack.client is not None
    handles = [stack.client.get_workflow_handle(order_workflow_id(o)) for o in order_ids]
    deadline = asyncio.get_running_loop().time() + within
    while True:
        described = await asyncio.gather(*(h.describe() for h in handles))
        busy = [d.id for d in described if d.raw_description.pending_activities]
        if not busy:
            return
        assert asyncio.get_running_loop().time() < deadline, f"activities still pending after {within}s: {busy}"
        await asyncio.sleep(0.1)


async def assert_approved_exactly_once(stack: Stack, order_ids: list[str], payment_ids: list[str]) -> None:
    await wait_until_delivered(stack, order_ids)
    assert stack.databases is not None
    count = len(order_ids)
    async with stack.databases.sessions("ordering")() as session:
        orders = (await session.exec(select(OrderRow).where(OrderRow.id.in_(order_ids)))).all()  # type: ignore[attr-defined]
    assert sorted((o.status, o.version) for o in orders) == [("approved", 2)] * count  # Created, Approved

    async with stack.databases.sessions("payments")() as session:
        rows = (await session.exec(select(PaymentRow).where(PaymentRow.id.in_(payment_ids)))).all()  # type: ignore[attr-defined]
    assert sorted(r.order_id or "" for r in rows) == sorted(order_ids)
    assert {(r.status, r.version) for r in rows} == {("reserved", 2)}  # Authorized, Reserved: once

    async with stack.databases.sessions("depot")() as session:
        lists = (await session.exec(select(ShoppingListRow).where(ShoppingListRow.order_id.in_(order_ids)))).all()  # type: ignore[attr-defined]
    assert sorted(lst.order_id for lst in lists) == sorted(order_ids)
    assert {(lst.status, lst.version) for lst in lists} == {("available", 2)}

    async with stack.databases.sessions("search")() as session:
        views = (await session.exec(select(SearchOrderView).where(SearchOrderView.id.in_(order_ids)))).all()  # type: ignore[attr-defined]
    assert sorted((v.status, v.version) for v in views) == [("approved", 2)] * count

    async with stack.databases.sessions("notifications")() as session:
        sent = (
            await session.exec(
                select(NotificationRow.order_id, func.count())
                .where(NotificationRow.order_id.in_(order_ids))  # type: ignore[attr-defined]
                .group_by(NotificationRow.order_id)
            )
        ).all()
    assert sorted(sent) == sorted((o, 1) for o in order_ids)  # one "order created" SMS each
