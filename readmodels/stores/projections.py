"""What stores events do to the stores service's own read models."""

from __future__ import annotations

from temporalio import activity

from domain.stores.events import ProductEvent, StoreEvent
from readmodels.shared.db import SessionFactory, project_snapshot
from readmodels.stores.tables import ProductRow, StoreRow


class StoresProjections:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn
    async def apply_store_event(self, event: StoreEvent) -> None:
        await project_snapshot(self._sessions, StoreRow, event.store, event.number)

    @activity.defn
    async def apply_product_event(self, event: ProductEvent) -> None:
        await project_snapshot(self._sessions, ProductRow, event.product, event.number)
