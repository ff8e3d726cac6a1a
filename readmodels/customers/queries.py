"""Reads of the customers service's read model."""

from __future__ import annotations

from readmodels.customers.tables import CustomerRow
from readmodels.shared.db import SessionFactory, get_row


async def get_customer(sessions: SessionFactory, customer_id: str) -> CustomerRow | None:
    return await get_row(sessions, CustomerRow, customer_id)
