"""A poison event cannot jam an entity: a projection that fails for a reason retrying cannot fix is parked.

An entity workflow answers a command once its own read model has applied the event, and delivers each
subscriber's events one after the other (``workflows/shared/entity.py``). A projection that fails
deterministically — Postgres refuses the data, a constraint, a bug — would be retried for ever: in the
owner's read model it would jam the entity, its caller and every later command on it; in any other it would
hold back every later event of that aggregate for that subscriber, and keep the entity from ending.
So every worker runs ``ParkPoisonEvents``: for a projection activity (``apply_*``, the
owner's local one included) an error that retrying cannot fix is recorded in the service's ``dead_letters``
and the activity completes, so the entity goes on; the next event's snapshot supersedes the parked one in the
read model (the upsert is version-guarded) and ``mallbots ops dead-letters --retry`` re-applies it once the
cause is fixed. Anything else (the database unreachable, a timeout, a cancel) is re-raised and retried with
backoff, as before.
"""

from __future__ import annotations

import base64
import importlib
import json
import logging
from typing import Any

import psycopg
import pydantic
import pydantic_core
import sqlalchemy.exc
from prometheus_client import Counter
from sqlalchemy import Table, func
from sqlalchemy.dialects.postgresql import insert
from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from readmodels.shared.db import SessionFactory

log = logging.getLogger(__name__)

PROJECTION_PREFIX = "apply_"

# Low cardinality on purpose: one series per service and projection, never per aggregate or event.
PARKED_EVENTS = Counter(
    "mallbots_parked_events",
    "Events a projection could not apply for a reason retrying cannot fix, parked in the service's dead_letters",
    ["service", "projection"],
)

# Errors that come back the same on every attempt: the data, the schema or the code is wrong.
_SQL_POISON: tuple[type[BaseException], ...] = (
    sqlalchemy.exc.DataError,
    sqlalchemy.exc.IntegrityError,
    sqlalchemy.exc.ProgrammingError,
    sqlalchemy.exc.NotSupportedError,
    psycopg.DataError,
    psycopg.IntegrityError,
    psycopg.ProgrammingError,
    psycopg.NotSupportedError,
)
# UnicodeError and pydantic's ValidationError are ValueErrors; listed for the reader.
_CODE_POISON: tuple[type[BaseException], ...] = (
    pydantic.ValidationError,
    UnicodeError,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
)
_ERROR_TEXT_LIMIT = 4000


def is_poison(err: BaseException) -> bool:
    """Whether retrying ``err`` can never succeed (park it) rather than possibly succeed later (retry it).

    A driver error that SQLAlchemy raised as a plain ``StatementError`` (e.g. a value its type could not
    bind) is judged by the error inside it. Connection loss, timeouts, serialization failures and
    deadlocks (``OperationalError``), ``InterfaceError``, cancellation and every other error are transient.
    """
    if isinstance(err, sqlalchemy.exc.DBAPIError):
        return isinstance(err, _SQL_POISON)
    if isinstance(err, sqlalchemy.exc.StatementError):
        return err.orig is not None and err.orig is not err and is_poison(err.orig)
    return isinstance(err, _SQL_POISON + _CODE_POISON)


def describe(err: BaseException) -> str:
    """``ErrorClass: first line of the message`` — one line, for logs and listings."""
    lines = str(err).strip().splitlines()
    first = lines[0] if lines else ""
    return f"{type(err).__name__}: {first}" if first else type(err).__name__


def column_text(value: str) -> str:
    """Text a Postgres column accepts: NUL and lone surrogates spelled out (they often poisoned the event,
    and an error message may quote them)."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def storable_event(payload: Any) -> Any:
    """The delivered event as the ``event`` JSONB column can hold it. JSONB refuses ``\\u0000`` and lone
    surrogates — exactly what may have poisoned the event — so such an event is kept, byte for byte, as
    base64 of its JSON text (``delivered_event`` undoes it)."""
    raw = json.dumps(payload, ensure_ascii=False)
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        if "\\u0000" not in raw:  # how JSON spells NUL (a literal backslash-u0000 is encoded too: harmless)
            return payload
    encoded = base64.b64encode(raw.encode("utf-8", "surrogatepass")).decode("ascii")
    return {"$base64_json": encoded}


def delivered_event(stored: Any) -> Any:
    """The event as it was delivered, from what ``storable_event`` stored."""
    if isinstance(stored, dict) and set(stored) == {"$base64_json"}:
        return json.loads(base64.b64decode(stored["$base64_json"]).decode("utf-8", "surrogatepass"))
    return stored


def dead_letters_of(service: str) -> Table:
    """The service's ``dead_letters`` table (``readmodels.<service>.tables.DEAD_LETTERS``)."""
    table: Table = importlib.import_module(f"readmodels.{service}.tables").DEAD_LETTERS
    return table


class DeadLetters:
    """Where one service parks its poison events."""

    def __init__(self, service: str, sessions: SessionFactory, table: Table) -> None:
        self.service = service
        self._sessions = sessions
        self._table = table

    async def park(self, projection: str, event: Any, err: BaseException) -> None:
        """Record (or count again) the failed delivery of ``event`` to ``projection``."""
        payload = pydantic_core.to_jsonable_python(event)
        values = {
            "projection": projection,
            "event_name": column_text(str(getattr(event, "name", type(event).__name__))),
            "aggregate_id": column_text(str(getattr(event, "aggregate_id", ""))),
            "event_number": int(getattr(event, "number", 0)),
            "event": storable_event(payload),
            "error": column_text(f"{type(err).__name__}: {err}")[:_ERROR_TEXT_LIMIT],
        }
        t = self._table
        stmt = insert(t).values(**values)
        # The same event delivered again (e.g. its completion was lost) counts as another attempt.
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.projection, t.c.aggregate_id, t.c.event_number],
            set_={
                "attempts": t.c.attempts + 1,
                "error": stmt.excluded.error,
                "event": stmt.excluded.event,
                "event_name": stmt.excluded.event_name,
                "last_failed_at": func.now(),
            },
        )
        async with self._sessions.begin() as session:
            await session.exec(stmt)


class ParkPoisonEvents(Interceptor):
    """The worker interceptor: parks a poison event of any projection activity of this worker."""

    def __init__(self, dead_letters: DeadLetters) -> None:
        self.dead_letters = dead_letters

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ParkingInbound(next, self.dead_letters)


class _ParkingInbound(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, dead_letters: DeadLetters) -> None:
        super().__init__(next)
        self._dead_letters = dead_letters

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        projection = activity.info().activity_type
        if not projection.startswith(PROJECTION_PREFIX):
            return await self.next.execute_activity(input)
        try:
            return await self.next.execute_activity(input)
        except Exception as err:
            if not is_poison(err) or not await self._park(projection, input, err):
                raise
            return None

    async def _park(self, projection: str, input: ExecuteActivityInput, err: Exception) -> bool:
        event = input.args[0] if input.args else None
        service = self._dead_letters.service
        try:
            await self._dead_letters.park(projection, event, err)
        except Exception as parking_error:
            # Not parked (its database is down, say): the delivery stays failed and is retried, as before.
            log.warning(
                "could not park %s #%s of %s in %s.dead_letters (%s); it will be retried",
                getattr(event, "name", "?"),
                getattr(event, "number", "?"),
                getattr(event, "aggregate_id", "?"),
                service,
                describe(parking_error),
            )
            return False
        PARKED_EVENTS.labels(service=service, projection=projection).inc()
        log.warning(
            "parked %s #%s of %s: %s.%s cannot apply it (%s); the entity goes on, "
            "`mallbots ops dead-letters --retry` re-applies it",
            getattr(event, "name", "?"),
            getattr(event, "number", "?"),
            getattr(event, "aggregate_id", "?"),
            service,
            projection,
            describe(err),
        )
        return True
