"""Shared fixtures: a real stack (Temporal dev server + Postgres + workers + API) started once per session,
a time-skipping Temporal test server for workflow tests, and a real-time dev server for the few workflow tests
whose timers must fire while a workflow task is busy (the time-skipping server cannot skip then, and such a
test leaves its time lock held, which stalls every later test on the shared time-skipping server)."""

from __future__ import annotations

import asyncio
import sys
import warnings
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from mallbots.bootstrap import data_converter
from mallbots.codec import PayloadKey
from mallbots.devstack.temporal import LocalTemporal
from mallbots.stack import Stack, ephemeral_options


@pytest.fixture(scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    """The same code as ``mallbots up``, on free ports, with throw-away state."""
    async with Stack(ephemeral_options(tmp_path_factory.mktemp("stack"))) as running:
        yield running


@pytest.fixture
async def api(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """Raw HTTP to the stack's API as an operator (who may call every route)."""
    headers = {"Authorization": f"Bearer {stack.token()}"}
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30, headers=headers) as client:
        yield client


class TimeSkippingServer:
    """One time-skipping test server per module, replaced as soon as a test leaves its clock locked.

    The test server keeps a count of what holds its clock still, and some of its paths never give a hold
    back: a workflow terminated with an activity outstanding (temporalio/sdk-java#1138), and a workflow that
    times out (seen here: a checkout test's order, left waiting for its bot while the test waited for the
    basket with a free clock, was skipped to the server's 10-year run limit). From then on the clock moves
    only in real time, and the module's next timer test waits out its hour until pytest-timeout (CI lost
    300 s and a run to this). After every test, with its workers gone, the clock is asked to skip a minute:
    a free clock does so at once, a held one cannot."""

    PROBE = timedelta(minutes=1)
    PROBE_LIMIT = 2.0  # seconds of real time: a free clock answers in milliseconds

    def __init__(self) -> None:
        self._env: WorkflowEnvironment | None = None

    @property
    def env(self) -> WorkflowEnvironment:
        assert self._env is not None, "the time-skipping server is not running"
        return self._env

    async def start(self) -> None:
        server = Path(sys.executable).parent / "temporal-test-server"
        self._env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=str(server), data_converter=pydantic_data_converter
        )

    async def stop(self) -> None:
        if self._env is not None:
            await self._env.shutdown()
            self._env = None

    async def clock_is_free(self) -> bool:
        try:
            await asyncio.wait_for(self.env.sleep(self.PROBE), self.PROBE_LIMIT)
        except TimeoutError:
            return False
        return True


@pytest.fixture(scope="module")
async def time_skipping_server() -> AsyncIterator[TimeSkippingServer]:
    """One server per test module: a server starts in about a second, and a module's leftovers (a workflow
    it left mid-task) then never reach another module's clock."""
    server = TimeSkippingServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def time_skipping_env(
    time_skipping_server: TimeSkippingServer, request: pytest.FixtureRequest
) -> AsyncIterator[WorkflowEnvironment]:
    """Timers of days run in milliseconds; activities are replaced by same-named fakes in each test. Torn
    down after the fixtures that use it, so its workers have stopped and its workflows ended when the clock
    is checked."""
    yield time_skipping_server.env
    if not await time_skipping_server.clock_is_free():
        warnings.warn(
            f"{request.node.nodeid} left the time-skipping server's clock held; the next test gets a new server",
            stacklevel=1,
        )
        await time_skipping_server.stop()
        await time_skipping_server.start()


@pytest.fixture(scope="session")
async def real_time_env() -> AsyncIterator[WorkflowEnvironment]:
    """An in-memory Temporal dev server (the same binary as ``mallbots up``): timers run in real time. Its
    client has the production converter (payloads encrypted, here with a throw-away key)."""
    server = LocalTemporal(ui=False)
    address = server.start()
    try:
        client = await Client.connect(address, data_converter=data_converter([PayloadKey.generate("workflow-tests")]))
        yield WorkflowEnvironment.from_client(client)
    finally:
        server.stop()
