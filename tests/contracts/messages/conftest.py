"""Message contracts: the session stack's Postgres for the consumers' read models; nothing for the providers."""

from __future__ import annotations

import asyncio
import os

import pytest

from mallbots.stack import Stack
from tests.contracts.messages.consumer_harness import ConsumerHarness, projection_activities

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")  # offline: no usage telemetry from the Pact core


@pytest.fixture(scope="session")
async def consumer_harness(stack: Stack) -> ConsumerHarness:
    assert stack.databases is not None and stack.client is not None
    activities = projection_activities(stack.databases, stack.client)
    return ConsumerHarness(stack.databases, activities, asyncio.get_running_loop())
