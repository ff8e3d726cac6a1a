"""The customers service's own read model (schema ``customers``)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

SCHEMA = "customers"


class CustomerRow(SQLModel, table=True):
    __tablename__ = "customers"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    name: str
    sms_number: str
    enabled: bool
    version: int
