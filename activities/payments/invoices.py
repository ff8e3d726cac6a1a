"""What the order asks of invoices: open one when it is ready (an invoice exists only once the order can no
longer be cancelled, so the saga never cancels one)."""

from __future__ import annotations

from temporalio import activity
from temporalio.client import Client

from domain.payments.invoice import Invoice
from workflows.payments.invoice_workflow import InvoiceWorkflow
from workflows.payments.messages import TASK_QUEUE, CreateInvoice, InvoiceWorkflowInput, invoice_workflow_id
from workflows.shared.client import create_entity, start_entity


class InvoicesActivities:
    def __init__(self, client: Client) -> None:
        self._client = client

    @activity.defn
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
