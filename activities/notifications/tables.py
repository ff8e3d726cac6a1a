"""Notifications' copy of customers (name, SMS number), schema ``notifications``."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

SCHEMA = "notifications"


class NotificationCustomerCache(SQLModel, table=True):
    __tablename__ = "customers"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    name: str
    sms_number: str
    version: int
