"""Ordering's own read model (schema ``ordering``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, DateTime, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from readmodels.shared.service_tables import dead_letters_table, idempotency_keys_table

SCHEMA = "ordering"
DEAD_LETTERS = dead_letters_table(SCHEMA)
IDEMPOTENCY_KEYS = idempotency_keys_table(SCHEMA)


class OrderRow(SQLModel, table=True):
    __tablename__ = "orders"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    customer_id: str = Field(index=True)
    payment_id: str
    basket_id: str | None = None
    items: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    total: Decimal = Field(sa_column=Column(Numeric(18, 2), nullable=False))
    status: str = Field(index=True)
    shopping_id: str | None = None
    invoice_id: str | None = None
    reason: str | None = None
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    version: int
