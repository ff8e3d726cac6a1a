from __future__ import annotations

from temporalio import activity

from activities.search.tables import (
    SearchCustomerCache,
    SearchOrderView,
    SearchProductCache,
    SearchStoreCache,
)
from activities.shared.db import SessionFactory, project
from domain.customers.events import CustomerEvent
from domain.ordering.events import OrderEvent
from domain.stores.events import ProductEvent, StoreEvent


class SearchCacheProjections:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn(name="apply_customer_event")
    async def apply_customer_event(self, event: CustomerEvent) -> None:
        await project(
            self._sessions,
            SearchCustomerCache,
            {"id": event.customer.id, "name": event.customer.name, "version": event.number},
        )

    @activity.defn(name="apply_store_event")
    async def apply_store_event(self, event: StoreEvent) -> None:
        await project(
            self._sessions,
            SearchStoreCache,
            {"id": event.store.id, "name": event.store.name, "version": event.number},
        )

    @activity.defn(name="apply_product_event")
    async def apply_product_event(self, event: ProductEvent) -> None:
        product = event.product
        await project(
            self._sessions,
            SearchProductCache,
            {"id": product.id, "store_id": product.store_id, "name": product.name, "version": event.number},
        )

    @activity.defn(name="apply_order_event")
    async def apply_order_event(self, event: OrderEvent) -> None:
        """The order as search shows it; the customer's name comes from search's own cache."""
        order = event.order
        async with self._sessions() as session:
            customer = await session.get(SearchCustomerCache, order.customer_id)
        await project(
            self._sessions,
            SearchOrderView,
            {
                "id": order.id,
                "customer_id": order.customer_id,
                "customer_name": customer.name if customer else "",
                "items": [item.model_dump(mode="json") for item in order.items],
                "store_ids": order.store_ids,
                "product_ids": sorted({i.product_id for i in order.items}),
                "total": order.total,
                "status": order.status.value,
                "created_at": order.created_at or event.occurred_at,
                "updated_at": order.updated_at or event.occurred_at,
                "version": event.number,
            },
        )
