"""Retry and timeout policies shared by every workflow, and the one way a workflow calls an activity."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.types import MethodAsyncSingleParam

P = TypeVar("P")
R = TypeVar("R")

# Transient failures (database down, worker killed) are retried with backoff for as long as it
# takes; business failures are non-retryable ApplicationErrors and stop at once.
TRANSIENT_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
)
ACTIVITY_TIMEOUT = timedelta(seconds=15)


async def run_activity(activity: MethodAsyncSingleParam[Any, P, R], arg: P, *, task_queue: str) -> R:
    """Another service's activity, by reference (a rename is a type error, not a stuck workflow), on that
    service's queue, with the policies above."""
    return await workflow.execute_activity_method(
        activity, arg, task_queue=task_queue, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=TRANSIENT_RETRY
    )
