"""How a client (the API, or an activity) commands an entity workflow. Never imported by workflow code.

Both callers need the same three things: create an entity and send its first command in one round trip,
send it a command, and tell "the entity is not there (any more)" apart from a refusal, whose business
failure is re-raised as it is so that the caller maps it (the API to a 4xx, the saga to a compensation).
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode


class EntityGone(Exception):
    """The entity's workflow does not exist, or has already closed (updates need a running workflow)."""


def _unwrapped(err: WorkflowUpdateFailedError) -> BaseException:
    """The failure inside a failed update, re-raised as it is. Temporal failures keep their own cause in
    ``__cause__``, so re-raising it "from" the update error would replace that cause with a loop back."""
    return err.cause


async def update_entity(
    client: Client, workflow_id: str, update: Any, arg: Any = None, update_id: str | None = None
) -> Any:
    """Send an update; a refused or failed update re-raises its cause (the business failure), a missing or
    closed entity raises ``EntityGone``. Updates with one ``update_id`` are applied once by the entity."""
    handle = client.get_workflow_handle(workflow_id)
    try:
        if arg is None:
            return await handle.execute_update(update, id=update_id)
        return await handle.execute_update(update, arg, id=update_id)
    except WorkflowUpdateFailedError as err:
        raise _unwrapped(err) from err.cause.__cause__
    except RPCError as err:
        if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise EntityGone(f"{workflow_id} is not running") from err
        raise


async def create_entity(
    client: Client,
    update: Any,
    arg: Any,
    start: WithStartWorkflowOperation[Any, Any],
    update_id: str | None = None,
) -> Any | None:
    """Start an entity workflow and send its creating update in one round trip (update-with-start).

    Safe to repeat: a running entity answers the same update again, and one that has already
    closed (``REJECT_DUPLICATE`` on the start) is reported as ``None`` instead of being re-created.
    """
    try:
        return await client.execute_update_with_start_workflow(
            update, arg, start_workflow_operation=start, id=update_id
        )
    except WorkflowAlreadyStartedError:
        return None
    except WorkflowUpdateFailedError as err:
        raise _unwrapped(err) from err.cause.__cause__
    except RPCError as err:
        # The same refusal from a server that sends no start-failure details with it (the time-skipping test
        # server): the client cannot turn it into WorkflowAlreadyStartedError.
        if err.status is RPCStatusCode.ALREADY_EXISTS:
            return None
        raise


def start_entity(
    workflow_run: Any, arg: Any, *, id: str, task_queue: str, **kwargs: Any
) -> WithStartWorkflowOperation[Any, Any]:
    """Start half of update-with-start: attach to a running entity, never revive a closed one."""
    return WithStartWorkflowOperation(
        workflow_run,
        arg,
        id=id,
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        **kwargs,
    )
