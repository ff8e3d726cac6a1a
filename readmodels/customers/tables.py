"""The customers service's own read model (schema ``customers``)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from readmodels.shared.service_tables import dead_letters_table, idempotency_keys_table

SCHEMA = "customers"
DEAD_LETTERS = dead_letters_table(SCHEMA)
IDEMPOTENCY_KEYS = idempotency_keys_table(SCHEMA)


class CustomerRow(SQLModel, table=True):
    __tablename__ = "customers"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    name: str
    sms_number: str
    enabled: bool
    version: int
