"""Reads of the payments service's read models."""

from __future__ import annotations

from readmodels.payments.tables import InvoiceRow, PaymentRow
from readmodels.shared.db import SessionFactory, get_row


async def get_payment(sessions: SessionFactory, payment_id: str) -> PaymentRow | None:
    return await get_row(sessions, PaymentRow, payment_id)


async def get_invoice(sessions: SessionFactory, invoice_id: str) -> InvoiceRow | None:
    return await get_row(sessions, InvoiceRow, invoice_id)
