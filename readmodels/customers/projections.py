"""What customers events do to the customers service's own read model."""

from __future__ import annotations

from temporalio import activity

from domain.customers.events import CustomerEvent
from readmodels.customers.tables import CustomerRow
from readmodels.shared.db import SessionFactory, project_snapshot


class CustomersProjections:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn
    async def apply_customer_event(self, event: CustomerEvent) -> None:
        await project_snapshot(self._sessions, CustomerRow, event.customer, event.number)
