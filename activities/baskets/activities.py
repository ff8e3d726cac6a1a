"""What the saga asks of baskets: pricing a direct order from baskets' copy of the catalogue."""

from __future__ import annotations

from temporalio import activity

from domain.baskets import model as rules
from domain.ordering.model import OrderItem
from readmodels.baskets.queries import catalog_products
from readmodels.shared.db import SessionFactory
from workflows.ordering.messages import PriceItems
from workflows.shared.errors import domain_failures


class BasketsActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn
    async def price_items(self, request: PriceItems) -> list[OrderItem]:
        """Prices a direct order (no basket) from the same cache baskets use."""
        with domain_failures():
            known = await catalog_products(self._sessions, [i.product_id for i in request.items])
            lines = [rules.priced_line(known.get(w.product_id), w.product_id, w.quantity) for w in request.items]
            return rules.order_items(lines)
