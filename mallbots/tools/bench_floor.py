"""The floor a saga is compared with: a workflow of N sequential no-op activities on the same server."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow

FLOOR_QUEUE = "bench-floor"


@activity.defn
async def bench_noop(step: int) -> int:
    return step


@workflow.defn
class FloorWorkflow:
    @workflow.run
    async def run(self, steps: int) -> int:
        for step in range(steps):
            await workflow.execute_activity(
                bench_noop, step, task_queue=FLOOR_QUEUE, start_to_close_timeout=timedelta(seconds=10)
            )
        return steps
