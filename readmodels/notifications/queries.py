"""Reads of notifications' read models: the messages sent, and whom to send them to."""

from __future__ import annotations

from sqlmodel import col, select

from readmodels.notifications.tables import NotificationCustomerCache, NotificationRow
from readmodels.shared.db import SessionFactory, get_row


async def get_contact(sessions: SessionFactory, customer_id: str) -> NotificationCustomerCache | None:
    return await get_row(sessions, NotificationCustomerCache, customer_id)


async def notifications_of(sessions: SessionFactory, customer_id: str) -> list[NotificationRow]:
    """Newest first."""
    query = (
        select(NotificationRow)
        .where(NotificationRow.customer_id == customer_id)
        .order_by(col(NotificationRow.sent_at).desc(), col(NotificationRow.id).desc())
    )
    async with sessions() as session:
        return list((await session.exec(query)).all())
