"""Worker Deployment Versioning: which build of the workers runs which workflow.

Every service's workers belong to one Worker Deployment (``MALLBOTS_DEPLOYMENT_NAME``, default ``mallbots``)
and register this build as one of its versions (``MALLBOTS_BUILD_ID``: the image tag in Helm and Compose).
One deployment for all services because they are released together from one image: a saga pinned to a build
runs its activities on that build's workers of every service queue, so v1's saga never meets v2's activities.

Every workflow type is pinned (the workers' default behavior, ``deployment_config``): a run ends on the build
it started on, so the orders waiting for bots when v2 is promoted finish on v1 while new orders start on v2.
The long-lived entities (stores, products, customers, baskets) move at continue-as-new: a run continues as new
once the server tells it a new version is current (``workflows.shared.entity``), and the new run starts on the
current version (the SDK's upgrade-on-continue-as-new). So ``workflow.patched`` is needed only for a change that
must reach a run mid-flight.

A versioned worker gets no task until its version is current (or ramping), which is what a rollout controls
(``mallbots deploy``). Versioning is a setting deployments turn on (``MALLBOTS_WORKER_VERSIONING=true``: the Helm
chart and Compose do); unset, workers are unversioned, as the embedded dev stack of ``mallbots up`` and the tests
run them (one build by definition; tests swap a service's worker for another unversioned one). So that nothing
needs an extra step once it is on (``activate``, called as the workers start):

- a stack running its own Temporal makes its build current as soon as its workers poll;
- workers joining an existing Temporal make their build current only if the deployment has none (a first install
  has nothing to be compatible with); every later build waits to be ramped and promoted. Set ``MALLBOTS_BUILD_ID``
  (the image tag): without it the build ID is a hash of the loaded code, new with every change.

Promotion is gated: the golden replay histories of every workflow type must replay on the build being promoted
(``replay_gate``; ``mallbots deploy ramp|promote`` run it unless told not to).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.api.deployment.v1 import message_pb2 as deployment_pb
from temporalio.api.enums.v1 import TaskQueueType, VersionDrainageStatus, WorkerDeploymentVersionStatus
from temporalio.api.workflowservice.v1 import request_response_pb2 as wfs
from temporalio.client import Client, WorkflowHistory
from temporalio.common import VersioningBehavior, WorkerDeploymentVersion
from temporalio.service import RPCError, RPCStatusCode
from temporalio.worker import Worker, WorkerDeploymentConfig
from temporalio.worker._worker import load_default_build_id  # public name, not re-exported by the package

from mallbots.settings import Settings

log = logging.getLogger(__name__)

# How long a starting stack waits for the server to list all its task queues under its version before it sets
# the version current anyway (a queue registered later joins the current version by itself).
REGISTRATION_SECONDS = 15.0
REGISTRATION_POLL_SECONDS = 0.2  # the server limits the requests per deployment (several workers may be asking)


def this_version(settings: Settings) -> WorkerDeploymentVersion:
    """``<deployment_name>.<build_id>``; without a build ID, the SDK's hash of the loaded code (so a changed build
    never reuses an old one's ID by accident)."""
    return WorkerDeploymentVersion(settings.deployment_name, settings.build_id or load_default_build_id())


def deployment_config(settings: Settings) -> WorkerDeploymentConfig | None:
    """What every worker of this process is built with; None = unversioned.

    Pinned is the workers' default rather than each ``@workflow.defn``'s: a workflow declaring a behavior cannot
    run on an unversioned worker at all (the server refuses its task: "versioning behavior cannot be specified
    without deployment options being set with versioned mode"), and the dev stack and the workflow tests run
    unversioned ones. Every type here is pinned (entities move at continue-as-new), so one default says it."""
    if not settings.worker_versioning:
        return None
    return WorkerDeploymentConfig(
        version=this_version(settings),
        use_worker_versioning=True,
        default_versioning_behavior=VersioningBehavior.PINNED,
    )


# ---- the deployment as the server sees it ---------------------------------------------------------------------


@dataclass(frozen=True)
class VersionStatus:
    build_id: str
    status: str  # inactive, current, ramping, draining, drained (the server's, lower case)
    drainage: str  # the server's drainage status (refreshed every few minutes), "" if none
    created: float  # seconds since the epoch


@dataclass(frozen=True)
class DeploymentStatus:
    name: str
    current: str | None  # build ID; None = no current version (unversioned workers get the tasks)
    ramping: str | None
    ramp_percentage: float
    versions: tuple[VersionStatus, ...]
    conflict_token: bytes = field(repr=False, default=b"")

    def version(self, build_id: str) -> VersionStatus | None:
        return next((v for v in self.versions if v.build_id == build_id), None)

    def newest_candidate(self) -> str | None:
        """The newest version that is not current: what a ramp or a promotion means when no build is named."""
        candidates = [v for v in self.versions if v.build_id != self.current]
        return max(candidates, key=lambda v: v.created).build_id if candidates else None

    def retiring(self) -> list[str]:
        """The versions a drain check is about: current or ramping once, neither now (a registered build never
        activated is a candidate, not an old one)."""
        return [v.build_id for v in self.versions if v.status in ("draining", "drained")]


def _enum_name(prefix: str, name: str) -> str:
    return name.removeprefix(prefix).lower()


async def describe(client: Client, name: str) -> DeploymentStatus | None:
    """The deployment's routing and versions; None when no worker of it has ever polled."""
    try:
        response = await client.workflow_service.describe_worker_deployment(
            wfs.DescribeWorkerDeploymentRequest(namespace=client.namespace, deployment_name=name)
        )
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    info = response.worker_deployment_info
    routing = info.routing_config
    versions = tuple(
        VersionStatus(
            build_id=summary.deployment_version.build_id,
            status=_enum_name(
                "WORKER_DEPLOYMENT_VERSION_STATUS_",
                WorkerDeploymentVersionStatus.Name(summary.status),
            ),
            drainage=""
            if not summary.HasField("drainage_info")
            else _enum_name("VERSION_DRAINAGE_STATUS_", VersionDrainageStatus.Name(summary.drainage_info.status)),
            created=summary.create_time.seconds + summary.create_time.nanos / 1e9,
        )
        for summary in info.version_summaries
    )
    current = routing.current_deployment_version.build_id if routing.HasField("current_deployment_version") else ""
    ramping = routing.ramping_deployment_version.build_id if routing.HasField("ramping_deployment_version") else ""
    return DeploymentStatus(
        name=name,
        current=current or None,
        ramping=ramping or None,
        ramp_percentage=routing.ramping_version_percentage if ramping else 0.0,
        versions=versions,
        conflict_token=response.conflict_token,
    )


async def set_current(client: Client, name: str, build_id: str, conflict_token: bytes = b"") -> None:
    """Make ``build_id`` current: new workflows (and every continue-as-new of an entity) start on it; a version
    that ramped before is no longer ramping. With ``conflict_token`` (from ``describe``) it fails if the routing
    changed since."""
    await client.workflow_service.set_worker_deployment_current_version(
        wfs.SetWorkerDeploymentCurrentVersionRequest(
            namespace=client.namespace,
            deployment_name=name,
            build_id=build_id,
            conflict_token=conflict_token,
            identity=client.identity,
        )
    )


async def set_ramping(client: Client, name: str, build_id: str | None, percentage: float) -> None:
    """Send ``percentage`` of new workflows to ``build_id`` (the rest to the current version); None or 0 % stops
    the ramp."""
    stop = build_id is None or percentage == 0
    await client.workflow_service.set_worker_deployment_ramping_version(
        wfs.SetWorkerDeploymentRampingVersionRequest(
            namespace=client.namespace,
            deployment_name=name,
            build_id="" if stop or build_id is None else build_id,
            percentage=0.0 if stop else percentage,
            identity=client.identity,
        )
    )


def pinned_query(name: str, build_id: str, workflow_type: str | None = None) -> str:
    """Visibility query of the running workflows pinned to a version (the server indexes the version as
    ``name:build``)."""
    query = (
        f"TemporalWorkerDeploymentVersion = '{name}:{build_id}' AND ExecutionStatus = 'Running' "
        "AND TemporalWorkflowVersioningBehavior = 'Pinned'"
    )
    return query if workflow_type is None else f"{query} AND WorkflowType = '{workflow_type}'"


async def pinned_workflows(client: Client, name: str, build_id: str, workflow_types: Iterable[str]) -> dict[str, int]:
    """How many running workflows are pinned to the version, by type (a type with none is left out; those of a
    type not named are counted under "other")."""
    total = (await client.count_workflows(pinned_query(name, build_id))).count
    counts: dict[str, int] = {}
    for workflow_type in workflow_types:
        if total - sum(counts.values()) <= 0:
            break
        count = (await client.count_workflows(pinned_query(name, build_id, workflow_type))).count
        if count:
            counts[workflow_type] = count
    if rest := total - sum(counts.values()):
        counts["other"] = rest
    return counts


async def registered_queues(client: Client, name: str, build_id: str) -> set[tuple[str, int]]:
    """The (task queue, type) pairs the server lists under the version (empty before any worker polled)."""
    try:
        response = await client.workflow_service.describe_worker_deployment_version(
            wfs.DescribeWorkerDeploymentVersionRequest(
                namespace=client.namespace,
                deployment_version=deployment_pb.WorkerDeploymentVersion(deployment_name=name, build_id=build_id),
            )
        )
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return set()
        raise
    return {(q.name, int(q.type)) for q in response.version_task_queues}


def expected_queues(workers: Sequence[Worker]) -> set[tuple[str, int]]:
    """What the server lists once these workers poll: a workflow queue for a worker with workflows, an activity
    queue for one with activities."""
    expected: set[tuple[str, int]] = set()
    for worker in workers:
        config = worker.config()
        if config.get("workflows"):
            expected.add((worker.task_queue, int(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW)))
        if config.get("activities"):
            expected.add((worker.task_queue, int(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)))
    return expected


def service_queues(services: Iterable[str]) -> set[tuple[str, int]]:
    """What the server lists once the workers of ``services`` poll (``expected_queues``, from the registry)."""
    from mallbots.services import DEFINITIONS  # the registry imports every workflow: only when asked

    expected: set[tuple[str, int]] = set()
    for name in services:
        definition = DEFINITIONS[name]
        if definition.workflows:
            expected.add((definition.task_queue, int(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW)))
        if definition.activity_classes:
            expected.add((definition.task_queue, int(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)))
    return expected


async def wait_until_registered(
    client: Client, version: WorkerDeploymentVersion, queues: set[tuple[str, int]], within: float
) -> bool:
    """Whether the server lists all ``queues`` under the version within ``within`` seconds (a poller registers
    its queue with its first poll)."""
    deadline = time.monotonic() + within
    while True:
        try:
            if queues <= await registered_queues(client, version.deployment_name, version.build_id):
                return True
        except RPCError as err:
            if err.status not in CONTENDED:  # the server's per-deployment rate limit: others are asking too
                raise
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(REGISTRATION_POLL_SECONDS)


async def activate(client: Client, settings: Settings, workers: Sequence[Worker], *, embedded: bool) -> str | None:
    """Right after a stack's workers start: make their version current when nothing else will.

    The embedded stack (its own Temporal) makes its build current: it is the only one. Workers joining an
    existing Temporal make theirs current only if the deployment has no current version yet (a first install);
    otherwise they wait for ``mallbots deploy ramp|promote``. Returns what it did, for the log; None when the
    workers are unversioned."""
    config = workers[0].config().get("deployment_config") if workers else None
    if config is None:
        return None
    return await activate_version(client, config.version, expected_queues(workers), embedded=embedded)


async def activate_version(
    client: Client, version: WorkerDeploymentVersion, queues: set[tuple[str, int]], *, embedded: bool
) -> str:
    """``activate`` for a version whose workers poll ``queues``, wherever they run (a stack whose workers are
    processes of their own calls it once for all of them, with the queues of ``service_queues``)."""
    if not await wait_until_registered(client, version, queues, REGISTRATION_SECONDS):
        log.warning("not every task queue of %s registered within %.0f s", version.build_id, REGISTRATION_SECONDS)
    said = await _decide(client, version, embedded=embedded)
    log.info("worker versioning: %s", said)
    return said


# Several workers starting at once (a first install's pods, a stack's worker processes) may each set the version
# current: the server takes one and refuses the others (a conflict, or "too many requests issued to Worker
# Deployment"); each refused one looks again, after this long and twice as long each time.
ACTIVATION_ATTEMPTS = 8
ACTIVATION_BACKOFF_SECONDS = 0.2
CONTENDED = (RPCStatusCode.FAILED_PRECONDITION, RPCStatusCode.ABORTED, RPCStatusCode.RESOURCE_EXHAUSTED)


async def _decide(client: Client, version: WorkerDeploymentVersion, *, embedded: bool) -> str:
    """Make ``version`` current if it is ours to decide (embedded: always; else only with no current version),
    looking again after a refusal while others contend; returns what happened, for the log."""
    name, build_id = version.deployment_name, version.build_id
    for attempt in range(ACTIVATION_ATTEMPTS):
        try:
            status = await describe(client, name)
            if status is not None and build_id in (status.current, status.ramping):
                state = "current" if status.current == build_id else "ramping"
                return f"{version.to_canonical_string()} is {state}"
            if not (embedded or status is None or status.current is None):
                return (
                    f"{version.to_canonical_string()} registered beside the current {status.current}: it gets tasks "
                    "once ramped or promoted (mallbots deploy ramp|promote)"
                )
            await set_current(client, name, build_id, status.conflict_token if status else b"")
        except RPCError as err:
            if err.status not in CONTENDED or attempt == ACTIVATION_ATTEMPTS - 1:
                raise
            await asyncio.sleep(ACTIVATION_BACKOFF_SECONDS * 2**attempt)
            continue
        return f"{version.to_canonical_string()} made current ({'embedded stack' if embedded else 'first version'})"
    raise AssertionError("unreachable")


# ---- the promotion gate -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GateReport:
    replayed: tuple[str, ...]  # history file names
    failures: tuple[tuple[str, str], ...]  # (file name, why)
    uncovered: tuple[str, ...]  # workflow types without a history

    @property
    def passed(self) -> bool:
        return bool(self.replayed) and not self.failures and not self.uncovered


async def replay_gate(histories: Path) -> GateReport:
    """Replays every golden history in ``histories`` on the workflow code of this process: the build being
    promoted must replay every workflow type's histories (those of its pinned runs' types it will take over at
    continue-as-new, and those its own patches keep replaying), and every registered workflow type must have
    one. The histories are in clear (made-up data), replayed with the plain pydantic converter."""
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.worker import Replayer

    from mallbots.bootstrap import SANDBOXED
    from mallbots.services import DEFINITIONS

    workflows = [wf for definition in DEFINITIONS.values() for wf in definition.workflows]
    replayer = Replayer(workflows=workflows, data_converter=pydantic_data_converter, workflow_runner=SANDBOXED)
    loaded = await asyncio.to_thread(_load_histories, histories)
    failures: list[tuple[str, str]] = []
    covered: set[str] = set()
    for name, history in loaded:
        if isinstance(history, str):  # an unreadable file fails the gate, saying why
            failures.append((name, history))
            continue
        covered.add(history.events[0].workflow_execution_started_event_attributes.workflow_type.name)
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        if result.replay_failure is not None:
            failures.append((name, f"{type(result.replay_failure).__name__}: {result.replay_failure}"))
    uncovered = sorted(wf.__name__ for wf in workflows if wf.__name__ not in covered)
    return GateReport(tuple(name for name, _ in loaded), tuple(failures), tuple(uncovered))


def _load_histories(histories: Path) -> list[tuple[str, WorkflowHistory | str]]:
    """Each ``*.json`` file's history, or why it could not be read."""
    loaded: list[tuple[str, WorkflowHistory | str]] = []
    for path in sorted(histories.glob("*.json")):
        try:
            history = WorkflowHistory.from_json(path.stem, json.loads(path.read_text()))
            if not history.events:
                raise ValueError("no events")
        except (OSError, ValueError) as err:
            loaded.append((path.name, f"{type(err).__name__}: {err}"))
        else:
            loaded.append((path.name, history))
    return loaded
