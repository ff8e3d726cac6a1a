"""Baskets' copies of stores and products (schema ``baskets``), fed by stores events."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from readmodels.shared.service_tables import dead_letters_table, idempotency_keys_table

SCHEMA = "baskets"
DEAD_LETTERS = dead_letters_table(SCHEMA)
IDEMPOTENCY_KEYS = idempotency_keys_table(SCHEMA)


class BasketStoreCache(SQLModel, table=True):
    __tablename__ = "stores"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    name: str
    participating: bool
    version: int


class BasketProductCache(SQLModel, table=True):
    __tablename__ = "products"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    store_id: str = Field(index=True)
    name: str
    price: Decimal = Field(sa_column=Column(Numeric(18, 2), nullable=False))
    removed: bool
    version: int


class BasketRow(SQLModel, table=True):
    """The baskets read model: what GET /api/baskets/{id} answers."""

    __tablename__ = "baskets"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    customer_id: str = Field(index=True)
    status: str
    items: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    total: Decimal = Field(sa_column=Column(Numeric(18, 2), nullable=False))
    payment_id: str | None = None
    version: int
