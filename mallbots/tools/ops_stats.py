"""Operator tools: how loaded each service is (``mallbots ops stats``), per task queue.

The numbers are the Temporal server's (``api.routers.ops.collect_stats``, which ``GET /api/ops/stats`` serves
too): the workers polling each queue, its backlog and task rates, and the workflows on it that completed in
a recent window. ``--json`` prints the API's document.
"""

from __future__ import annotations

from rich.table import Table

from api.routers.ops import OpsStats, OpsStatsResponse
from mallbots.services import DEFINITIONS

# One task queue per service, from the service registry.
TASK_QUEUES: tuple[str, ...] = tuple(d.task_queue for d in DEFINITIONS.values())


def unpolled(stats: OpsStats) -> list[str]:
    """The queues no worker polls: nothing on them runs (what ``ops stats`` exits 1 for)."""
    return [q.task_queue for q in stats.task_queues if q.pollers == 0]


def as_document(stats: OpsStats) -> dict[str, object]:
    """The API's answer (``GET /api/ops/stats``), to the letter."""
    document: dict[str, object] = OpsStatsResponse(stats=stats).model_dump(mode="json", by_alias=True)
    return document


def _age(seconds: float) -> str:
    return "-" if seconds <= 0 else f"{seconds:.1f}s"


def stats_table(stats: OpsStats, target: str) -> Table:
    minutes = stats.window_seconds / 60
    table = Table(title=f"task queues on {target} ({stats.namespace}) · completions over the last {minutes:g} min")
    columns = ("task queue", "workers", "pollers wf/act", "backlog wf/act", "oldest waiting", "dispatched/s")
    for column in (*columns, "running", "completed", "failed", "completed/min"):
        table.add_column(column, justify="left" if column == "task queue" else "right")
    for q in stats.task_queues:
        workers = str(q.workers) if q.pollers else "[red]0[/]"
        table.add_row(
            q.task_queue,
            workers,
            f"{q.workflow_tasks.pollers}/{q.activity_tasks.pollers}",
            f"{q.workflow_tasks.backlog}/{q.activity_tasks.backlog}",
            _age(q.backlog_age_seconds),
            f"{q.tasks_dispatched_per_second:.2f}",
            str(q.workflows_running),
            str(q.workflows_completed),
            str(q.workflows_failed),
            f"{q.completed_per_minute:.2f}",
        )
    return table
