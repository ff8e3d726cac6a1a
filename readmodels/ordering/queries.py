"""Reads of the ordering service's read model."""

from __future__ import annotations

from readmodels.ordering.tables import OrderRow
from readmodels.shared.db import SessionFactory, get_row


async def get_order(sessions: SessionFactory, order_id: str) -> OrderRow | None:
    return await get_row(sessions, OrderRow, order_id)
