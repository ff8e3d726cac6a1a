"""Workers: one per service task queue; one process may host any subset of them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from mallbots.db import Databases
from mallbots.services import DEFINITIONS, ServiceResources, activity_methods

# The sandbox guards every workflow against non-deterministic calls. Passing all modules through means
# they are imported once and shared instead of re-imported for each workflow run (our workflow modules
# keep no module-level mutable state, which is what makes sharing them safe). Without the sandbox at all
# the saga runs ~15% faster (MALLBOTS_WORKFLOW_SANDBOX=false); the replay tests still guard determinism.
SANDBOXED = SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_all_modules())
UNSANDBOXED = UnsandboxedWorkflowRunner()


def build_workers(
    client: Client,
    databases: Databases,
    services: Iterable[str],
    activity_overrides: Mapping[str, Sequence[object]] | None = None,
    sandbox: bool = True,
) -> list[Worker]:
    """Workers for ``services``; tests may replace a service's activity objects via ``activity_overrides``."""
    workers = []
    for name in services:
        definition = DEFINITIONS[name]
        objects = (activity_overrides or {}).get(name)
        if objects is None:
            objects = definition.activity_objects(ServiceResources(sessions=databases.sessions(name), client=client))
        activities = activity_methods(objects)
        if not activities and not definition.workflows:
            continue
        workers.append(
            Worker(
                client,
                task_queue=definition.task_queue,
                workflows=list(definition.workflows),
                activities=activities,
                max_concurrent_activities=200,
                max_concurrent_workflow_tasks=200,
                workflow_runner=SANDBOXED if sandbox else UNSANDBOXED,
            )
        )
    return workers
