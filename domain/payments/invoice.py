"""Invoices: opened for a ready order, paid (capturing the reserved payment) or cancelled."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.shared.errors import Conflict


class InvoiceStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    CANCELLED = "cancelled"


class Invoice(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    order_id: str
    customer_id: str
    payment_id: str
    amount: Decimal
    status: InvoiceStatus = InvoiceStatus.PENDING


def pay_invoice(invoice: Invoice) -> Invoice:
    if invoice.status is not InvoiceStatus.PENDING:
        raise Conflict(f"the invoice is {invoice.status.value}; only a pending invoice can be paid")
    return invoice.model_copy(update={"status": InvoiceStatus.PAID})


def cancel_invoice(invoice: Invoice) -> Invoice:
    if invoice.status is not InvoiceStatus.PENDING:
        raise Conflict(f"the invoice is {invoice.status.value}; only a pending invoice can be cancelled")
    return invoice.model_copy(update={"status": InvoiceStatus.CANCELLED})
