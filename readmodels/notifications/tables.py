"""Notifications' copy of customers (name, SMS number), schema ``notifications``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from readmodels.shared.service_tables import dead_letters_table, idempotency_keys_table

SCHEMA = "notifications"
DEAD_LETTERS = dead_letters_table(SCHEMA)
IDEMPOTENCY_KEYS = idempotency_keys_table(SCHEMA)


class NotificationCustomerCache(SQLModel, table=True):
    __tablename__ = "customers"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    name: str
    sms_number: str
    version: int


class NotificationRow(SQLModel, table=True):
    """Every SMS sent, once per event (the key is the event: aggregate ID and event number)."""

    __tablename__ = "notifications"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)
    customer_id: str = Field(index=True)
    order_id: str
    event_name: str
    sms_number: str
    message: str
    sent_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class SmsSendRow(SQLModel, table=True):
    """The send ledger: one row per event's message, claimed before the gateway is called, marked once it
    answered (``readmodels.notifications.sends``). It is what makes a message go out at most once, whatever
    the redeliveries of its event."""

    __tablename__ = "sms_sends"
    __table_args__ = {"schema": SCHEMA}

    id: str = Field(primary_key=True)  # the message's key: the event (aggregate ID and number)
    claim: str  # the attempt that holds it
    claimed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
