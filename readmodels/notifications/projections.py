"""Notifications' copy of customers (name, SMS number): whom to tell about an order, and how."""

from __future__ import annotations

from temporalio import activity

from domain.customers.events import CustomerEvent
from readmodels.notifications.tables import NotificationCustomerCache
from readmodels.shared.db import SessionFactory, project_snapshot


class NotificationsProjections:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn
    async def apply_customer_event(self, event: CustomerEvent) -> None:
        await project_snapshot(self._sessions, NotificationCustomerCache, event.customer, event.number)
