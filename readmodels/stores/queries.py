"""Reads of the stores service's read models (what ``/api/stores`` answers)."""

from __future__ import annotations

from sqlmodel import col, select

from readmodels.shared.db import SessionFactory, get_row
from readmodels.stores.tables import ProductRow, StoreRow


async def get_store(sessions: SessionFactory, store_id: str) -> StoreRow | None:
    return await get_row(sessions, StoreRow, store_id)


async def list_stores(sessions: SessionFactory, *, participating_only: bool = False) -> list[StoreRow]:
    """By name (then ID, so stores of one name keep a stable order)."""
    query = select(StoreRow).order_by(col(StoreRow.name), col(StoreRow.id))
    if participating_only:
        query = query.where(col(StoreRow.participating))
    async with sessions() as session:
        return list((await session.exec(query)).all())


async def get_product(sessions: SessionFactory, product_id: str) -> ProductRow | None:
    """A product still on sale (a removed product is kept, as its last event left it, but not shown)."""
    row = await get_row(sessions, ProductRow, product_id)
    return None if row is None or row.removed else row


async def catalog(sessions: SessionFactory, store_id: str) -> list[ProductRow]:
    """The store's products on sale, by name."""
    query = (
        select(ProductRow)
        .where(ProductRow.store_id == store_id, col(ProductRow.removed).is_(False))
        .order_by(col(ProductRow.name), col(ProductRow.id))
    )
    async with sessions() as session:
        return list((await session.exec(query)).all())
