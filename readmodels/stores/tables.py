"""The stores service's own read models (schema ``stores``)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Column, Numeric
from sqlmodel import Field, SQLModel

SCHEMA = "stores"


class StoreRow(SQLModel, table=True):
    __tablename__ = "stores"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    name: str
    location: str
    participating: bool = Field(index=True)
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
