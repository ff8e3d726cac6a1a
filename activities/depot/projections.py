from __future__ import annotations

from temporalio import activity

from activities.depot.tables import DepotProductCache, DepotStoreCache
from activities.shared.db import SessionFactory, project
from domain.stores.events import ProductEvent, StoreEvent


class DepotCacheProjections:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn(name="apply_store_event")
    async def apply_store_event(self, event: StoreEvent) -> None:
        store = event.store
        await project(
            self._sessions,
            DepotStoreCache,
            {
                "id": store.id,
                "name": store.name,
                "location": store.location,
                "participating": store.participating,
                "version": event.number,
            },
        )

    @activity.defn(name="apply_product_event")
    async def apply_product_event(self, event: ProductEvent) -> None:
        product = event.product
        await project(
            self._sessions,
            DepotProductCache,
            {
                "id": product.id,
                "store_id": product.store_id,
                "name": product.name,
                "removed": product.removed,
                "version": event.number,
            },
        )
