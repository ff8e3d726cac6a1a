"""Search's copies of customers, stores and products (names), schema ``search``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, DateTime, Index, Numeric, String
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlmodel import Field, SQLModel

from readmodels.shared.service_tables import dead_letters_table, idempotency_keys_table

SCHEMA = "search"
DEAD_LETTERS = dead_letters_table(SCHEMA)
IDEMPOTENCY_KEYS = idempotency_keys_table(SCHEMA)


class SearchCustomerCache(SQLModel, table=True):
    __tablename__ = "customers"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    name: str
    version: int


class SearchStoreCache(SQLModel, table=True):
    __tablename__ = "stores"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    name: str
    version: int


class SearchProductCache(SQLModel, table=True):
    __tablename__ = "products"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    store_id: str = Field(index=True)
    name: str
    version: int


class SearchOrderView(SQLModel, table=True):
    """The denormalized order view: customer, store and product names, total, status, time."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_search_orders_created_id", "created_at", "id"),
        Index("ix_search_orders_store_ids", "store_ids", postgresql_using="gin"),
        Index("ix_search_orders_product_ids", "product_ids", postgresql_using="gin"),
        {"schema": SCHEMA},
    )

    id: str = Field(primary_key=True)
    customer_id: str = Field(index=True)
    customer_name: str
    items: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    store_ids: list[str] = Field(sa_column=Column(ARRAY(String), nullable=False))
    product_ids: list[str] = Field(sa_column=Column(ARRAY(String), nullable=False))
    total: Decimal = Field(sa_column=Column(Numeric(18, 2), nullable=False))
    status: str = Field(index=True)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    version: int
