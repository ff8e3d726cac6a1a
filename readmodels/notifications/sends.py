"""The SMS send ledger: a message goes out at most once per event, however often the event is delivered.

Sending is the one side effect outside our databases, and an event can be delivered more than once: an
activity retried after its worker died or its attempt timed out, two deliveries racing. So before the gateway
is called, the message is *claimed* here (one row per message key, the event's), and marked *sent* once the
gateway answered:

- claimed now → this attempt sends, then marks it sent;
- already sent → nothing to do;
- claimed by an attempt whose lease is still running → ``SendInFlight``, retried: by then that attempt has
  marked it sent (or failed and released it);
- claimed by an attempt whose lease ran out (its worker died, or it hangs) → this attempt takes the claim
  over and sends again **with the same key**, which the gateway is given as its idempotency key. A provider
  that honours it (the recording gateway does: one row per key) sends nothing twice; with one that does not,
  the crash window is exactly the gateway call that answered but was never marked.

A gateway call that fails (raises) releases the claim, so the retry sends. One that was cancelled mid-call
(the attempt timed out) keeps it: whether the provider took the message is not known, and only the lease's
end lets another attempt try again.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy.dialects.postgresql import insert
from sqlmodel import select

from readmodels.notifications.tables import SmsSendRow
from readmodels.shared.db import SessionFactory, table_of

# Longer than an activity attempt may run (workflows.shared.activity_options.ACTIVITY_TIMEOUT, 15 s): a claim
# is never taken over from an attempt that may still be sending.
LEASE = timedelta(seconds=20)


class Claim(StrEnum):
    MINE = "mine"
    SENT = "sent"
    IN_FLIGHT = "in flight"


class SendInFlight(Exception):
    """Another attempt holds this message's claim: retried (never parked)."""


def new_claim() -> str:
    return uuid.uuid4().hex


async def claim(sessions: SessionFactory, key: str, token: str, lease: timedelta = LEASE) -> Claim:
    """One statement: the claim is this attempt's if the message is unclaimed or its claim's lease ran out."""
    table = table_of(SmsSendRow)
    now = datetime.now(UTC)
    statement = (
        insert(table)
        .values(id=key, claim=token, claimed_at=now, sent_at=None)
        .on_conflict_do_update(
            index_elements=[table.c.id],
            set_={"claim": token, "claimed_at": now},
            where=(table.c.sent_at.is_(None)) & (table.c.claimed_at < now - lease),
        )
        .returning(table.c.claim)
    )
    async with sessions.begin() as session:
        won = (await session.exec(statement)).first()
        if won is not None and won[0] == token:
            return Claim.MINE
        sent = (await session.exec(select(SmsSendRow.sent_at).where(SmsSendRow.id == key))).first()
    return Claim.SENT if sent is not None else Claim.IN_FLIGHT


async def mark_sent(sessions: SessionFactory, key: str) -> None:
    async with sessions.begin() as session:
        row = await session.get(SmsSendRow, key, with_for_update=True)
        if row is not None and row.sent_at is None:
            row.sent_at = datetime.now(UTC)  # whoever's claim it is now: the message went out


async def release(sessions: SessionFactory, key: str, token: str) -> None:
    """The gateway refused the message (it was not sent): the next attempt may send at once."""
    table = table_of(SmsSendRow)
    async with sessions.begin() as session:
        await session.exec(
            table.delete().where((table.c.id == key) & (table.c.claim == token) & table.c.sent_at.is_(None))
        )
