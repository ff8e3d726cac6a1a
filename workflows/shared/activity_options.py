"""Retry and timeout policies shared by every workflow, and the one way a workflow calls an activity."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import FailureError
from temporalio.types import MethodAsyncSingleParam

from workflows.shared.errors import business_error_in

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


# A command to another entity (an update through a Temporal client, nothing else) first runs in the caller's own
# worker as a local activity: no activity task through the server, a third of what a saga step costs it. It gets
# two quick attempts; one that still fails for no business reason (the other service's workers down, the server
# busy) then runs as an ordinary activity on the target service's queue, retried as long as it takes, where the
# Temporal UI, ``mallbots ops order`` and ``mallbots ops stuck`` show it pending with its attempts and last failure.
# Commands are safe to repeat (an activity's retries repeat them today). Runs started before this patch keep
# running every command as an activity (an unversioned worker meets them; versioned ones never do).
LOCAL_COMMAND_PATCH = "commands-run-locally-first"
# The customer's authorization (a query of the customer's workflow since this patch, a read of customers' read model
# before it) joined the local commands later, under its own patch: a run that recorded only the first one keeps
# asking customers' queue.
LOCAL_AUTHORIZE_PATCH = "customer-authorized-locally-first"
# The saga's step 2 (open the order's shopping list) became such a command under its own patch, once the list's
# workflow learned to build itself from depot's read model. A run that recorded no marker keeps step 2 as an
# activity on depot's queue.
OPEN_LIST_PATCH = "shopping-list-opened-by-command"
LOCAL_COMMAND_TIMEOUT = timedelta(seconds=10)
LOCAL_COMMAND_RETRY = RetryPolicy(initial_interval=timedelta(milliseconds=200), maximum_attempts=2)


async def run_command(
    activity: MethodAsyncSingleParam[Any, P, R], arg: P, *, task_queue: str, patch: str = LOCAL_COMMAND_PATCH
) -> R:
    """A command to an entity of the service behind ``task_queue``: locally first, then on that queue. ``patch``:
    the patch under which this command became local (runs recorded before it keep the activity). A refusal is
    raised as a ``FailureError``: the ``ActivityError`` around it from the queue, the ``ApplicationError`` itself
    from a local run. A command to the caller's own queue is always an activity (see below)."""
    name = getattr(activity, "__name__", "command")
    # Never locally to an entity on this same worker: the local activity would hold this run's workflow task and
    # cache slot while the target's run, which needs one to answer, waits for a slot (seen with a cache of one run:
    # an invoice's capture of its payment waited out the local attempt). No patch is asked: no run recorded one.
    if task_queue != workflow.info().task_queue and workflow.patched(patch):
        try:
            return await workflow.execute_local_activity_method(
                activity,
                arg,
                start_to_close_timeout=LOCAL_COMMAND_TIMEOUT,
                retry_policy=LOCAL_COMMAND_RETRY,
                summary=f"{name} (local)",
            )
        except FailureError as err:
            # A refusal is final: raised as it is (a local activity's failure arrives as it was raised, not inside
            # an ActivityError, so callers catch FailureError and read it with business_error_in). Anything else
            # (the target's workers down, the server busy) moves to the target's queue.
            if business_error_in(err) is not None:
                raise
    return await run_activity(activity, arg, task_queue=task_queue)
