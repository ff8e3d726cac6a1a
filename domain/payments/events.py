from __future__ import annotations

from datetime import datetime
from typing import Literal

from domain.payments.invoice import Invoice
from domain.payments.model import Payment
from domain.shared.events import DomainEvent, build_event

PaymentEventName = Literal[
    "payments.PaymentAuthorized",
    "payments.PaymentReserved",
    "payments.PaymentCaptured",
    "payments.PaymentReleased",
    "payments.PaymentExpired",
]


class PaymentEvent(DomainEvent):
    name: PaymentEventName
    payment: Payment


def payment_event(name: str, number: int, occurred_at: datetime, payment: Payment) -> PaymentEvent:
    return build_event(PaymentEvent, name, number, occurred_at, payment=payment)


InvoiceEventName = Literal["payments.InvoiceCreated", "payments.InvoicePaid", "payments.InvoiceCancelled"]


class InvoiceEvent(DomainEvent):
    name: InvoiceEventName
    invoice: Invoice


def invoice_event(name: str, number: int, occurred_at: datetime, invoice: Invoice) -> InvoiceEvent:
    return build_event(InvoiceEvent, name, number, occurred_at, invoice=invoice)
