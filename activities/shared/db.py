"""The one write primitive of every read model: an upsert guarded by the event number."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

SessionFactory = async_sessionmaker[AsyncSession]


async def upsert_versioned(session: AsyncSession, table: Table, values: Mapping[str, Any]) -> bool:
    """Insert the row, or overwrite it only if ``values['version']`` is higher than the stored one.

    Returns whether anything changed: a replayed, duplicated or stale event changes nothing.
    """
    keys = [column.name for column in table.primary_key.columns]
    stmt = insert(table).values(**values)
    upsert = stmt.on_conflict_do_update(
        index_elements=keys,
        set_={name: stmt.excluded[name] for name in values if name not in keys},
        where=table.c.version < stmt.excluded.version,
    ).returning(table.c.version)
    # RETURNING yields a row only when the insert or the guarded update happened; rowcount cannot tell
    # (psycopg reports -1 for INSERT ... ON CONFLICT DO UPDATE WHERE).
    result = await session.exec(upsert)
    return result.first() is not None


def table_of(model: type[SQLModel]) -> Table:
    """The SQLAlchemy table behind a SQLModel class (SQLModel does not type ``__table__``)."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


async def project(sessions: SessionFactory, model: type[SQLModel], values: Mapping[str, Any]) -> bool:
    """One event applied to one read model, in its own transaction."""
    async with sessions.begin() as session:
        return await upsert_versioned(session, table_of(model), values)
