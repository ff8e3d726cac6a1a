from __future__ import annotations

from temporalio import activity

from activities.search.tables import SearchCustomerCache, SearchProductCache, SearchStoreCache
from activities.shared.db import SessionFactory, project
from domain.customers.events import CustomerEvent
from domain.stores.events import ProductEvent, StoreEvent


class SearchCacheProjections:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn(name="apply_customer_event")
    async def apply_customer_event(self, event: CustomerEvent) -> None:
        await project(
            self._sessions,
            SearchCustomerCache.__table__,  # type: ignore[arg-type]
            {"id": event.customer.id, "name": event.customer.name, "version": event.number},
        )

    @activity.defn(name="apply_store_event")
    async def apply_store_event(self, event: StoreEvent) -> None:
        await project(
            self._sessions,
            SearchStoreCache.__table__,  # type: ignore[arg-type]
            {"id": event.store.id, "name": event.store.name, "version": event.number},
        )

    @activity.defn(name="apply_product_event")
    async def apply_product_event(self, event: ProductEvent) -> None:
        product = event.product
        await project(
            self._sessions,
            SearchProductCache.__table__,  # type: ignore[arg-type]
            {"id": product.id, "store_id": product.store_id, "name": product.name, "version": event.number},
        )
