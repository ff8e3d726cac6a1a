"""The guard against non-deterministic workflow code lives in the tests (workers run unsandboxed for speed,
``mallbots.bootstrap``): the runner the workflow tests, the replays and the contract tests use refuses a
workflow's clock, random numbers and wall-clock date, so such a call fails the suite instead of a replay in
production."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.worker import Worker

from mallbots.bootstrap import SANDBOXED
from mallbots.stack import Stack
from tests.workflows.nondeterministic import AsksTheDate, ReadsTheClock, RollsADie

QUEUE = f"determinism-guard-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize(
    ("workflow", "call"),
    [(ReadsTheClock, "time.time"), (RollsADie, "random.random"), (AsksTheDate, "datetime.datetime.now")],
)
async def test_the_tests_sandbox_fails_a_workflow_task_that_reads_the_clock_or_chance(
    stack: Stack, workflow: type, call: str
) -> None:
    # On the stack's dev server: a task failure retried on the time-skipping test server holds its clock.
    client = stack.client
    assert client is not None
    events = await _history_until_a_task_failed(client, workflow)
    failure = next(e for e in events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
    # The stack's codec encrypts failures too: decoded as the Temporal UI's codec server would.
    message = str(await client.data_converter.decode_failure(failure.workflow_task_failed_event_attributes.failure))
    assert f"Cannot access {call}" in message, message
    assert not any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED for e in events)


async def _history_until_a_task_failed(client: Client, workflow: type) -> list[HistoryEvent]:
    async with Worker(client, task_queue=QUEUE, workflows=[workflow], workflow_runner=SANDBOXED):
        handle = await client.start_workflow(
            workflow.run,  # type: ignore[attr-defined]
            id=f"guard-{uuid.uuid4()}",
            task_queue=QUEUE,
            execution_timeout=timedelta(minutes=5),
        )
        try:
            async with asyncio.timeout(30):
                while True:
                    events = list((await handle.fetch_history()).events)
                    if any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED for e in events):
                        return events
                    await asyncio.sleep(0.05)
        finally:
            await handle.terminate("the guard's test is done")
