"""Notifications: tell the customer, by SMS through the gateway, about the order events they care about."""

from __future__ import annotations

from temporalio import activity

from activities.notifications.gateway import Sms, SmsGateway
from domain.notifications import order_message
from domain.ordering.events import OrderEvent
from readmodels.notifications.queries import get_contact
from readmodels.shared.db import SessionFactory


class NotificationsActivities:
    """``apply_order_event`` of the notifications service: its effect is a message, not a row."""

    def __init__(self, sessions: SessionFactory, gateway: SmsGateway) -> None:
        self._sessions = sessions
        self._gateway = gateway

    @activity.defn
    async def apply_order_event(self, event: OrderEvent) -> None:
        customer = await get_contact(self._sessions, event.order.customer_id)
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
