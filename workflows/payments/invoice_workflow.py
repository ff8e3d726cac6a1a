from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.payments.payments import PaymentsActivities
    from domain.payments import invoice as rules
    from domain.payments.invoice import Invoice, InvoiceStatus
    from workflows.ordering.messages import InvoicePaid, order_workflow_id
    from workflows.ordering.signals import OrderSignals
    from workflows.payments.messages import INVOICE, CapturePayment, InvoiceWorkflowInput
    from workflows.payments.messages import TASK_QUEUE as PAYMENTS_QUEUE
    from workflows.shared.activity_options import run_command
    from workflows.shared.entity import Entity


@workflow.defn
class InvoiceWorkflow:
    """``invoice:<id>`` (invoice ID = order ID): paying it captures the payment and completes the order."""

    ENTITY = INVOICE  # what it is, what it emits, who receives it: declared once in its messages.py

    @workflow.init
    def __init__(self, input: InvoiceWorkflowInput) -> None:
        self._id = input.invoice_id
        self._entity: Entity[Invoice] = Entity(self.ENTITY, state=input.invoice, number=input.number)

    @workflow.run
    async def run(self, input: InvoiceWorkflowInput) -> Invoice | None:
        await workflow.wait_condition(
            lambda: self._entity.state is not None and self._entity.state.status is not InvoiceStatus.PENDING
        )
        await self._entity.quiesce()
        return self._entity.state

    @workflow.update
    async def open(self, invoice: Invoice) -> Invoice:
        if self._entity.state is not None:
            return self._entity.state  # a retried activity finds the invoice it opened
        workflow.set_current_details(f"Invoice for order {invoice.order_id} · {invoice.amount}")
        return await self._entity.apply("payments.InvoiceCreated", lambda: invoice)

    @workflow.update
    async def pay(self) -> Invoice:
        return await self._entity.apply(
            "payments.InvoicePaid",
            lambda: rules.pay_invoice(self._entity.current()),
            before_commit=self._settle,
        )

    @pay.validator
    def _validate_pay(self) -> None:
        self._entity.check(lambda: rules.pay_invoice(self._entity.current()))

    async def _settle(self, invoice: Invoice) -> None:
        """Capture the reserved payment, then tell the order: both before the invoice counts as paid."""
        capture = CapturePayment(payment_id=invoice.payment_id, order_id=invoice.order_id)
        # The payment runs on this same worker: run_command sends it as an activity, never locally.
        await run_command(PaymentsActivities.capture_payment, capture, task_queue=PAYMENTS_QUEUE)
        order = workflow.get_external_workflow_handle(order_workflow_id(invoice.order_id))
        await order.signal(OrderSignals.invoice_paid, InvoicePaid(invoice_id=invoice.id))

    @workflow.update
    async def cancel(self) -> Invoice:
        """Compensation: a paid or cancelled invoice is answered as it is (retries are safe)."""
        current = self._entity.current()
        if current.status is not InvoiceStatus.PENDING:
            return current
        return await self._entity.apply("payments.InvoiceCancelled", self._cancelled_unless_closed)

    def _cancelled_unless_closed(self) -> Invoice:
        """Under the lock: a pay that took it first wins, and the cancel answers the paid invoice."""
        current = self._entity.current()
        return current if current.status is not InvoiceStatus.PENDING else rules.cancel_invoice(current)

    @workflow.query
    def get_invoice(self) -> Invoice | None:
        return self._entity.state
