from __future__ import annotations

from sqlmodel import select
from temporalio import activity

from activities.baskets.tables import BasketProductCache, BasketRow, BasketStoreCache
from activities.shared.db import SessionFactory, project
from domain.baskets import model as rules
from domain.baskets.events import BasketEvent
from domain.baskets.model import CatalogProduct
from domain.ordering.model import OrderItem
from workflows.ordering.messages import PriceItems
from workflows.shared.errors import domain_failures


async def catalog_products(sessions: SessionFactory, product_ids: list[str]) -> dict[str, CatalogProduct]:
    """Products as baskets know them (their own cache of stores events), with their store's name."""
    async with sessions() as session:
        query = (
            select(BasketProductCache, BasketStoreCache)
            .join(BasketStoreCache, BasketStoreCache.id == BasketProductCache.store_id)  # type: ignore[arg-type]
            .where(BasketProductCache.id.in_(product_ids))  # type: ignore[attr-defined]
        )
        rows = (await session.exec(query)).all()
    return {
        product.id: CatalogProduct(
            id=product.id,
            store_id=product.store_id,
            store_name=store.name,
            name=product.name,
            price=product.price,
            store_participating=store.participating,
            removed=product.removed,
        )
        for product, store in rows
    }


class BasketsActivities:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    @activity.defn(name="apply_basket_event")
    async def apply_basket_event(self, event: BasketEvent) -> None:
        basket = event.basket
        await project(
            self._sessions,
            BasketRow,
            {
                "id": basket.id,
                "customer_id": basket.customer_id,
                "status": basket.status.value,
                "items": [item.model_dump(mode="json") for item in basket.items],
                "total": basket.total,
                "payment_id": basket.payment_id,
                "version": event.number,
            },
        )

    @activity.defn(name="price_items")
    async def price_items(self, request: PriceItems) -> list[OrderItem]:
        """Prices a direct order (no basket) from the same cache baskets use."""
        with domain_failures():
            known = await catalog_products(self._sessions, [i.product_id for i in request.items])
            lines = [rules.priced_line(known.get(w.product_id), w.product_id, w.quantity) for w in request.items]
            return rules.order_items(lines)
