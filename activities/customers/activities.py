"""What other services ask of customers: may this customer act?"""

from __future__ import annotations

from temporalio import activity

from domain.customers.model import Customer, authorize_customer
from readmodels.customers.queries import get_customer
from readmodels.shared.db import SessionFactory
from workflows.customers.messages import AuthorizeCustomer, AuthorizedCustomer
from workflows.shared.errors import domain_failures


class CustomersActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn
    async def authorize_customer(self, cmd: AuthorizeCustomer) -> AuthorizedCustomer:
        """Saga step 1: the customer is registered and enabled, else a non-retryable business failure. Answers
        only that (no name, no SMS number: the answer is recorded in the caller's history)."""
        row = await get_customer(self._sessions, cmd.customer_id)
        found = (
            None if row is None else Customer(id=row.id, name=row.name, sms_number=row.sms_number, enabled=row.enabled)
        )
        with domain_failures():
            customer = authorize_customer(found, cmd.customer_id)
        return AuthorizedCustomer(id=customer.id, enabled=customer.enabled)
