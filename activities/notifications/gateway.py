"""The SMS gateway interface, and the default gateway that records each message in its schema."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert

from domain.customers.model import masked_sms
from readmodels.notifications.tables import NotificationRow
from readmodels.shared.db import SessionFactory, table_of

log = logging.getLogger("mallbots.sms")


class Sms(BaseModel):
    id: str  # idempotency key: one message per event, however often the event is delivered
    customer_id: str
    order_id: str
    event_name: str
    sms_number: str
    message: str
    sent_at: datetime


class SmsGateway(Protocol):
    async def send(self, sms: Sms) -> None: ...


class RecordingGateway:
    """Records each message exactly once (keyed by event) and logs it; stands in for a real provider."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def send(self, sms: Sms) -> None:
        async with self._sessions.begin() as session:
            stmt = insert(table_of(NotificationRow)).values(**sms.model_dump()).on_conflict_do_nothing()
            result = await session.exec(stmt)
        if result.rowcount:
            # Neither the number (masked) nor the text (it greets the customer by name) in clear.
            log.info(
                "SMS %s to %s (customer %s, order %s, %d characters)",
                sms.event_name,
                masked_sms(sms.sms_number),
                sms.customer_id,
                sms.order_id,
                len(sms.message),
            )
