"""What payment and invoice events do to the payments service's own read models."""

from __future__ import annotations

from temporalio import activity

from domain.payments.events import InvoiceEvent, PaymentEvent
from readmodels.payments.tables import InvoiceRow, PaymentRow
from readmodels.shared.db import SessionFactory, project_snapshot


class PaymentsProjections:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn
    async def apply_payment_event(self, event: PaymentEvent) -> None:
        await project_snapshot(self._sessions, PaymentRow, event.payment, event.number)

    @activity.defn
    async def apply_invoice_event(self, event: InvoiceEvent) -> None:
        await project_snapshot(self._sessions, InvoiceRow, event.invoice, event.number)
