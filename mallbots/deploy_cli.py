"""``mallbots deploy``: roll a new worker build out (Worker Deployment Versioning, ``mallbots.versioning``).

A rollout: start the new build's workers beside the old ones (they register their version and get nothing),
``ramp`` a share of new workflows to it, ``promote`` it, and scale the old build down once ``drain-check`` says
no workflow is pinned to it any more. ``ramp`` and ``promote`` first replay the golden histories of every
workflow type on the code of this process (run them from the build being promoted); a failure refuses.

Exit codes as ``mallbots ops``: 0 done, or drained; 1 refused by the gate, or not drained yet; 2 bad usage, or
Temporal cannot be reached.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from mallbots import versioning

# The golden histories, relative to the repository (and to the image's working directory: the Dockerfile copies
# them there, so the gate can run from the image being promoted).
DEFAULT_HISTORIES = Path("tests/replay/histories")

deploy = typer.Typer(
    help="Roll out a worker build: status, ramp PERCENT, promote, drain-check (Worker Deployment Versioning). "
    "Exit 0: done or drained; 1: refused by the replay gate, or not drained; 2: bad usage or Temporal unreachable.",
    no_args_is_help=True,
)

console = Console()
errors = Console(stderr=True)

AddressOption = Annotated[str | None, typer.Option(help="Temporal frontend (default MALLBOTS_TEMPORAL_ADDRESS)")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
BuildOption = Annotated[
    str | None, typer.Option("--build-id", help="the version's build ID (default: the newest that is not current)")
]
HistoriesOption = Annotated[
    Path, typer.Option(help="the golden replay histories the build must replay first (the promotion gate)")
]
SkipGateOption = Annotated[
    bool, typer.Option("--skip-gate", help="skip the replay gate (an emergency rollback to a build that passed it)")
]


def _run(command: Any) -> None:
    """The ops commands' runner: their settings, client and exit handling (``mallbots.cli``)."""
    from mallbots.cli import _ops_exit

    _ops_exit(command)


async def _client(address: str | None) -> tuple[Any, str]:
    from mallbots.cli import _ops_client, _ops_temporal

    settings, target, keys = _ops_temporal(address)
    return await _ops_client(settings, target, keys), settings.deployment_name


async def _status_or_none(client: Any, name: str) -> versioning.DeploymentStatus | None:
    from mallbots import versioning

    status = await versioning.describe(client, name)
    if status is None:
        errors.print(f"[red]no worker of deployment {name!r} has polled yet[/] (is MALLBOTS_WORKER_VERSIONING on?)")
    return status


# The long-lived entities: pinned too, but they continue as new onto the current build at their next command, so
# an idle one holds an old build until someone touches it (workflows/shared/entity.py).
ENTITIES_MOVING_AT_CONTINUE_AS_NEW = frozenset(
    {"StoreWorkflow", "ProductWorkflow", "CustomerWorkflow", "BasketWorkflow"}
)


def _workflow_types() -> list[str]:
    from mallbots.services import DEFINITIONS

    return [wf.__name__ for definition in DEFINITIONS.values() for wf in definition.workflows]


async def _gate(histories: Path, skip: bool) -> bool:
    if skip:
        errors.print("[yellow]replay gate skipped[/] (--skip-gate)")
        return True
    from mallbots import versioning

    if not await asyncio.to_thread(histories.is_dir):
        errors.print(f"[red]no replay histories at {histories}[/]: give --histories, or --skip-gate")
        raise typer.Exit(2)
    report = await versioning.replay_gate(histories)
    for name, why in report.failures:
        errors.print(f"[red]does not replay[/] {name}: {why}")
    if report.uncovered:
        errors.print(f"[red]no history of[/] {', '.join(report.uncovered)}")
    if not report.replayed:
        errors.print(f"[red]no history in {histories}[/]")
    if report.passed:
        console.print(f"replay gate: {len(report.replayed)} histories replay on this build")
    return report.passed


def _target(status: versioning.DeploymentStatus, build_id: str | None) -> str | None:
    chosen = build_id or status.newest_candidate()
    if chosen is None:
        errors.print("[red]no version to roll out[/]: every registered version is current")
    elif status.version(chosen) is None:
        errors.print(f"[red]build {chosen!r} has not registered[/] (start its workers first)")
        return None
    return chosen


async def _gated_target(
    status: versioning.DeploymentStatus, build_id: str | None, histories: Path, skip_gate: bool
) -> str | None:
    """What ``ramp`` and ``promote`` roll out: the build named (or the newest not current), once it has passed
    the replay gate; None (already explained on stderr) when there is none or it failed."""
    chosen = _target(status, build_id)
    if chosen is None or not await _gate(histories, skip_gate):
        return None
    return chosen


@deploy.command("status")
def status(address: AddressOption = None, as_json: JsonOption = False) -> None:
    """The deployment's versions: which is current, which ramps and by how much, and how many workflows are
    pinned to each."""

    async def run() -> int:
        from mallbots import versioning

        client, name = await _client(address)
        found = await _status_or_none(client, name)
        if found is None:
            return 1
        types = _workflow_types()
        pinned = {
            v.build_id: await versioning.pinned_workflows(client, name, v.build_id, types) for v in found.versions
        }
        if as_json:
            from mallbots.cli import _print_json

            _print_json(
                {
                    "deployment": name,
                    "current": found.current,
                    "ramping": found.ramping,
                    "rampPercentage": found.ramp_percentage,
                    "versions": [
                        {
                            "buildId": v.build_id,
                            "status": v.status,
                            "drainage": v.drainage,
                            "pinned": sum(pinned[v.build_id].values()),
                            "pinnedByType": pinned[v.build_id],
                        }
                        for v in found.versions
                    ],
                }
            )
            return 0
        table = Table(title=f"deployment {name}")
        for column in ("build ID", "status", "ramp", "pinned running"):
            table.add_column(column)
        for v in sorted(found.versions, key=lambda v: v.created):
            ramp = f"{found.ramp_percentage:g} %" if v.build_id == found.ramping else ""
            counts = pinned[v.build_id]
            table.add_row(v.build_id, v.status, ramp, ", ".join(f"{t} {n}" for t, n in counts.items()) or "0")
        console.print(table)
        return 0

    _run(run)


@deploy.command("ramp")
def ramp(
    percentage: Annotated[float, typer.Argument(min=0, max=100, help="share of new workflows for the build; 0 stops")],
    build_id: BuildOption = None,
    histories: HistoriesOption = DEFAULT_HISTORIES,
    skip_gate: SkipGateOption = False,
    address: AddressOption = None,
) -> None:
    """Send PERCENT of new workflows (and of entities' continue-as-new) to the build; the rest stay current."""

    async def run() -> int:
        from mallbots import versioning

        client, name = await _client(address)
        found = await _status_or_none(client, name)
        if found is None:
            return 1
        if percentage == 0:
            await versioning.set_ramping(client, name, None, 0)
            console.print(f"{name}: no version ramps now")
            return 0
        chosen = await _gated_target(found, build_id, histories, skip_gate)
        if chosen is None:
            return 1
        await versioning.set_ramping(client, name, chosen, percentage)
        console.print(f"{name}: {chosen} ramps at {percentage:g} % (current: {found.current})")
        return 0

    _run(run)


@deploy.command("promote")
def promote(
    build_id: BuildOption = None,
    histories: HistoriesOption = DEFAULT_HISTORIES,
    skip_gate: SkipGateOption = False,
    address: AddressOption = None,
) -> None:
    """Make the build current: every new workflow starts on it and entities move to it at their next
    continue-as-new; workflows pinned to the old build finish there."""

    async def run() -> int:
        from mallbots import versioning

        client, name = await _client(address)
        found = await _status_or_none(client, name)
        if found is None:
            return 1
        chosen = await _gated_target(found, build_id, histories, skip_gate)
        if chosen is None:
            return 1
        await versioning.set_current(client, name, chosen, found.conflict_token)
        console.print(f"{name}: {chosen} is current (was {found.current}); `mallbots deploy drain-check` says when")
        console.print("the old build has no pinned workflow left")
        return 0

    _run(run)


@deploy.command("drain-check")
def drain_check(build_id: BuildOption = None, address: AddressOption = None, as_json: JsonOption = False) -> None:
    """Whether the old builds (every version neither current nor ramping, or the one named) have no running
    workflow pinned to them, so that their workers can be scaled down. Exit 0: drained; 1: not yet."""

    async def run() -> int:
        from mallbots import versioning

        client, name = await _client(address)
        found = await _status_or_none(client, name)
        if found is None:
            return 1
        retiring = [build_id] if build_id else found.retiring()
        if build_id and build_id in (found.current, found.ramping):
            errors.print(f"[red]{build_id} is {'current' if build_id == found.current else 'ramping'}[/]: not draining")
            return 1
        types = _workflow_types()
        left = {b: await versioning.pinned_workflows(client, name, b, types) for b in retiring}
        if as_json:
            from mallbots.cli import _print_json

            _print_json(
                {"deployment": name, "versions": {b: {"pinned": sum(c.values()), "byType": c} for b, c in left.items()}}
            )
        else:
            for b, counts in left.items():
                if counts:
                    detail = ", ".join(f"{t} {n}" for t, n in counts.items())
                    console.print(f"{b}: {sum(counts.values())} pinned workflows still running ({detail})")
                    if idle := sorted(set(counts) & ENTITIES_MOVING_AT_CONTINUE_AS_NEW):
                        console.print(f"  {', '.join(idle)}: each moves to the current build at its next command")
                else:
                    console.print(f"{b}: drained (no pinned workflow running): its workers can be scaled down")
            if not left:
                console.print("no old version to drain")
        return 1 if any(left.values()) else 0

    _run(run)
