"""Reads of depot's read models: shopping lists, and the stores and products a new list names."""

from __future__ import annotations

from sqlmodel import col, select

from domain.depot.model import DepotProduct, DepotStore, ShoppingListStatus
from readmodels.depot.tables import DepotProductCache, DepotStoreCache, ShoppingListRow
from readmodels.shared.db import SessionFactory, get_row


async def get_shopping_list(sessions: SessionFactory, list_id: str) -> ShoppingListRow | None:
    return await get_row(sessions, ShoppingListRow, list_id)


async def shopping_lists(sessions: SessionFactory, status: ShoppingListStatus | None = None) -> list[ShoppingListRow]:
    query = select(ShoppingListRow).order_by(col(ShoppingListRow.id))
    if status is not None:
        query = query.where(ShoppingListRow.status == status.value)
    async with sessions() as session:
        return list((await session.exec(query)).all())


async def products_and_their_stores(
    sessions: SessionFactory, product_ids: list[str]
) -> tuple[dict[str, DepotStore], dict[str, DepotProduct]]:
    """Depot's copies of these products and of the stores that sell them (unknown IDs are left out)."""
    async with sessions() as session:
        products = (
            await session.exec(select(DepotProductCache).where(col(DepotProductCache.id).in_(product_ids)))
        ).all()
        store_ids = list({p.store_id for p in products})
        stores = (await session.exec(select(DepotStoreCache).where(col(DepotStoreCache.id).in_(store_ids)))).all()
    return (
        {s.id: DepotStore(id=s.id, name=s.name, location=s.location, participating=s.participating) for s in stores},
        {p.id: DepotProduct(id=p.id, store_id=p.store_id, name=p.name, removed=p.removed) for p in products},
    )
