"""The chart's side of Worker Deployment Versioning: every worker registers the deployment and its build (its image
tag), two builds run side by side during a rollout, each worker Deployment has a PodDisruptionBudget and a shutdown
long enough for its running activities, and the rollout procedure in deploy/README.md is made of commands the CLI
accepts."""

from __future__ import annotations

import re
import shlex
from datetime import timedelta
from typing import Any

import helm_python as helm
import kubernetes_validate
import pytest
import typer
from typer.core import TyperGroup

from tests.deploy.conftest import REPO, cli_group, registered_services
from tests.deploy.test_helm import (
    EVERYTHING,
    KUBERNETES,
    REQUIRED,
    Manifest,
    component,
    of_kind,
    pod_spec,
    render,
    settings_of,
)

ROLLOUT = {**REQUIRED, "versioning": {"builds": [{"buildId": "0.9.0", "replicas": 0}, {"buildId": "1.0.0"}]}}


def workers(manifests: list[Manifest]) -> list[tuple[Manifest, dict[str, Any]]]:
    return [(d, pod_spec(d)["containers"][0]) for d in component(manifests, "Deployment", "worker")]


@pytest.mark.parametrize("values", [REQUIRED, EVERYTHING, ROLLOUT], ids=["defaults", "everything", "rollout"])
def test_every_worker_registers_the_deployment_and_the_image_tag_it_runs_as_its_build(
    values: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for deployment, container in workers(render(values)):
        settings = settings_of(container, monkeypatch)
        tag = container["image"].rpartition(":")[2]
        assert settings.worker_versioning is True
        assert settings.deployment_name == "mallbots"
        assert settings.build_id == tag == deployment["metadata"]["annotations"]["mallbots.io/build-id"]


def test_during_a_rollout_each_service_runs_the_old_and_the_new_build_side_by_side() -> None:
    manifests = render(ROLLOUT)
    builds: dict[str, dict[str, int]] = {}
    for deployment, container in workers(manifests):
        service = deployment["metadata"]["labels"]["mallbots.io/service"]
        builds.setdefault(service, {})[container["image"].rpartition(":")[2]] = deployment["spec"]["replicas"]
    # The old build scaled to zero by its own replicas once drained; the new one at every service's.
    assert sorted(builds) == sorted(registered_services())
    assert all(b == {"0.9.0": 0, "1.0.0": 1} for b in builds.values()), builds
    for manifest in manifests:
        kubernetes_validate.validate(manifest, KUBERNETES, strict=True)


def test_the_builds_selectors_never_select_each_others_pods() -> None:
    deployments = of_kind(render(ROLLOUT), "Deployment")
    for deployment in deployments:
        selector = deployment["spec"]["selector"]["matchLabels"].items()
        selected = [
            d["metadata"]["name"]
            for d in deployments
            if selector <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert selected == [deployment["metadata"]["name"]]


def test_long_build_ids_and_release_names_still_make_distinct_dns_labels() -> None:
    long_builds = {"builds": [{"buildId": "2026.12.01-build." + "a" * 40}, {"buildId": "2026.12.01-build." + "b" * 40}]}
    manifests = render({**EVERYTHING, "versioning": long_builds}, release="r" * 53)
    names = [m["metadata"]["name"] for m in manifests if m["kind"] == "Deployment"]
    assert len(names) == len(set(names))
    for name in names:
        assert len(name) <= 63 and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", name), name


@pytest.mark.parametrize("values", [REQUIRED, ROLLOUT], ids=["defaults", "rollout"])
def test_every_worker_deployment_has_a_disruption_budget_selecting_exactly_its_pods(values: dict[str, Any]) -> None:
    manifests = render(values)
    budgets = {b["metadata"]["name"]: b for b in of_kind(manifests, "PodDisruptionBudget")}
    deployments = {d["metadata"]["name"]: d for d, _ in workers(manifests)}
    assert set(budgets) == set(deployments)
    for name, budget in budgets.items():
        assert budget["spec"]["maxUnavailable"] == 1
        selector = budget["spec"]["selector"]["matchLabels"].items()
        assert [
            n for n, d in deployments.items() if selector <= d["spec"]["template"]["metadata"]["labels"].items()
        ] == [name]


def test_a_worker_lets_running_activities_finish_within_its_termination_grace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from workflows.shared.activity_options import ACTIVITY_TIMEOUT

    for deployment, container in workers(render(REQUIRED)):
        grace = settings_of(container, monkeypatch).worker_shutdown_grace
        assert grace >= ACTIVITY_TIMEOUT, "an activity attempt in flight may finish"
        assert timedelta(seconds=pod_spec(deployment)["terminationGracePeriodSeconds"]) >= grace + timedelta(seconds=5)


def test_a_termination_grace_shorter_than_the_shutdown_grace_is_refused() -> None:
    values = {**REQUIRED, "workers": {"defaults": {"shutdownGraceSeconds": 60, "terminationGracePeriodSeconds": 60}}}
    with pytest.raises(helm.HelmError, match=r"terminationGracePeriodSeconds .* must exceed shutdownGraceSeconds"):
        render(values)


@pytest.mark.parametrize(
    ("versioning", "message"),
    [
        ({"deploymentName": "mall.bots"}, "no dots"),
        ({"builds": [{"buildId": "1.0"}, {"buildId": "1.0"}]}, "listed twice"),
        ({"builds": [{"buildId": "1.0"}, {"buildId": "1-0"}]}, "listed twice"),
        ({"builds": [{"buildId": "-bad tag"}]}, "is not an image tag"),
    ],
)
def test_unusable_versioning_values_are_refused(versioning: dict[str, Any], message: str) -> None:
    with pytest.raises(helm.HelmError, match=message):
        render({**REQUIRED, "versioning": versioning})


def _deploy_commands() -> list[list[str]]:
    text = (REPO / "deploy" / "README.md").read_text()
    found = []
    for line in text.splitlines():
        if match := re.search(r"mallbots deploy ([^`|#]+)", line):
            # The table's placeholder stands for a share of new workflows.
            found.append([arg.replace("PERCENT", "10") for arg in shlex.split(match.group(1).strip())])
    return found


def test_the_rollout_procedure_uses_deploy_commands_the_cli_accepts() -> None:
    commands = _deploy_commands()
    deploy = cli_group().commands["deploy"]
    assert isinstance(deploy, TyperGroup)
    used = set()
    for args in commands:
        name, *rest = args
        command = deploy.commands.get(name)
        assert command is not None, f"`mallbots deploy {shlex.join(args)}`: no such command"
        try:
            with command.make_context(f"mallbots deploy {name}", list(rest)):
                used.add(name)
        except typer.Exit:
            used.add(name)  # --help
    assert used >= {"status", "ramp", "promote", "drain-check"}
