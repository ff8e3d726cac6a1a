"""Tables every service keeps in its own schema beside its read models.

``dead_letters``: events a projection could not apply for a reason retrying cannot fix (bad data, a
constraint, a bug), parked so the entity that emitted them goes on; listed and re-applied by operators.
``idempotency_keys``: what a request carrying an ``Idempotency-Key`` was first used for (method, path and
a fingerprint of the body) and how it was answered, so a retry gets the same answer and a reuse for
something else is refused.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Identity, Integer, LargeBinary, Table, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import SQLModel


def dead_letters_table(schema: str) -> Table:
    return Table(
        "dead_letters",
        SQLModel.metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("projection", Text, nullable=False),  # the activity: apply_store_event
        Column("event_name", Text, nullable=False),
        Column("aggregate_id", Text, nullable=False),
        Column("event_number", Integer, nullable=False),
        Column("event", JSONB, nullable=False),  # the event as delivered, to apply it again
        Column("error", Text, nullable=False),
        Column("attempts", Integer, nullable=False, server_default="1"),
        Column("first_failed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("last_failed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        UniqueConstraint("projection", "aggregate_id", "event_number", name=f"uq_{schema}_dead_letters_event"),
        schema=schema,
    )


def idempotency_keys_table(schema: str) -> Table:
    return Table(
        "idempotency_keys",
        SQLModel.metadata,
        Column("key", Text, primary_key=True),
        Column("method", Text, nullable=False),
        Column("path", Text, nullable=False),
        Column("fingerprint", Text, nullable=False),  # sha256 of method, path and canonical body
        Column("status_code", Integer, nullable=True),  # null while the first request is in flight
        Column("body", LargeBinary, nullable=True),  # the first answer, replayed to retries
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("completed_at", DateTime(timezone=True), nullable=True),
        schema=schema,
    )
