"""Depot's copies of stores (name, location) and products (name), schema ``depot``."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

SCHEMA = "depot"


class DepotStoreCache(SQLModel, table=True):
    __tablename__ = "stores"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    name: str
    location: str
    version: int


class DepotProductCache(SQLModel, table=True):
    __tablename__ = "products"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    store_id: str = Field(index=True)
    name: str
    removed: bool
    version: int
