from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from domain.payments.events import InvoiceEvent, PaymentEvent, invoice_event, payment_event
from domain.payments.invoice import Invoice
from domain.payments.model import Payment
from workflows.shared.spec import EntitySpec

TASK_QUEUE = "payments"
PAYMENT = EntitySpec(PaymentEvent, payment_event, subscribers=("payments",), home_queue=TASK_QUEUE)
INVOICE = EntitySpec(InvoiceEvent, invoice_event, subscribers=("payments",), home_queue=TASK_QUEUE)


def payment_workflow_id(payment_id: str) -> str:
    return f"payment:{payment_id}"


class PaymentWorkflowInput(BaseModel):
    payment_id: str
    ttl_seconds: float = 7 * 86400.0
    payment: Payment | None = None
    number: int = 0


class AuthorizePayment(BaseModel):
    customer_id: str
    amount: Decimal


class ReservePayment(BaseModel):
    payment_id: str
    customer_id: str
    order_id: str
    total: Decimal


class ReleasePayment(BaseModel):
    payment_id: str
    customer_id: str
    order_id: str


class CapturePayment(BaseModel):
    payment_id: str
    order_id: str


def invoice_workflow_id(invoice_id: str) -> str:
    return f"invoice:{invoice_id}"


class CreateInvoice(BaseModel):
    invoice_id: str
    order_id: str
    customer_id: str
    payment_id: str
    amount: Decimal


class InvoiceRef(BaseModel):
    invoice_id: str


class InvoiceWorkflowInput(BaseModel):
    invoice_id: str
    invoice: Invoice | None = None
    number: int = 0
