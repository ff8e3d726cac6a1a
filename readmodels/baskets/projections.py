"""Baskets' read models: its own baskets, and its copies of the stores and products it sells from."""

from __future__ import annotations

from temporalio import activity

from domain.baskets.events import BasketEvent
from domain.stores.events import ProductEvent, StoreEvent
from readmodels.baskets.tables import BasketProductCache, BasketRow, BasketStoreCache
from readmodels.shared.db import SessionFactory, project_snapshot


class BasketsProjections:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn
    async def apply_basket_event(self, event: BasketEvent) -> None:
        await project_snapshot(self._sessions, BasketRow, event.basket, event.number)

    @activity.defn
    async def apply_store_event(self, event: StoreEvent) -> None:
        await project_snapshot(self._sessions, BasketStoreCache, event.store, event.number)

    @activity.defn
    async def apply_product_event(self, event: ProductEvent) -> None:
        await project_snapshot(self._sessions, BasketProductCache, event.product, event.number)
