from __future__ import annotations

from temporalio import activity

from activities.ordering.tables import OrderRow
from activities.shared.db import SessionFactory, project
from domain.ordering.events import OrderEvent


class OrderingProjections:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn(name="apply_order_event")
    async def apply_order_event(self, event: OrderEvent) -> None:
        order = event.order
        await project(
            self._sessions,
            OrderRow,
            {
                "id": order.id,
                "customer_id": order.customer_id,
                "payment_id": order.payment_id,
                "basket_id": order.basket_id,
                "items": [item.model_dump(mode="json") for item in order.items],
                "total": order.total,
                "status": order.status.value,
                "shopping_id": order.shopping_id,
                "invoice_id": order.invoice_id,
                "reason": order.reason,
                "created_at": order.created_at or event.occurred_at,
                "updated_at": order.updated_at or event.occurred_at,
                "version": event.number,
            },
        )
