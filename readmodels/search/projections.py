"""Search's read models: the denormalized order view, and its copies of customer, store and product names."""

from __future__ import annotations

from temporalio import activity

from domain.customers.events import CustomerEvent
from domain.ordering.events import OrderEvent
from domain.stores.events import ProductEvent, StoreEvent
from readmodels.search.tables import SearchCustomerCache, SearchOrderView, SearchProductCache, SearchStoreCache
from readmodels.shared.db import SessionFactory, get_row, project_snapshot


class SearchProjections:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn
    async def apply_customer_event(self, event: CustomerEvent) -> None:
        await project_snapshot(self._sessions, SearchCustomerCache, event.customer, event.number)

    @activity.defn
    async def apply_store_event(self, event: StoreEvent) -> None:
        await project_snapshot(self._sessions, SearchStoreCache, event.store, event.number)

    @activity.defn
    async def apply_product_event(self, event: ProductEvent) -> None:
        await project_snapshot(self._sessions, SearchProductCache, event.product, event.number)

    @activity.defn
    async def apply_order_event(self, event: OrderEvent) -> None:
        """The order as search shows it; the customer's name comes from search's own cache."""
        order = event.order
        customer = await get_row(self._sessions, SearchCustomerCache, order.customer_id)
        await project_snapshot(
            self._sessions,
            SearchOrderView,
            order,
            event.number,
            customer_name=customer.name if customer else "",
            product_ids=sorted({i.product_id for i in order.items}),
            created_at=order.created_at or event.occurred_at,
            updated_at=order.updated_at or event.occurred_at,
        )
