"""Depot's read model, for the workflows of depot's own worker: what a shopping list is made of."""

from __future__ import annotations

from temporalio import activity

from readmodels.depot.queries import products_and_their_stores
from readmodels.shared.db import SessionFactory
from workflows.depot.messages import DepotCatalog


class DepotActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn
    async def look_up_products(self, product_ids: list[str]) -> DepotCatalog:
        """For a list being opened (a local activity of its workflow, on depot's worker): depot's copies of these
        products and of their stores; the list's rule decides what an unknown or removed one means."""
        stores, products = await products_and_their_stores(self._sessions, product_ids)
        return DepotCatalog(stores=stores, products=products)
