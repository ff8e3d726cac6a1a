"""Event-carried state: every event carries its aggregate's full current snapshot and its number.

Because each event is a complete snapshot, a subscriber applies an event only when its number is
higher than the one it stored: duplicates and stale (out-of-order) deliveries change nothing, and
no field can be lost by skipping an older event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    aggregate_id: str
    number: int
    occurred_at: datetime


E = TypeVar("E", bound=DomainEvent)


def build_event(event_type: type[E], name: str, number: int, occurred_at: datetime, **snapshot: Any) -> E:
    """``event_type`` numbered ``number``, carrying the one snapshot given by keyword (``store=...``); the
    name is checked against the event type's names."""
    ((_, aggregate),) = snapshot.items()
    return event_type.model_validate(
        {"name": name, "aggregate_id": aggregate.id, "number": number, "occurred_at": occurred_at, **snapshot}
    )


def snapshot_field(event_type: type[DomainEvent]) -> str:
    """The field of ``event_type`` that carries the aggregate's snapshot (``StoreEvent`` → ``store``)."""
    (field,) = set(event_type.model_fields) - set(DomainEvent.model_fields)
    return field
