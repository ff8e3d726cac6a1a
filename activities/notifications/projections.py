from __future__ import annotations

from temporalio import activity

from activities.notifications.tables import NotificationCustomerCache
from activities.shared.db import SessionFactory, project
from domain.customers.events import CustomerEvent


class NotificationsCacheProjections:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn(name="apply_customer_event")
    async def apply_customer_event(self, event: CustomerEvent) -> None:
        customer = event.customer
        await project(
            self._sessions,
            NotificationCustomerCache.__table__,  # type: ignore[arg-type]
            {
                "id": customer.id,
                "name": customer.name,
                "sms_number": customer.sms_number,
                "version": event.number,
            },
        )
