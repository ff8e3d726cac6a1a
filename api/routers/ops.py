"""``/api/ops``: what operators ask of the running system, served from the Temporal service itself.

``GET /api/ops/stats``: per service task queue, the workers polling it (DescribeTaskQueue's pollers), its
backlog (approximate count and age) and task rates (DescribeTaskQueue with ``report_stats``), and how many
workflows on it completed in a recent window (a visibility count). ``mallbots ops stats`` prints the same
document. Operators only (``api.access``).

The collection lives here because the API serves it and ``api`` imports nothing of ``mallbots``; the CLI
imports it from here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field
from temporalio.api.enums.v1 import TaskQueueKind, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest, DescribeTaskQueueResponse
from temporalio.client import Client

from api.deps import TemporalClient
from api.http import JsonRoute
from api.schemas import ERROR_RESPONSES, ApiModel
from workflows.baskets.messages import TASK_QUEUE as BASKETS_QUEUE
from workflows.customers.messages import TASK_QUEUE as CUSTOMERS_QUEUE
from workflows.depot.messages import TASK_QUEUE as DEPOT_QUEUE
from workflows.ordering.messages import TASK_QUEUE as ORDERING_QUEUE
from workflows.payments.messages import TASK_QUEUE as PAYMENTS_QUEUE
from workflows.stores.messages import TASK_QUEUE as STORES_QUEUE

router = APIRouter(prefix="/api/ops", tags=["ops"], responses=ERROR_RESPONSES, route_class=JsonRoute)

# One queue per service, in the service registry's order (``mallbots.services.DEFINITIONS``, which this layer
# may not import; a unit test keeps the two equal). Notifications and search only run activities.
TASK_QUEUES: tuple[str, ...] = (
    STORES_QUEUE,
    CUSTOMERS_QUEUE,
    BASKETS_QUEUE,
    ORDERING_QUEUE,
    DEPOT_QUEUE,
    PAYMENTS_QUEUE,
    "notifications",
    "search",
)
DEFAULT_WINDOW_SECONDS = 300
MAX_WINDOW_SECONDS = 7 * 86400


class TaskStats(ApiModel):
    """One kind of task (workflow or activity tasks) of a task queue, as the Temporal server counts it."""

    pollers: int = Field(description="pollers the server saw recently (it forgets one minutes after its last poll)")
    backlog: int = Field(description="approximate number of tasks waiting for a worker")
    backlog_age_seconds: float = Field(description="how long the oldest waiting task has waited")
    tasks_added_per_second: float = Field(description="tasks added, per second (the server's recent average)")
    tasks_dispatched_per_second: float = Field(description="tasks handed to workers, per second (recent average)")


class TaskQueueStats(ApiModel):
    task_queue: str
    workers: int = Field(description="distinct worker identities polling this queue (either kind of task)")
    worker_identities: list[str]
    last_poll_at: datetime | None = Field(description="the most recent poll by any of them")
    pollers: int = Field(description="workflow-task pollers plus activity-task pollers")
    backlog: int = Field(description="workflow plus activity tasks waiting")
    backlog_age_seconds: float = Field(description="the older of the two backlogs' ages")
    tasks_dispatched_per_second: float = Field(description="workflow plus activity tasks handed to workers")
    workflows_running: int = Field(description="workflow executions on this queue still running")
    workflows_completed: int = Field(description="executions on this queue that completed within the window")
    workflows_failed: int = Field(description="executions that failed, timed out or were terminated in the window")
    completed_per_minute: float = Field(description="workflows completed per minute over the window")
    workflow_tasks: TaskStats
    activity_tasks: TaskStats


class OpsStats(ApiModel):
    namespace: str
    at: datetime
    window_seconds: int
    task_queues: list[TaskQueueStats]


class OpsStatsResponse(ApiModel):
    stats: OpsStats


WindowSeconds = Annotated[
    int,
    Query(
        alias="windowSeconds",
        ge=1,
        le=MAX_WINDOW_SECONDS,
        description="the recent window the completion counts and rate are taken over",
    ),
]


@router.get("/stats", response_model=OpsStatsResponse)
async def get_stats(client: TemporalClient, window_seconds: WindowSeconds = DEFAULT_WINDOW_SECONDS) -> OpsStatsResponse:
    """Per service task queue: workers polling it, backlog, task rates and workflows completed per minute
    (the same document as ``mallbots ops stats --json``). Operators only."""
    return OpsStatsResponse(stats=await collect_stats(client, TASK_QUEUES, timedelta(seconds=window_seconds)))


# ---- the collection ---------------------------------------------------------------------------------------
_FAILED = ("Failed", "TimedOut", "Terminated")
_RPC_TIMEOUT = timedelta(seconds=5)  # each call; an unreachable server is said, not waited for


def _since(now: datetime, window: timedelta) -> str:
    return (now - window).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _describe(client: Client, queue: str, kind: TaskQueueType.ValueType) -> DescribeTaskQueueResponse:
    # The classic mode with report_stats (server 1.25+): the enhanced mode's per-version answer is deprecated.
    request = DescribeTaskQueueRequest(
        namespace=client.namespace,
        task_queue=TaskQueue(name=queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
        task_queue_type=kind,
        report_stats=True,
    )
    return await client.workflow_service.describe_task_queue(request, timeout=_RPC_TIMEOUT)


def _task_stats(answer: DescribeTaskQueueResponse) -> TaskStats:
    stats = answer.stats
    return TaskStats(
        pollers=len(answer.pollers),
        backlog=stats.approximate_backlog_count,
        backlog_age_seconds=stats.approximate_backlog_age.ToTimedelta().total_seconds(),
        tasks_added_per_second=round(stats.tasks_add_rate, 3),
        tasks_dispatched_per_second=round(stats.tasks_dispatch_rate, 3),
    )


async def _closed_by_status(client: Client, queue: str, since: str) -> dict[str, int]:
    query = f"TaskQueue = '{queue}' AND CloseTime > '{since}' GROUP BY ExecutionStatus"
    counted = await client.count_workflows(query, rpc_timeout=_RPC_TIMEOUT)
    return {str(group.group_values[0]): group.count for group in counted.groups if group.group_values}


async def queue_stats(client: Client, queue: str, now: datetime, window: timedelta) -> TaskQueueStats:
    workflow, activity, running, closed = await asyncio.gather(
        _describe(client, queue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
        _describe(client, queue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
        client.count_workflows(f"TaskQueue = '{queue}' AND ExecutionStatus = 'Running'", rpc_timeout=_RPC_TIMEOUT),
        _closed_by_status(client, queue, _since(now, window)),
    )
    pollers = [*workflow.pollers, *activity.pollers]
    identities = sorted({p.identity for p in pollers})
    polled = [p.last_access_time.ToDatetime(tzinfo=UTC) for p in pollers if p.HasField("last_access_time")]
    workflow_tasks, activity_tasks = _task_stats(workflow), _task_stats(activity)
    completed = closed.get("Completed", 0)
    return TaskQueueStats(
        task_queue=queue,
        workers=len(identities),
        worker_identities=identities,
        last_poll_at=max(polled, default=None),
        pollers=workflow_tasks.pollers + activity_tasks.pollers,
        backlog=workflow_tasks.backlog + activity_tasks.backlog,
        backlog_age_seconds=max(workflow_tasks.backlog_age_seconds, activity_tasks.backlog_age_seconds),
        tasks_dispatched_per_second=round(
            workflow_tasks.tasks_dispatched_per_second + activity_tasks.tasks_dispatched_per_second, 3
        ),
        workflows_running=running.count,
        workflows_completed=completed,
        workflows_failed=sum(closed.get(status, 0) for status in _FAILED),
        completed_per_minute=round(completed / (window.total_seconds() / 60), 3),
        workflow_tasks=workflow_tasks,
        activity_tasks=activity_tasks,
    )


async def collect_stats(client: Client, queues: Sequence[str], window: timedelta) -> OpsStats:
    """Every queue's stats, asked concurrently (four small calls a queue)."""
    now = datetime.now(UTC)
    found = await asyncio.gather(*(queue_stats(client, queue, now, window) for queue in queues))
    return OpsStats(
        namespace=client.namespace, at=now, window_seconds=int(window.total_seconds()), task_queues=list(found)
    )
