from __future__ import annotations

from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError

from activities.payments.tables import InvoiceRow, PaymentRow
from activities.shared.db import SessionFactory, project
from activities.shared.temporal import create_entity, entity_is_gone, start_entity, update_entity
from domain.payments.events import InvoiceEvent, PaymentEvent
from domain.payments.invoice import Invoice
from domain.payments.model import Payment
from domain.shared.errors import Conflict, NotFound
from workflows.payments.invoice_workflow import InvoiceWorkflow
from workflows.payments.messages import (
    TASK_QUEUE,
    CapturePayment,
    CreateInvoice,
    InvoiceRef,
    InvoiceWorkflowInput,
    ReleasePayment,
    ReservePayment,
    invoice_workflow_id,
    payment_workflow_id,
)
from workflows.payments.payment_workflow import PaymentWorkflow
from workflows.shared.errors import business_failure


class PaymentsActivities:
    def __init__(self, sessions: SessionFactory, client: Client) -> None:
        self._sessions = sessions
        self._client = client

    @activity.defn(name="apply_payment_event")
    async def apply_payment_event(self, event: PaymentEvent) -> None:
        payment = event.payment
        await project(
            self._sessions,
            PaymentRow,
            {
                "id": payment.id,
                "customer_id": payment.customer_id,
                "amount": payment.amount,
                "status": payment.status.value,
                "order_id": payment.order_id,
                "version": event.number,
            },
        )

    @activity.defn(name="apply_invoice_event")
    async def apply_invoice_event(self, event: InvoiceEvent) -> None:
        invoice = event.invoice
        await project(
            self._sessions,
            InvoiceRow,
            {
                "id": invoice.id,
                "order_id": invoice.order_id,
                "customer_id": invoice.customer_id,
                "payment_id": invoice.payment_id,
                "amount": invoice.amount,
                "status": invoice.status.value,
                "version": event.number,
            },
        )

    async def _final_state(self, payment_id: str) -> Payment | None:
        """A closed payment workflow still answers queries: why it cannot be used any more."""
        try:
            result: Payment | None = await self._client.get_workflow_handle(payment_workflow_id(payment_id)).query(
                PaymentWorkflow.get_payment
            )
            return result
        except RPCError:
            return None

    @activity.defn(name="confirm_payment")
    async def confirm_payment(self, cmd: ReservePayment) -> Payment:
        """Saga step 3: the payment is this customer's, still authorized and covers the total."""
        try:
            result: Payment = await update_entity(
                self._client, payment_workflow_id(cmd.payment_id), PaymentWorkflow.reserve, cmd
            )
            return result
        except RPCError as err:
            if not entity_is_gone(err):
                raise
            final = await self._final_state(cmd.payment_id)
            if final is None:
                raise business_failure(NotFound(f"the payment {cmd.payment_id} does not exist")) from err
            raise business_failure(Conflict(f"the payment {cmd.payment_id} is {final.status.value}")) from err

    @activity.defn(name="release_payment")
    async def release_payment(self, cmd: ReleasePayment) -> None:
        """Compensation of step 3; a payment that is gone or already final has nothing left to release."""
        try:
            await update_entity(self._client, payment_workflow_id(cmd.payment_id), PaymentWorkflow.release, cmd)
        except RPCError as err:
            if not entity_is_gone(err):
                raise

    @activity.defn(name="capture_payment")
    async def capture_payment(self, cmd: CapturePayment) -> Payment:
        try:
            result: Payment = await update_entity(
                self._client, payment_workflow_id(cmd.payment_id), PaymentWorkflow.capture, cmd
            )
            return result
        except RPCError as err:
            if not entity_is_gone(err):
                raise
            final = await self._final_state(cmd.payment_id)
            if final is not None and final.status.value == "captured" and final.order_id == cmd.order_id:
                return final  # captured by an earlier attempt of this activity
            raise business_failure(Conflict(f"the payment {cmd.payment_id} cannot be captured")) from err

    @activity.defn(name="create_invoice")
    async def create_invoice(self, cmd: CreateInvoice) -> str:
        invoice = Invoice(
            id=cmd.invoice_id,
            order_id=cmd.order_id,
            customer_id=cmd.customer_id,
            payment_id=cmd.payment_id,
            amount=cmd.amount,
        )
        start = start_entity(
            InvoiceWorkflow.run,
            InvoiceWorkflowInput(invoice_id=cmd.invoice_id),
            id=invoice_workflow_id(cmd.invoice_id),
            task_queue=TASK_QUEUE,
            static_summary=f"Invoice {cmd.invoice_id[:8]}… · {cmd.amount}",
        )
        # None = opened by an earlier attempt and already paid or cancelled: it exists, which is the point.
        await create_entity(self._client, InvoiceWorkflow.open, invoice, start)
        return cmd.invoice_id

    @activity.defn(name="cancel_invoice")
    async def cancel_invoice(self, cmd: InvoiceRef) -> None:
        try:
            await update_entity(self._client, invoice_workflow_id(cmd.invoice_id), InvoiceWorkflow.cancel)
        except RPCError as err:
            if not entity_is_gone(err):
                raise
