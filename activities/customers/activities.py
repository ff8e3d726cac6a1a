from __future__ import annotations

from temporalio import activity

from activities.customers.tables import CustomerRow
from activities.shared.db import SessionFactory, project
from domain.customers.events import CustomerEvent
from domain.customers.model import Customer, authorize_customer
from workflows.customers.messages import AuthorizeCustomer
from workflows.shared.errors import domain_failures


class CustomersActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn(name="apply_customer_event")
    async def apply_customer_event(self, event: CustomerEvent) -> None:
        customer = event.customer
        await project(
            self._sessions,
            CustomerRow,
            {
                "id": customer.id,
                "name": customer.name,
                "sms_number": customer.sms_number,
                "enabled": customer.enabled,
                "version": event.number,
            },
        )

    @activity.defn(name="authorize_customer")
    async def authorize_customer(self, cmd: AuthorizeCustomer) -> Customer:
        """Saga step 1: the customer is registered and enabled, else a non-retryable business failure."""
        async with self._sessions() as session:
            row = await session.get(CustomerRow, cmd.customer_id)
        found = (
            None if row is None else Customer(id=row.id, name=row.name, sms_number=row.sms_number, enabled=row.enabled)
        )
        with domain_failures():
            return authorize_customer(found, cmd.customer_id)
