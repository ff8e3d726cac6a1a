"""Depot's read models: its shopping lists, and its copies of stores (name, location, participation)
and products (name)."""

from __future__ import annotations

from temporalio import activity

from domain.depot.events import ShoppingListEvent
from domain.stores.events import ProductEvent, StoreEvent
from readmodels.depot.tables import DepotProductCache, DepotStoreCache, ShoppingListRow
from readmodels.shared.db import SessionFactory, project_snapshot


class DepotProjections:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn
    async def apply_shopping_list_event(self, event: ShoppingListEvent) -> None:
        await project_snapshot(self._sessions, ShoppingListRow, event.shopping_list, event.number)

    @activity.defn
    async def apply_store_event(self, event: StoreEvent) -> None:
        await project_snapshot(self._sessions, DepotStoreCache, event.store, event.number)

    @activity.defn
    async def apply_product_event(self, event: ProductEvent) -> None:
        await project_snapshot(self._sessions, DepotProductCache, event.product, event.number)
