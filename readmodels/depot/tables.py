"""Depot's copies of stores (name, location, participation) and products (name), schema ``depot``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from readmodels.shared.service_tables import dead_letters_table, idempotency_keys_table

SCHEMA = "depot"
DEAD_LETTERS = dead_letters_table(SCHEMA)
IDEMPOTENCY_KEYS = idempotency_keys_table(SCHEMA)


class DepotStoreCache(SQLModel, table=True):
    __tablename__ = "stores"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    name: str
    location: str
    participating: bool = Field(default=True, sa_column_kwargs={"server_default": "true"})
    version: int


class DepotProductCache(SQLModel, table=True):
    __tablename__ = "products"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    store_id: str = Field(index=True)
    name: str
    removed: bool
    version: int


class ShoppingListRow(SQLModel, table=True):
    """Depot's shopping lists, as the bots see them."""

    __tablename__ = "shopping_lists"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    order_id: str = Field(index=True)
    status: str = Field(index=True)
    bot_id: str | None = None
    stops: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    version: int
