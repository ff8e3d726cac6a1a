"""What the order asks of invoices: open one when it is ready, cancel it when the order is cancelled."""

from __future__ import annotations

import contextlib

from temporalio import activity
from temporalio.client import Client

from domain.payments.invoice import Invoice
from workflows.payments.invoice_workflow import InvoiceWorkflow
from workflows.payments.messages import TASK_QUEUE, CreateInvoice, InvoiceRef, InvoiceWorkflowInput, invoice_workflow_id
from workflows.shared.client import EntityGone, create_entity, start_entity, update_entity


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

    @activity.defn
    async def cancel_invoice(self, cmd: InvoiceRef) -> None:
        """A compensation; an invoice never opened, or already closed, needs nothing."""
        with contextlib.suppress(EntityGone):
            await update_entity(self._client, invoice_workflow_id(cmd.invoice_id), InvoiceWorkflow.cancel)
