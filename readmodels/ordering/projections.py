"""What ordering events do to the ordering service's own read model."""

from __future__ import annotations

from temporalio import activity

from domain.ordering.events import OrderEvent
from readmodels.ordering.tables import OrderRow
from readmodels.shared.db import SessionFactory, project_snapshot


class OrderingProjections:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn
    async def apply_order_event(self, event: OrderEvent) -> None:
        order = event.order
        await project_snapshot(
            self._sessions,
            OrderRow,
            order,
            event.number,
            created_at=order.created_at or event.occurred_at,
            updated_at=order.updated_at or event.occurred_at,
        )
