"""Worker versioning's rules that need no server: what the workers register, which versions a rollout is about,
what drain-check counts, and the promotion gate (the golden histories replayed on this code)."""

from __future__ import annotations

import inspect
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio import workflow
from temporalio.common import VersioningBehavior

from mallbots import versioning
from mallbots.deploy_cli import ENTITIES_MOVING_AT_CONTINUE_AS_NEW
from mallbots.services import DEFINITIONS
from mallbots.settings import Settings
from mallbots.versioning import DeploymentStatus, VersionStatus

HISTORIES = Path(__file__).resolve().parents[1] / "replay" / "histories"
WORKFLOWS = [wf for definition in DEFINITIONS.values() for wf in definition.workflows]
WORKFLOWS_DIR = Path(__file__).resolve().parents[2] / "workflows"


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_workers_are_unversioned_unless_a_deployment_turns_versioning_on() -> None:
    assert versioning.deployment_config(_settings()) is None


def test_versioned_workers_register_the_deployment_and_build_and_pin_every_workflow_by_default() -> None:
    config = versioning.deployment_config(_settings(worker_versioning=True, deployment_name="mall", build_id="1.4.2"))

    assert config is not None
    assert config.use_worker_versioning
    assert (config.version.deployment_name, config.version.build_id) == ("mall", "1.4.2")
    assert config.version.to_canonical_string() == "mall.1.4.2"
    assert config.default_versioning_behavior is VersioningBehavior.PINNED


def test_without_a_build_id_the_build_is_named_by_a_hash_of_its_code() -> None:
    version = versioning.this_version(_settings(worker_versioning=True))

    assert version.deployment_name == "mallbots"
    assert len(version.build_id) >= 16 and version.build_id == versioning.this_version(_settings()).build_id


@pytest.mark.parametrize("values", [{"deployment_name": "mall.bots"}, {"deployment_name": ""}, {"build_id": "v 2"}])
def test_a_deployment_name_with_a_dot_or_a_blank_build_id_is_refused(values: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        _settings(**values)


def test_no_workflow_declares_its_own_behavior_which_unversioned_workers_could_not_run() -> None:
    """The dev server refuses a workflow task naming a behavior from an unversioned worker; the workers' default
    (pinned) says it for every type."""
    for wf in WORKFLOWS:
        definition = workflow._Definition.must_from_class(wf)
        assert definition.versioning_behavior is VersioningBehavior.UNSPECIFIED, wf.__name__


def test_every_continue_as_new_moves_to_the_current_build() -> None:
    """A plain continue-as-new would inherit the pinned build for ever: the old version would never drain. The
    entities that move so are the ones drain-check names as moving at their next command."""
    plain = [
        path.relative_to(WORKFLOWS_DIR).as_posix()
        for path in WORKFLOWS_DIR.rglob("*.py")
        if "workflow.continue_as_new(" in path.read_text() and path.name != "entity.py"
    ]
    assert plain == []
    moving = {wf.__name__ for wf in WORKFLOWS if "continue_as_new_on_current_build(" in inspect.getsource(wf)}
    assert (
        moving
        == ENTITIES_MOVING_AT_CONTINUE_AS_NEW
        == {
            "StoreWorkflow",
            "ProductWorkflow",
            "CustomerWorkflow",
            "BasketWorkflow",
        }
    )


def _status(*versions: tuple[str, str, float], current: str | None, ramping: str | None = None) -> DeploymentStatus:
    return DeploymentStatus(
        name="mallbots",
        current=current,
        ramping=ramping,
        ramp_percentage=10.0 if ramping else 0.0,
        versions=tuple(VersionStatus(b, status, "", created) for b, status, created in versions),
    )


def test_a_rollout_means_the_newest_build_that_is_not_current() -> None:
    status = _status(("v1", "draining", 1.0), ("v3", "inactive", 3.0), ("v2", "current", 2.0), current="v2")

    assert status.newest_candidate() == "v3"
    assert _status(("v1", "current", 1.0), current="v1").newest_candidate() is None


def test_drain_check_is_about_the_versions_that_were_active_and_are_not_any_more() -> None:
    status = _status(
        ("v0", "drained", 0.0),
        ("v1", "draining", 1.0),
        ("v2", "current", 2.0),
        ("v3", "ramping", 3.0),
        ("v4", "inactive", 4.0),
        current="v2",
        ramping="v3",
    )

    assert status.retiring() == ["v0", "v1"]


def test_drain_check_counts_the_running_workflows_pinned_to_the_version() -> None:
    query = versioning.pinned_query("mallbots", "v1", "OrderWorkflow")

    assert query == (
        "TemporalWorkerDeploymentVersion = 'mallbots:v1' AND ExecutionStatus = 'Running' "
        "AND TemporalWorkflowVersioningBehavior = 'Pinned' AND WorkflowType = 'OrderWorkflow'"
    )


async def test_the_gate_passes_a_build_that_replays_every_workflow_types_histories() -> None:
    report = await versioning.replay_gate(HISTORIES)

    assert report.passed, report
    assert len(report.replayed) == len(list(HISTORIES.glob("*.json")))


async def test_the_gate_refuses_a_workflow_type_without_a_history(tmp_path: Path) -> None:
    for path in HISTORIES.glob("*.json"):
        if not path.name.startswith("InvoiceWorkflow-"):
            shutil.copy(path, tmp_path)

    report = await versioning.replay_gate(tmp_path)

    assert not report.passed
    assert report.uncovered == ("InvoiceWorkflow",) and report.failures == ()


async def test_the_gate_refuses_a_history_this_code_does_not_replay_naming_it(tmp_path: Path) -> None:
    """A run whose recorded saga authorized through another activity than this code schedules."""
    for path in HISTORIES.glob("*.json"):
        shutil.copy(path, tmp_path)
    changed = tmp_path / "OrderWorkflow-completed.json"
    changed.write_text(changed.read_text().replace('"authorize_customer"', '"vet_customer"'))

    report = await versioning.replay_gate(tmp_path)

    assert not report.passed
    assert [name for name, _ in report.failures] == ["OrderWorkflow-completed.json"]
    assert "Nondeterminism" in report.failures[0][1]


async def test_the_gate_refuses_an_unreadable_history_and_an_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "OrderWorkflow-broken.json").write_text(json.dumps({"events": []}))

    report = await versioning.replay_gate(tmp_path)

    assert [name for name, _ in report.failures] == ["OrderWorkflow-broken.json"]
    assert not (await versioning.replay_gate(tmp_path / "nothing")).passed
