"""``/api/payments``: payment authorizations and invoices."""

from __future__ import annotations

from decimal import Decimal

from fastapi import APIRouter
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from api.access import Caller, acting_customer
from api.deps import (
    ACCEPTS_IDEMPOTENCY_KEY,
    Entities,
    IdempotencyKey,
    PaymentsReadModel,
    TemporalClient,
    command,
    get_or_404,
    new_id,
)
from api.http import JsonRoute
from api.idempotency import current_update_id
from api.schemas import (
    ERROR_RESPONSES,
    Amount,
    ApiModel,
    CustomerId,
    IdResponse,
    InvoiceIdPath,
    MoneyOut,
    PaymentIdPath,
    RequestModel,
)
from domain.payments import model as rules
from domain.payments.invoice import Invoice
from domain.shared.errors import Conflict
from readmodels.payments import queries
from readmodels.payments.tables import InvoiceRow
from workflows.payments.invoice_workflow import InvoiceWorkflow
from workflows.payments.messages import (
    TASK_QUEUE,
    AuthorizePayment,
    PaymentWorkflowInput,
    invoice_workflow_id,
    payment_workflow_id,
)
from workflows.payments.payment_workflow import PaymentWorkflow
from workflows.search_attributes import CUSTOMER_ID
from workflows.shared.client import create_entity, start_entity

router = APIRouter(prefix="/api/payments", tags=["payments"], responses=ERROR_RESPONSES, route_class=JsonRoute)


class AuthorizePaymentRequest(RequestModel):
    customer_id: CustomerId = ""
    amount: Amount = Decimal(0)


class PaymentView(ApiModel):
    id: str
    customer_id: str
    amount: MoneyOut
    status: str
    order_id: str | None = None


class PaymentResponse(ApiModel):
    payment: PaymentView


class InvoiceView(ApiModel):
    id: str
    order_id: str
    customer_id: str
    payment_id: str
    amount: MoneyOut
    status: str


class InvoiceResponse(ApiModel):
    invoice: InvoiceView


@router.post("", response_model=IdResponse)
async def authorize_payment(
    body: AuthorizePaymentRequest,
    client: TemporalClient,
    db: PaymentsReadModel,
    entities: Entities,
    principal: Caller,
    key: IdempotencyKey = None,
) -> IdResponse:
    customer_id = acting_customer(principal, body.customer_id)
    payment_id = new_id("payments", key)
    rules.authorize_payment(payment_id, customer_id, body.amount)
    start = start_entity(
        PaymentWorkflow.run,
        PaymentWorkflowInput(payment_id=payment_id, ttl_seconds=entities.payment_ttl_seconds),
        id=payment_workflow_id(payment_id),
        task_queue=TASK_QUEUE,
        search_attributes=TypedSearchAttributes([SearchAttributePair(CUSTOMER_ID, customer_id)]),
        static_summary=f"Payment {payment_id[:8]}… · {body.amount}",
    )
    cmd = AuthorizePayment(customer_id=customer_id, amount=body.amount)
    if await create_entity(client, PaymentWorkflow.authorize, cmd, start, current_update_id()) is None:
        await get_payment(payment_id, db)  # closed: fine if it was created, else the key's first use failed
    return IdResponse(id=payment_id)


@router.get("/invoices/{invoice_id}", response_model=InvoiceResponse)
async def get_invoice(invoice_id: InvoiceIdPath, db: PaymentsReadModel) -> InvoiceResponse:
    row = await _invoice_row(db, invoice_id)
    return InvoiceResponse(invoice=InvoiceView.model_validate(row, from_attributes=True))


async def _invoice_row(db: PaymentsReadModel, invoice_id: str) -> InvoiceRow:
    return await get_or_404(queries.get_invoice(db, invoice_id), f"invoice {invoice_id}")


@router.put("/invoices/{invoice_id}/pay", response_model=InvoiceResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY])
async def pay_invoice(invoice_id: InvoiceIdPath, client: TemporalClient, db: PaymentsReadModel) -> InvoiceResponse:
    """Captures the reserved payment; the order becomes completed."""

    async def closed() -> None:
        row = await _invoice_row(db, invoice_id)
        raise Conflict(f"the invoice is {row.status}; only a pending invoice can be paid")

    invoice: Invoice = await command(
        client, invoice_workflow_id(invoice_id), InvoiceWorkflow.pay, f"invoice {invoice_id}", when_closed=closed
    )
    return InvoiceResponse(invoice=InvoiceView.model_validate(invoice, from_attributes=True))


@router.get("/{payment_id}", response_model=PaymentResponse)
async def get_payment(payment_id: PaymentIdPath, db: PaymentsReadModel) -> PaymentResponse:
    row = await get_or_404(queries.get_payment(db, payment_id), f"payment {payment_id}")
    return PaymentResponse(payment=PaymentView.model_validate(row, from_attributes=True))
