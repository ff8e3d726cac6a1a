"""What the saga and the invoice ask of a payment authorization: reserve it, release it, capture it."""

from __future__ import annotations

import contextlib

from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError

from domain.payments.model import Payment, PaymentStatus
from domain.shared.errors import Conflict, NotFound
from workflows.payments.messages import CapturePayment, ReleasePayment, ReservePayment, payment_workflow_id
from workflows.payments.payment_workflow import PaymentWorkflow
from workflows.shared.client import EntityGone, update_entity
from workflows.shared.errors import business_failure


class PaymentsActivities:
    def __init__(self, client: Client) -> None:
        self._client = client

    async def _final_state(self, payment_id: str) -> Payment | None:
        """A closed payment workflow still answers queries: why it cannot be used any more."""
        with contextlib.suppress(RPCError):
            found: Payment | None = await self._client.get_workflow_handle(payment_workflow_id(payment_id)).query(
                PaymentWorkflow.get_payment
            )
            return found
        return None

    @activity.defn
    async def confirm_payment(self, cmd: ReservePayment) -> Payment:
        """Saga step 3: the payment is this customer's, still authorized and covers the total."""
        try:
            reserved: Payment = await update_entity(
                self._client, payment_workflow_id(cmd.payment_id), PaymentWorkflow.reserve, cmd
            )
            return reserved
        except EntityGone as err:
            final = await self._final_state(cmd.payment_id)
            if final is None:
                raise business_failure(NotFound(f"the payment {cmd.payment_id} does not exist")) from err
            raise business_failure(Conflict(f"the payment {cmd.payment_id} is {final.status.value}")) from err

    @activity.defn
    async def release_payment(self, cmd: ReleasePayment) -> Payment | None:
        """Compensation of step 3: frees this order's reservation. Answers the payment as it ends up (None:
        it never existed); one that is gone or already final has nothing left to release."""
        try:
            released: Payment = await update_entity(
                self._client, payment_workflow_id(cmd.payment_id), PaymentWorkflow.release, cmd
            )
            return released
        except EntityGone:
            return await self._final_state(cmd.payment_id)

    @activity.defn
    async def capture_payment(self, cmd: CapturePayment) -> Payment:
        try:
            captured: Payment = await update_entity(
                self._client, payment_workflow_id(cmd.payment_id), PaymentWorkflow.capture, cmd
            )
            return captured
        except EntityGone as err:
            final = await self._final_state(cmd.payment_id)
            if final is not None and final.status is PaymentStatus.CAPTURED and final.order_id == cmd.order_id:
                return final  # captured by an earlier attempt of this activity
            raise business_failure(Conflict(f"the payment {cmd.payment_id} cannot be captured")) from err
