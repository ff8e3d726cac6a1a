"""Event-carried state: every event carries its aggregate's full current snapshot and its number.

Because each event is a complete snapshot, a subscriber applies an event only when its number is
higher than the one it stored: duplicates and stale (out-of-order) deliveries change nothing, and
no field can be lost by skipping an older event.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class DomainEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    aggregate_id: str
    number: int
    occurred_at: datetime
