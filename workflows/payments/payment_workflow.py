from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.customers.activities import CustomersActivities
    from domain.payments import model as rules
    from domain.payments.model import Payment, PaymentStatus
    from workflows.customers.messages import TASK_QUEUE as CUSTOMERS_QUEUE
    from workflows.customers.messages import AuthorizeCustomer
    from workflows.payments.messages import (
        PAYMENT,
        AuthorizePayment,
        CapturePayment,
        PaymentWorkflowInput,
        ReleasePayment,
        ReservePayment,
    )
    from workflows.shared.activity_options import LOCAL_AUTHORIZE_PATCH, run_command
    from workflows.shared.entity import Entity


@workflow.defn
class PaymentWorkflow:
    """One payment authorization, ``payment:<id>``: expires if not used within its time to live."""

    ENTITY = PAYMENT  # what it is, what it emits, who receives it: declared once in its messages.py

    @workflow.init
    def __init__(self, input: PaymentWorkflowInput) -> None:
        self._id = input.payment_id
        self._start_failed = False
        self._entity: Entity[Payment] = Entity(self.ENTITY, state=input.payment, number=input.number)

    def _status(self) -> PaymentStatus | None:
        return None if self._entity.state is None else self._entity.state.status

    @workflow.run
    async def run(self, input: PaymentWorkflowInput) -> Payment | None:
        await workflow.wait_condition(lambda: self._entity.state is not None or self._start_failed)
        if self._entity.state is None:
            return None
        try:
            await workflow.wait_condition(
                lambda: self._status() is not PaymentStatus.AUTHORIZED,
                timeout=timedelta(seconds=input.ttl_seconds),
            )
        except TimeoutError:
            await self._entity.apply("payments.PaymentExpired", lambda: rules.expire_payment(self._entity.current()))
        await workflow.wait_condition(lambda: self._entity.current().final)
        await self._entity.quiesce()
        return self._entity.state

    @workflow.update
    async def authorize(self, cmd: AuthorizePayment) -> Payment:
        if self._entity.state is not None:
            return self._entity.state  # a repeated authorization is answered, not applied twice
        try:
            # Only a known, enabled customer authorizes a payment.
            authorize = AuthorizeCustomer(customer_id=cmd.customer_id)
            await run_command(
                CustomersActivities.authorize_customer,
                authorize,
                task_queue=CUSTOMERS_QUEUE,
                patch=LOCAL_AUTHORIZE_PATCH,
            )
        except Exception:
            self._start_failed = True
            raise
        return await self._entity.apply(
            "payments.PaymentAuthorized",
            lambda: rules.authorize_payment(self._id, cmd.customer_id, cmd.amount),
        )

    @authorize.validator
    def _validate_authorize(self, cmd: AuthorizePayment) -> None:
        if self._entity.state is None:
            self._entity.check(lambda: rules.authorize_payment(self._id, cmd.customer_id, cmd.amount))

    def _reserve(self, cmd: ReservePayment) -> Payment:
        return rules.reserve_payment(self._entity.state, self._id, cmd.customer_id, cmd.order_id, cmd.total)

    @workflow.update
    async def reserve(self, cmd: ReservePayment) -> Payment:
        current = self._entity.current()
        if current.status is PaymentStatus.RESERVED and current.order_id == cmd.order_id:
            return current
        return await self._entity.apply("payments.PaymentReserved", lambda: self._reserve(cmd))

    @reserve.validator
    def _validate_reserve(self, cmd: ReservePayment) -> None:
        self._entity.check(lambda: self._reserve(cmd))

    @workflow.update
    async def release(self, cmd: ReleasePayment) -> Payment:
        """Answers the payment as it ends up: released, or as it was when this order held nothing of it."""
        current = self._entity.current()
        if self._release(current, cmd) == current:
            return current  # nothing this order holds: nothing to write
        return await self._entity.apply("payments.PaymentReleased", lambda: self._release(self._entity.current(), cmd))

    def _release(self, payment: Payment, cmd: ReleasePayment) -> Payment:
        return rules.release_payment(payment, cmd.order_id)

    @workflow.update
    async def capture(self, cmd: CapturePayment) -> Payment:
        current = self._entity.current()
        if current.status is PaymentStatus.CAPTURED and current.order_id == cmd.order_id:
            return current
        return await self._entity.apply(
            "payments.PaymentCaptured", lambda: rules.capture_payment(self._entity.current(), cmd.order_id)
        )

    @capture.validator
    def _validate_capture(self, cmd: CapturePayment) -> None:
        self._entity.check(lambda: rules.capture_payment(self._entity.current(), cmd.order_id))

    @workflow.query
    def get_payment(self) -> Payment | None:
        return self._entity.state
