"""Operator tools: find sagas that are stuck (compensating, or waiting on a step, longer than a threshold)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.api.failure.v1 import Failure
from temporalio.client import Client, WorkflowQueryFailedError
from temporalio.service import RPCError

from workflows.ordering.order_workflow import OrderWorkflow

QUERY_TIMEOUT = timedelta(seconds=5)  # a saga no worker replays answers no query: said, not waited for


@dataclass
class StuckSaga:
    workflow_id: str
    status: str
    age: timedelta
    step: str
    pending: str  # the activity it is waiting on: name, attempt, last failure

    def as_json(self) -> dict[str, Any]:
        return {
            "workflow_id": self.workflow_id,
            "status": self.status,
            "age_seconds": round(self.age.total_seconds(), 3),
            "step": self.step,
            "pending": self.pending,
        }


def stuck_query(older_than: timedelta, now: datetime) -> str:
    """Orders still ``pending`` (the saga has not finished) that started before ``now - older_than``."""
    since = (now - older_than).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        "WorkflowType = 'OrderWorkflow' AND ExecutionStatus = 'Running' "
        f"AND OrderStatus = 'pending' AND StartTime < '{since}'"
    )


async def failure_message(client: Client, failure: Failure) -> str:
    """A failure's message: with payload encryption on it travels encrypted (in its encoded attributes)."""
    copy = Failure()
    copy.CopyFrom(failure)  # decoding works in place
    error = await client.data_converter.decode_failure(copy)
    return str(getattr(error, "message", None) or error)


async def find_stuck_sagas(client: Client, older_than: timedelta, limit: int = 100) -> list[StuckSaga]:
    now = datetime.now(UTC)
    found = []
    async for execution in client.list_workflows(stuck_query(older_than, now), limit=limit):
        handle = client.get_workflow_handle(execution.id, run_id=execution.run_id)
        description = await handle.describe()
        pending = [
            f"{a.activity_type.name} (attempt {a.attempt}"
            + (f", last failure: {await failure_message(client, a.last_failure)}" if a.HasField("last_failure") else "")
            + ")"
            for a in description.raw_description.pending_activities
        ]
        try:
            step = await handle.query(OrderWorkflow.get_saga_step, rpc_timeout=QUERY_TIMEOUT)
        except (RPCError, WorkflowQueryFailedError):
            step = "(no worker answered the query)"
        found.append(
            StuckSaga(
                workflow_id=execution.id,
                status="pending",
                age=now - execution.start_time,
                step=step,
                pending="; ".join(pending) or "-",
            )
        )
    return found
