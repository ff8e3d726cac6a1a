from __future__ import annotations

from temporalio import activity

from activities.notifications.gateway import RecordingGateway, Sms, SmsGateway
from activities.notifications.tables import NotificationCustomerCache
from activities.shared.db import SessionFactory, project
from domain.customers.events import CustomerEvent
from domain.notifications import order_message
from domain.ordering.events import OrderEvent


class NotificationsActivities:
    def __init__(self, sessions: SessionFactory, gateway: SmsGateway | None = None) -> None:
        self._sessions = sessions
        self._gateway = gateway or RecordingGateway(sessions)

    @activity.defn(name="apply_customer_event")
    async def apply_customer_event(self, event: CustomerEvent) -> None:
        customer = event.customer
        await project(
            self._sessions,
            NotificationCustomerCache,
            {
                "id": customer.id,
                "name": customer.name,
                "sms_number": customer.sms_number,
                "version": event.number,
            },
        )

    @activity.defn(name="apply_order_event")
    async def apply_order_event(self, event: OrderEvent) -> None:
        """Tell the customer, by SMS through the gateway, about the order events they care about."""
        async with self._sessions() as session:
            customer = await session.get(NotificationCustomerCache, event.order.customer_id)
        message = order_message(event.name, event.order, customer.name if customer else "")
        if message is None:
            return
        await self._gateway.send(
            Sms(
                id=f"{event.aggregate_id}:{event.number}",
                customer_id=event.order.customer_id,
                order_id=event.order.id,
                event_name=event.name,
                sms_number=customer.sms_number if customer else "",
                message=message,
                sent_at=event.occurred_at,
            )
        )
