"""Notifications: tell the customer, by SMS through the gateway, about the order events they care about."""

from __future__ import annotations

from temporalio import activity

from activities.notifications.gateway import Sms, SmsGateway
from domain.notifications import order_message
from domain.ordering.events import OrderEvent
from readmodels.notifications import sends
from readmodels.notifications.queries import get_contact
from readmodels.shared.db import SessionFactory

# Attempts (about 25 s with the transient backoff) an order's message waits for its customer's contact. The
# customer's events reach notifications on their own, so after an outage an order's event can come first;
# retrying lets the contact land. A customer notifications never hears of gets a message without a number.
CONTACT_PATIENCE = 8


class ContactNotYetKnown(Exception):
    """Retried (never parked): the customer's CustomerRegistered may still be on its way."""


class NotificationsActivities:
    """``apply_order_event`` of the notifications service: its effect is a message, not a row."""

    def __init__(self, sessions: SessionFactory, gateway: SmsGateway) -> None:
        self._sessions = sessions
        self._gateway = gateway

    @activity.defn
    async def apply_order_event(self, event: OrderEvent) -> None:
        customer = await get_contact(self._sessions, event.order.customer_id)
        if customer is None and activity.info().attempt < CONTACT_PATIENCE:
            raise ContactNotYetKnown(f"notifications does not know customer {event.order.customer_id} yet")
        message = order_message(event.name, event.order, customer.name if customer else "")
        if message is None:
            return
        sms = Sms(
            id=f"{event.aggregate_id}:{event.number}",  # the message's key, and the gateway's idempotency key
            customer_id=event.order.customer_id,
            order_id=event.order.id,
            event_name=event.name,
            sms_number=customer.sms_number if customer else "",
            message=message,
            sent_at=event.occurred_at,
        )
        await self._send_once(sms)

    async def _send_once(self, sms: Sms) -> None:
        """At most once per message across retries and redeliveries (``readmodels.notifications.sends``)."""
        token = sends.new_claim()
        claimed = await sends.claim(self._sessions, sms.id, token)
        if claimed is sends.Claim.SENT:
            return
        if claimed is sends.Claim.IN_FLIGHT:
            raise sends.SendInFlight(f"the message {sms.id} is being sent by another attempt")
        try:
            await self._gateway.send(sms)
        except Exception:
            await sends.release(self._sessions, sms.id, token)  # not sent: the retry may send at once
            raise
        # (Cancelled mid-call, the claim stays: whether the provider took it is not known; see sends.)
        await sends.mark_sent(self._sessions, sms.id)
