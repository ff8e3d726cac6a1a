"""Search's copies of customers, stores and products (names), schema ``search``."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

SCHEMA = "search"


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
