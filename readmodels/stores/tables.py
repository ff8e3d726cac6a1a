"""The stores service's own read models (schema ``stores``)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Column, Numeric
from sqlmodel import Field, SQLModel

from readmodels.shared.service_tables import dead_letters_table, idempotency_keys_table

SCHEMA = "stores"
DEAD_LETTERS = dead_letters_table(SCHEMA)
IDEMPOTENCY_KEYS = idempotency_keys_table(SCHEMA)


class StoreRow(SQLModel, table=True):
    __tablename__ = "stores"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    name: str
    location: str
    participating: bool = Field(index=True)
    owner: str = Field(default="", index=True)
    version: int


class ProductRow(SQLModel, table=True):
    __tablename__ = "products"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    store_id: str = Field(index=True)
    name: str
    description: str
    sku: str
    price: Decimal = Field(sa_column=Column(Numeric(18, 2), nullable=False))
    removed: bool
    version: int
