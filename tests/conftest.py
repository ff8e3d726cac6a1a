"""Shared fixtures: a real stack (Temporal dev server + Postgres + workers + API) started once per session,
a time-skipping Temporal test server for workflow tests, and a real-time dev server for the few workflow tests
whose timers must fire while a workflow task is busy (the time-skipping server cannot skip then, and such a
test leaves its time lock held, which stalls every later test on the shared time-skipping server)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
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


@pytest.fixture(scope="module")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """Timers of days run in milliseconds; activities are replaced by same-named fakes in each test.

    One server per test module: a workflow another module left mid-task can hold a time-skipping server's
    clock, and every later test that sleeps on that server then waits in real time (seen in full runs:
    the timer tests of the first workflow module timed out). A server starts in about a second."""
    server = Path(sys.executable).parent / "temporal-test-server"
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(server), data_converter=pydantic_data_converter
    )
    try:
        yield env
    finally:
        await env.shutdown()


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
