"""Reads of the order search view. Names come from search's own caches at query time, so an order
placed before a rebrand is found and shown under today's names (the names captured in the order are
kept in the view and used when a cache has not heard of the store, product or customer)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import tuple_
from sqlmodel import col, select

from domain.search import Cursor, OrderFilters
from readmodels.search.tables import SearchCustomerCache, SearchOrderView, SearchProductCache, SearchStoreCache
from readmodels.shared.db import SessionFactory


async def find_orders(
    sessions: SessionFactory, filters: OrderFilters, after: Cursor | None, limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` + 1 orders (the extra one tells the caller there is a next page)."""
    query = select(SearchOrderView)
    if filters.customer_id:
        query = query.where(SearchOrderView.customer_id == filters.customer_id)
    if filters.after:
        query = query.where(col(SearchOrderView.created_at) >= filters.after)
    if filters.before:
        query = query.where(col(SearchOrderView.created_at) < filters.before)
    if filters.store_ids:
        query = query.where(col(SearchOrderView.store_ids).overlap(list(filters.store_ids)))  # type: ignore[attr-defined]
    if filters.product_ids:
        query = query.where(col(SearchOrderView.product_ids).overlap(list(filters.product_ids)))  # type: ignore[attr-defined]
    if filters.min_total is not None:
        query = query.where(col(SearchOrderView.total) >= filters.min_total)
    if filters.max_total is not None:
        query = query.where(col(SearchOrderView.total) <= filters.max_total)
    if filters.status is not None:
        query = query.where(SearchOrderView.status == filters.status.value)
    if after is not None:
        query = query.where(
            tuple_(col(SearchOrderView.created_at), col(SearchOrderView.id)) < tuple_(after.created_at, after.id)
        )
    query = query.order_by(col(SearchOrderView.created_at).desc(), col(SearchOrderView.id).desc()).limit(limit + 1)
    async with sessions() as session:
        rows = (await session.exec(query)).all()
        return await _with_current_names(session, rows)


async def get_order(sessions: SessionFactory, order_id: str) -> dict[str, Any] | None:
    async with sessions() as session:
        row = await session.get(SearchOrderView, order_id)
        if row is None:
            return None
        return (await _with_current_names(session, [row]))[0]


async def _with_current_names(session: Any, rows: Sequence[SearchOrderView]) -> list[dict[str, Any]]:
    customer_ids = {r.customer_id for r in rows}
    store_ids = {item["store_id"] for r in rows for item in r.items}
    product_ids = {item["product_id"] for r in rows for item in r.items}
    customers = await _names(session, SearchCustomerCache, customer_ids)
    stores = await _names(session, SearchStoreCache, store_ids)
    products = await _names(session, SearchProductCache, product_ids)
    found = []
    for row in rows:
        items = [
            {
                **item,
                "store_name": stores.get(item["store_id"], item["store_name"]),
                "product_name": products.get(item["product_id"], item["product_name"]),
            }
            for item in row.items
        ]
        found.append(
            {
                "id": row.id,
                "customer_id": row.customer_id,
                "customer_name": customers.get(row.customer_id, row.customer_name),
                "items": items,
                "total": row.total,
                "status": row.status,
                "created_at": row.created_at,
                "updated_at": row.updated_at,
            }
        )
    return found


async def _names(session: Any, model: Any, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    result = await session.exec(select(model.id, model.name).where(col(model.id).in_(ids)))
    return {key: name for key, name in result.all()}
