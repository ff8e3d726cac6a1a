"""The one write primitive of every read model, an upsert guarded by the event number, and plain reads.

Every event carries its aggregate's whole snapshot (``domain.shared.events``), so a read model's row is
the snapshot's fields that its table has columns for; only derived columns are spelled out.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

SessionFactory = async_sessionmaker[AsyncSession]
Row = TypeVar("Row", bound=SQLModel)


async def upsert_versioned(session: AsyncSession, table: Table, values: Mapping[str, Any]) -> bool:
    """Insert the row, or overwrite it only if ``values['version']`` is not lower than the stored one.

    Returns whether the row was written: a stale (older) event changes nothing. The same number again is
    written again: a duplicate carries the same snapshot, so it changes nothing either; and the one way a
    different snapshot comes under the same number is an owner's local projection run by a workflow task the
    server refused (a signal or update arrived as the run was ending) and then by its retry — the retry's is
    what the workflow kept, and it is the later write, so it must win.
    """
    keys = [column.name for column in table.primary_key.columns]
    stmt = insert(table).values(**values)
    upsert = stmt.on_conflict_do_update(
        index_elements=keys,
        set_={name: stmt.excluded[name] for name in values if name not in keys},
        where=table.c.version <= stmt.excluded.version,
    ).returning(table.c.version)
    # RETURNING yields a row only when the insert or the guarded update happened; rowcount cannot tell
    # (psycopg reports -1 for INSERT ... ON CONFLICT DO UPDATE WHERE).
    result = await session.exec(upsert)
    return result.first() is not None


def table_of(model: type[SQLModel]) -> Table:
    """The SQLAlchemy table behind a SQLModel class (SQLModel does not type ``__table__``)."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


def _column_value(value: Any) -> Any:
    """A snapshot field as its column stores it: enums by value, nested models as JSON (JSONB columns)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_column_value(v) if isinstance(v, BaseModel | Enum) else v for v in value]
    return value


def snapshot_row(model: type[SQLModel], snapshot: BaseModel, version: int, **derived: Any) -> dict[str, Any]:
    """The row ``model`` keeps of ``snapshot``: every column but ``version`` is the snapshot's field of the
    same name, unless ``derived`` gives it. A column the snapshot lacks is a bug, so it raises."""
    values: dict[str, Any] = {}
    for column in table_of(model).columns:
        name = column.name
        if name == "version":
            continue
        values[name] = derived[name] if name in derived else _column_value(getattr(snapshot, name))
    values["version"] = version
    return values


async def project(sessions: SessionFactory, model: type[SQLModel], values: Mapping[str, Any]) -> bool:
    """One event applied to one read model, in its own transaction."""
    async with sessions.begin() as session:
        return await upsert_versioned(session, table_of(model), values)


async def project_snapshot(
    sessions: SessionFactory, model: type[SQLModel], snapshot: BaseModel, version: int, **derived: Any
) -> bool:
    """The event's snapshot applied to one read model (see ``snapshot_row``)."""
    return await project(sessions, model, snapshot_row(model, snapshot, version, **derived))


async def get_row(sessions: SessionFactory, model: type[Row], key: str) -> Row | None:
    async with sessions() as session:
        return await session.get(model, key)
