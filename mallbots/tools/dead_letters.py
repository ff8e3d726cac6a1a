"""Operator tools: list the events a projection parked (``activities.shared.poison``) and re-apply them.

A parked event is re-applied through the service's real projection, the same method its worker runs: an
event a later one superseded changes nothing (the upsert is version-guarded) and counts as done, like one
that applies. A re-applied event leaves ``dead_letters``; one that fails again stays, with its new error.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import delete, func, select, update
from temporalio.client import Client

from activities.notifications.gateway import SmsGateway
from activities.shared.poison import column_text, dead_letters_of, delivered_event
from mallbots.db import Databases
from mallbots.services import DEFINITIONS, ServiceResources, public_coroutines
from mallbots.settings import Settings
from mallbots.transport import database_tls
from workflows.shared.spec import EntitySpec

_ERROR_TEXT_LIMIT = 4000


@dataclass(frozen=True)
class DeadLetter:
    service: str
    id: int  # numbered per service
    projection: str
    event_name: str
    aggregate_id: str
    event_number: int
    attempts: int
    first_failed_at: datetime
    last_failed_at: datetime
    error: str
    event: Any  # the event as delivered (JSON)

    @property
    def label(self) -> str:
        """``search #3: apply_store_event stores.StoreCreated #1 of <aggregate>``."""
        event = f"{self.event_name} #{self.event_number} of {self.aggregate_id}"
        return f"{self.service} #{self.id}: {self.projection} {event}"

    @property
    def error_line(self) -> str:
        lines = self.error.strip().splitlines()
        return lines[0] if lines else ""

    def as_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "id": self.id,
            "projection": self.projection,
            "event_name": self.event_name,
            "aggregate_id": self.aggregate_id,
            "event_number": self.event_number,
            "attempts": self.attempts,
            "first_failed_at": self.first_failed_at.isoformat(),
            "last_failed_at": self.last_failed_at.isoformat(),
            "error": self.error,
            "event": self.event,
        }


@dataclass(frozen=True)
class RetryOutcome:
    letter: DeadLetter
    error: str | None  # None: applied (or superseded) and removed

    @property
    def done(self) -> bool:
        return self.error is None

    @property
    def summary(self) -> str:
        """What the retry did, in one line."""
        return f"{self.letter.label}: " + ("re-applied, removed" if self.done else f"failed again, kept: {self.error}")

    def as_json(self) -> dict[str, Any]:
        return {**self.letter.as_json(), "retried": "applied" if self.done else "failed", "retry_error": self.error}


def databases_for(settings: Settings, services: Iterable[str]) -> Databases:
    """The services' databases from the settings, over TLS as they say (raises RuntimeError when a URL is
    missing or a TLS setting cannot be used)."""
    return Databases({s: settings.database_url_for(s) for s in services}, pool_size=2, tls=database_tls(settings))


async def list_dead_letters(databases: Databases, services: Iterable[str]) -> list[DeadLetter]:
    """Every parked event of ``services``, service by service, oldest first."""
    found: list[DeadLetter] = []
    for service in services:
        table = dead_letters_of(service)
        async with databases.sessions(service)() as session:
            connection = await session.connection()
            rows = (await connection.execute(select(table).order_by(table.c.id))).mappings().all()
        found += [
            DeadLetter(
                service=service,
                id=row["id"],
                projection=row["projection"],
                event_name=row["event_name"],
                aggregate_id=row["aggregate_id"],
                event_number=row["event_number"],
                attempts=row["attempts"],
                first_failed_at=row["first_failed_at"],
                last_failed_at=row["last_failed_at"],
                error=row["error"],
                event=delivered_event(row["event"]),
            )
            for row in rows
        ]
    return found


def entity_specs() -> dict[str, EntitySpec[Any, Any]]:
    """Each projection's entity (``apply_store_event`` → the store's spec), from the service registry."""
    specs: dict[str, EntitySpec[Any, Any]] = {}
    for definition in DEFINITIONS.values():
        for workflow in definition.workflows:
            spec = getattr(workflow, "ENTITY", None)
            if isinstance(spec, EntitySpec):
                specs[spec.projection] = spec
    return specs


class _Unavailable:
    """Stands in for what a re-apply never needs (the Temporal client, the SMS gateway): a projection only
    writes its read model, so the tool needs neither a Temporal server nor a gateway."""

    def __init__(self, what: str) -> None:
        self._what = what

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"re-applying a parked event has no {self._what} (asked for .{name})")


Projection = Callable[[Any], Coroutine[Any, Any, Any]]


def projections_of(service: str, databases: Databases) -> dict[str, Projection]:
    """The service's real projection methods by activity name, bound to its sessions."""
    resources = ServiceResources(
        sessions=databases.sessions(service),
        client=cast(Client, _Unavailable("Temporal client")),
        gateway=cast(SmsGateway, _Unavailable("SMS gateway")),
    )
    methods: dict[str, Projection] = {}
    for obj in DEFINITIONS[service].activity_objects(resources):
        for name in public_coroutines(type(obj)):
            if name.startswith("apply_"):
                methods[name] = getattr(obj, name)
    return methods


async def retry_dead_letters(
    databases: Databases, services: Sequence[str], *, letter_id: int | None = None
) -> list[RetryOutcome]:
    """Re-apply the parked events of ``services`` (or only ``letter_id``, numbered per service), oldest first:
    removed when applied or superseded, kept with the new error when they fail again."""
    specs = entity_specs()
    outcomes: list[RetryOutcome] = []
    for service in services:
        table = dead_letters_of(service)
        sessions = databases.sessions(service)
        projections = projections_of(service, databases)
        letters = [
            letter
            for letter in await list_dead_letters(databases, [service])
            if letter_id is None or letter.id == letter_id
        ]
        for letter in letters:
            error = await _reapply(letter, specs, projections)
            async with sessions.begin() as session:
                if error is None:
                    await session.exec(delete(table).where(table.c.id == letter.id))
                else:
                    await session.exec(
                        update(table)
                        .where(table.c.id == letter.id)
                        .values(
                            error=column_text(error)[:_ERROR_TEXT_LIMIT],
                            attempts=table.c.attempts + 1,
                            last_failed_at=func.now(),
                        )
                    )
            outcomes.append(RetryOutcome(letter, error))
    return outcomes


async def _reapply(
    letter: DeadLetter, specs: dict[str, EntitySpec[Any, Any]], projections: dict[str, Projection]
) -> str | None:
    spec = specs.get(letter.projection)
    apply = projections.get(letter.projection)
    if spec is None or apply is None:
        return f"LookupError: {letter.service} has no projection {letter.projection}"
    try:
        event = spec.event_type.model_validate(letter.event)
        await apply(event)
    except Exception as err:
        return f"{type(err).__name__}: {err}"
    return None
