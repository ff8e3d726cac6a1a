"""The payments service's read models (schema ``payments``): payments and invoices."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Column, Numeric
from sqlmodel import Field, SQLModel

from readmodels.shared.service_tables import dead_letters_table, idempotency_keys_table

SCHEMA = "payments"
DEAD_LETTERS = dead_letters_table(SCHEMA)
IDEMPOTENCY_KEYS = idempotency_keys_table(SCHEMA)


class PaymentRow(SQLModel, table=True):
    __tablename__ = "payments"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    customer_id: str = Field(index=True)
    amount: Decimal = Field(sa_column=Column(Numeric(18, 2), nullable=False))
    status: str
    order_id: str | None = None
    version: int


class InvoiceRow(SQLModel, table=True):
    __tablename__ = "invoices"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    order_id: str = Field(index=True)
    customer_id: str
    payment_id: str
    amount: Decimal = Field(sa_column=Column(Numeric(18, 2), nullable=False))
    status: str
    version: int
