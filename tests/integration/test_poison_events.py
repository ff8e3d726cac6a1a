"""A poison event cannot jam an entity: a projection that fails for a reason retrying cannot fix parks the event
(``activities/shared/poison.py``), the entity goes on, and operators list and re-apply it
(``mallbots ops dead-letters``); a transient failure is still retried, never parked.

The stack here is a real one (Temporal dev server, Postgres, every worker, the API) whose search and stores
projections are replaced by subclasses that, while told to, write a value Postgres refuses (a NUL character)
into their read model, or fail as if their database were unreachable. Every wait is bounded, so a jammed
entity fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import psycopg
import pytest
import sqlalchemy.exc
from prometheus_client import REGISTRY
from temporalio import activity

from domain.stores.events import StoreEvent
from mallbots.bootstrap import Overrides
from mallbots.db import Databases
from mallbots.devstack.postgres import LocalPostgres
from mallbots.logs import ACTIVITY_LOGGER, install_activity_failure_filter
from mallbots.stack import Stack, ephemeral_options
from mallbots.tools.client import ApiError, MallbotsClient
from mallbots.tools.dead_letters import DeadLetter, list_dead_letters, retry_dead_letters
from readmodels.search.projections import SearchProjections
from readmodels.search.tables import SearchStoreCache
from readmodels.shared.db import SessionFactory, get_row, project_snapshot
from readmodels.stores.projections import StoresProjections
from readmodels.stores.tables import StoreRow
from tests.integration.conftest import row_when

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BOUND = 60.0  # seconds: not a performance goal, only how long a hang takes to fail the test
Mode = Literal["healthy", "poison", "outage"]


class PoisonableSearch(SearchProjections):
    """Search's real projection, which can be told to write a NUL into its read model (Postgres refuses it:
    a DataError on every attempt), or to fail as if its database were unreachable (an OperationalError)."""

    def __init__(self, sessions: SessionFactory) -> None:
        super().__init__(sessions)
        self.mode: Mode = "healthy"
        self.attempts: Counter[str] = Counter()  # by store, while the database is "unreachable"
        self.retried = asyncio.Event()  # set at the third attempt of one delivery

    @activity.defn(name="apply_store_event")
    async def apply_store_event(self, event: StoreEvent) -> None:
        if self.mode == "outage":
            self.attempts[event.aggregate_id] += 1
            if self.attempts[event.aggregate_id] >= 3:  # retried with backoff: 0.2 s, 0.4 s, …
                self.retried.set()
            raise sqlalchemy.exc.OperationalError(
                "INSERT INTO search.stores ...", {}, psycopg.OperationalError("connection refused")
            )
        if self.mode == "poison":
            broken = event.store.model_copy(update={"name": f"{event.store.name}\x00"})
            await project_snapshot(self._sessions, SearchStoreCache, broken, event.number)
        await super().apply_store_event(event)


class PoisonableStores(StoresProjections):
    """The stores service's own projection (a local activity of the store's workflow), which can be told to
    write a NUL into its read model."""

    def __init__(self, sessions: SessionFactory) -> None:
        super().__init__(sessions)
        self.mode: Mode = "healthy"

    @activity.defn(name="apply_store_event")
    async def apply_store_event(self, event: StoreEvent) -> None:
        if self.mode == "poison":
            broken = event.store.model_copy(update={"name": f"{event.store.name}\x00"})
            await project_snapshot(self._sessions, StoreRow, broken, event.number)
        await super().apply_store_event(event)


@dataclass
class Poisonable:
    stack: Stack
    databases: Databases
    url: str
    search: PoisonableSearch
    stores: PoisonableStores


@pytest.fixture(scope="module")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Started before the stack, so that the replaced projections can be built with its sessions (and from
    the main thread: the server dies with the thread that started it)."""
    server = LocalPostgres(tmp_path_factory.mktemp("poison") / "postgres", ephemeral=True)
    url = server.start()
    try:
        yield url
    finally:
        server.destroy()


@pytest.fixture(scope="module")
async def poisonable(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Poisonable]:
    databases = Databases({"search": postgres_url, "stores": postgres_url}, pool_size=2)
    search = PoisonableSearch(databases.sessions("search"))
    stores = PoisonableStores(databases.sessions("stores"))
    options = ephemeral_options(
        tmp_path_factory.mktemp("poison-stack"),
        overrides=Overrides(activities={"search": [search], "stores": [stores]}),
    )
    options.settings = options.settings.model_copy(update={"database_url": postgres_url})
    try:
        async with Stack(options) as stack:
            yield Poisonable(stack, databases, postgres_url, search, stores)
    finally:
        await databases.dispose()


@pytest.fixture
async def mall(poisonable: Poisonable) -> AsyncIterator[MallbotsClient]:
    poisonable.search.mode = poisonable.stores.mode = "healthy"
    async with MallbotsClient(poisonable.stack.api_url, token=poisonable.stack.token()) as client:
        yield client
    poisonable.search.mode = poisonable.stores.mode = "healthy"


def parked_total(service: str, projection: str) -> float:
    value = REGISTRY.get_sample_value("mallbots_parked_events_total", {"service": service, "projection": projection})
    return value or 0.0


async def dead_letters_of(poisonable: Poisonable, service: str, aggregate_id: str) -> list[DeadLetter]:
    assert poisonable.stack.databases is not None
    letters = await list_dead_letters(poisonable.stack.databases, [service])
    return [letter for letter in letters if letter.aggregate_id == aggregate_id]


async def mallbots(poisonable: Poisonable, *args: str) -> tuple[int, str]:
    """``mallbots <args>`` as an operator runs it: its own process, configured by MALLBOTS_DATABASE_URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLBOTS_")}
    env["MALLBOTS_DATABASE_URL"] = poisonable.url
    env["COLUMNS"] = "400"  # the table on one line per event
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mallbots.cli",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(BOUND):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    assert process.returncode in (0, 1), err.decode()
    return process.returncode, out.decode()


async def test_a_poison_event_is_parked_the_store_goes_on_and_an_operator_re_applies_it(
    poisonable: Poisonable, mall: MallbotsClient, caplog: pytest.LogCaptureFixture
) -> None:
    before = parked_total("search", "apply_store_event")
    poisonable.search.mode = "poison"
    caplog.set_level(logging.WARNING, logger="activities.shared.poison")

    async with asyncio.timeout(BOUND):  # a jammed store would hang here
        store_id = await mall.create_store("Poisoned Corner", "Level 1")
        rebranded = await mall.rebrand_store(store_id, "Poisoned Corner II")

    assert rebranded["name"] == "Poisoned Corner II"
    assert (await mall.get_store(store_id))["name"] == "Poisoned Corner II"  # the other projections applied it
    assert await get_row(poisonable.databases.sessions("search"), SearchStoreCache, store_id) is None
    letters = await dead_letters_of(poisonable, "search", store_id)
    assert [(d.projection, d.event_name, d.event_number, d.attempts) for d in letters] == [
        ("apply_store_event", "stores.StoreCreated", 1, 1),
        ("apply_store_event", "stores.StoreRebranded", 2, 1),
    ]
    assert all("DataError" in d.error and "NUL" in d.error for d in letters)
    assert letters[1].event["store"]["name"] == "Poisoned Corner II"  # the event as delivered
    assert parked_total("search", "apply_store_event") == before + 2
    warnings = [r for r in caplog.records if r.name == "activities.shared.poison" and store_id in r.getMessage()]
    assert len(warnings) == 2
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in warnings)
    assert "stores.StoreCreated #1" in warnings[0].getMessage()
    assert "search.apply_store_event" in warnings[0].getMessage()
    assert "DataError" in warnings[0].getMessage()

    code, out = await mallbots(poisonable, "ops", "dead-letters", "--service", "search", "--json")
    assert code == 1  # there are parked events: scriptable
    listed = [d for d in json.loads(out) if d["aggregate_id"] == store_id]
    assert [(d["service"], d["event_name"], d["event_number"]) for d in listed] == [
        ("search", "stores.StoreCreated", 1),
        ("search", "stores.StoreRebranded", 2),
    ]
    assert [d["id"] for d in listed] == [d.id for d in letters]
    code, out = await mallbots(poisonable, "ops", "dead-letters")
    assert code == 1
    (created_line,) = [line for line in out.splitlines() if store_id in line and "StoreCreated" in line]
    assert "apply_store_event" in created_line and "DataError" in created_line

    poisonable.search.mode = "healthy"  # the cause is fixed
    code, out = await mallbots(poisonable, "ops", "dead-letters", "--retry", "--service", "search")

    assert code == 0, out
    assert out.count("re-applied, removed") == 2
    assert f"stores.StoreCreated #1 of {store_id}" in out
    row = await get_row(poisonable.databases.sessions("search"), SearchStoreCache, store_id)
    assert row is not None and (row.name, row.version) == ("Poisoned Corner II", 2)
    assert await dead_letters_of(poisonable, "search", store_id) == []
    code, out = await mallbots(poisonable, "ops", "dead-letters")
    assert (code, out.strip()) == (0, "no parked events")


async def test_a_parked_event_a_later_one_superseded_is_removed_by_a_retry_and_changes_nothing(
    poisonable: Poisonable, mall: MallbotsClient
) -> None:
    poisonable.search.mode = "poison"
    async with asyncio.timeout(BOUND):
        store_id = await mall.create_store("Superseded Corner", "Level 2")
        poisonable.search.mode = "healthy"
        await mall.rebrand_store(store_id, "Superseded Corner II")

    search = poisonable.databases.sessions("search")
    row = await get_row(search, SearchStoreCache, store_id)
    assert row is not None and (row.name, row.version) == ("Superseded Corner II", 2)  # the next snapshot won
    (parked,) = await dead_letters_of(poisonable, "search", store_id)
    assert (parked.event_name, parked.event_number) == ("stores.StoreCreated", 1)

    assert poisonable.stack.databases is not None
    outcomes = await retry_dead_letters(poisonable.stack.databases, ["search"], letter_id=parked.id)

    assert [(o.letter.id, o.done) for o in outcomes] == [(parked.id, True)]
    assert await dead_letters_of(poisonable, "search", store_id) == []
    row = await get_row(search, SearchStoreCache, store_id)
    assert row is not None and (row.name, row.version) == ("Superseded Corner II", 2)


async def test_a_retry_that_fails_again_keeps_the_event_with_its_new_error(
    poisonable: Poisonable, mall: MallbotsClient
) -> None:
    poisonable.search.mode = "poison"
    async with asyncio.timeout(BOUND):
        store_id = await mall.create_store("Still Poisoned", "Level 3")
    (parked,) = await dead_letters_of(poisonable, "search", store_id)
    assert poisonable.stack.databases is not None
    # Search's real projection applies it, so break the stored event the way a bad deploy might.
    async with poisonable.databases.sessions("search").begin() as session:
        connection = await session.connection()
        await connection.exec_driver_sql(
            "UPDATE search.dead_letters SET event = event - 'store' WHERE id = %(id)s", {"id": parked.id}
        )

    code, out = await mallbots(
        poisonable, "ops", "dead-letters", "--retry", "--service", "search", "--id", str(parked.id)
    )

    assert code == 1
    assert "failed again, kept: ValidationError" in out
    (kept,) = await dead_letters_of(poisonable, "search", store_id)
    assert kept.id == parked.id and kept.attempts == 2 and kept.error.startswith("ValidationError")
    assert kept.last_failed_at >= parked.last_failed_at

    # Clean up for the other tests: give the event back its snapshot and re-apply it.
    async with poisonable.databases.sessions("search").begin() as session:
        connection = await session.connection()
        await connection.exec_driver_sql(
            "UPDATE search.dead_letters SET event = %(event)s::jsonb WHERE id = %(id)s",
            {"id": parked.id, "event": json.dumps(parked.event)},
        )
    outcomes = await retry_dead_letters(poisonable.stack.databases, ["search"], letter_id=parked.id)
    assert [o.done for o in outcomes] == [True]


async def test_a_poison_event_of_the_owners_local_projection_is_parked_too(
    poisonable: Poisonable, mall: MallbotsClient
) -> None:
    before = parked_total("stores", "apply_store_event")
    poisonable.stores.mode = "poison"

    async with asyncio.timeout(BOUND):
        store_id = await mall.create_store("Local Poison", "Level 4")
        await mall.rebrand_store(store_id, "Local Poison II")

    with pytest.raises(ApiError) as missing:  # the stores read model has not got it…
        await mall.get_store(store_id)
    assert missing.value.status == 404
    search_row = await get_row(poisonable.databases.sessions("search"), SearchStoreCache, store_id)
    assert search_row is not None and search_row.name == "Local Poison II"  # …every other subscriber has
    letters = await dead_letters_of(poisonable, "stores", store_id)
    assert [(d.projection, d.event_number) for d in letters] == [("apply_store_event", 1), ("apply_store_event", 2)]
    assert parked_total("stores", "apply_store_event") == before + 2

    poisonable.stores.mode = "healthy"
    code, out = await mallbots(poisonable, "ops", "dead-letters", "--retry", "--service", "stores")

    assert code == 0, out
    assert (await mall.get_store(store_id))["name"] == "Local Poison II"
    assert await dead_letters_of(poisonable, "stores", store_id) == []


@pytest.fixture
def one_line_failures() -> Iterator[None]:
    """The log filter ``mallbots`` installs (``mallbots.cli._logging``), removed again afterwards."""
    logger = logging.getLogger(ACTIVITY_LOGGER)
    filters = list(logger.filters)
    install_activity_failure_filter()
    try:
        yield
    finally:
        logger.filters[:] = filters


@pytest.mark.usefixtures("one_line_failures")
async def test_a_transient_failure_is_retried_never_parked(
    poisonable: Poisonable, mall: MallbotsClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=ACTIVITY_LOGGER)
    search = poisonable.search
    before = parked_total("search", "apply_store_event")
    search.attempts.clear()
    search.retried.clear()
    search.mode = "outage"

    creating = asyncio.ensure_future(mall.create_store("Flaky Corner", "Level 5"))
    try:
        async with asyncio.timeout(BOUND):
            await search.retried.wait()
        (store_id,) = search.attempts
        assert search.attempts[store_id] >= 3
        # Search is down, not the write: the store answers while search keeps retrying.
        async with asyncio.timeout(BOUND):
            await asyncio.shield(creating)
        assert await dead_letters_of(poisonable, "search", store_id) == []
        assert parked_total("search", "apply_store_event") == before

        search.mode = "healthy"  # the database is back
        async with asyncio.timeout(BOUND):
            created = await creating
    finally:
        search.mode = "healthy"
        creating.cancel()

    assert created == store_id
    row = await row_when(poisonable.databases.sessions("search"), SearchStoreCache, store_id)
    assert (row.name, row.version) == ("Flaky Corner", 1)
    assert await dead_letters_of(poisonable, "search", store_id) == []
    assert parked_total("search", "apply_store_event") == before
    # Each failed attempt was logged as one line, not a traceback.
    failures = [r for r in caplog.records if r.name == ACTIVITY_LOGGER and f"store:{store_id}" in r.getMessage()]
    assert len(failures) == search.attempts[store_id]
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in failures)
    assert failures[0].getMessage() == (
        f"activity apply_store_event (workflow store:{store_id}, queue search) failed (attempt 1): "
        "OperationalError: (psycopg.OperationalError) connection refused"
    )
