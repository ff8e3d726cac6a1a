"""Message contracts: the session stack's Postgres for the consumers' read models; for the providers, the real
services on a Temporal dev server of their own (``provider_mall.py``), against the same Postgres."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from temporalio.client import Client

from mallbots.bootstrap import data_converter
from mallbots.codec import PayloadKey
from mallbots.devstack.temporal import LocalTemporal
from mallbots.stack import Stack
from tests.contracts.messages.consumer_harness import ConsumerHarness, projection_activities
from tests.contracts.messages.provider_mall import Deliveries, Mall, ProviderMall, run_services

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")  # offline: no usage telemetry from the Pact core


@pytest.fixture(scope="session")
async def consumer_harness(stack: Stack) -> ConsumerHarness:
    assert stack.databases is not None and stack.client is not None
    activities = projection_activities(stack.databases, stack.client)
    return ConsumerHarness(stack.databases, activities, asyncio.get_running_loop())


@pytest.fixture(scope="session")
async def provider_mall(stack: Stack) -> AsyncIterator[ProviderMall]:
    """A Temporal server of its own, so that the recording workers are the only ones on the services' queues
    (the stack's own workers would take half the tasks); the production converter, payloads encrypted with a
    throw-away key, so what is recorded is what a worker decodes."""
    assert stack.databases is not None
    server = LocalTemporal(ui=False)
    address = server.start()
    try:
        client = await Client.connect(address, data_converter=data_converter([PayloadKey.generate("pacts")]))
        deliveries = Deliveries()
        async with AsyncExitStack() as workers:
            await run_services(client, stack.databases, deliveries, workers)
            yield ProviderMall(Mall(client, stack.databases), deliveries)
    finally:
        server.stop()
