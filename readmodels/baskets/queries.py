"""Reads of baskets' read models: baskets, and the catalogue as baskets know it."""

from __future__ import annotations

from sqlmodel import col, select

from domain.baskets.model import CatalogProduct
from readmodels.baskets.tables import BasketProductCache, BasketRow, BasketStoreCache
from readmodels.shared.db import SessionFactory, get_row


async def get_basket(sessions: SessionFactory, basket_id: str) -> BasketRow | None:
    return await get_row(sessions, BasketRow, basket_id)


async def catalog_products(sessions: SessionFactory, product_ids: list[str]) -> dict[str, CatalogProduct]:
    """Products as baskets know them (their own cache of stores events), with their store's name."""
    query = (
        select(BasketProductCache, BasketStoreCache)
        .join(BasketStoreCache, col(BasketStoreCache.id) == col(BasketProductCache.store_id))
        .where(col(BasketProductCache.id).in_(product_ids))
    )
    async with sessions() as session:
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
