"""Compose's side of Worker Deployment Versioning: every worker registers the build its image is tagged with, stops
gracefully within Compose's grace, and the image carries the golden histories the promotion gate replays."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from mallbots.deploy_cli import DEFAULT_HISTORIES
from tests.deploy.conftest import REPO
from tests.deploy.test_compose import dockerfile_stages, env, instructions, resolved, secrets_dir, workers

Service = dict[str, Any]
__all__ = ["secrets_dir"]  # the module-scoped fixture of the Compose tests: dummy secret files


def _settings(service: Service, monkeypatch: pytest.MonkeyPatch) -> Any:
    from mallbots.settings import Settings

    with monkeypatch.context() as patched:
        for variable in [k for k in os.environ if k.startswith("MALLBOTS_")]:
            patched.delenv(variable)
        for variable, value in env(service).items():
            if variable.startswith("MALLBOTS_") and value is not None:
                patched.setenv(variable, value)
        return Settings(_env_file=None)


@pytest.mark.parametrize("build", [None, "0.2.0"], ids=["default", "MALLBOTS_BUILD_ID"])
def test_every_worker_registers_the_build_its_image_is_tagged_with(
    secrets_dir: Path, monkeypatch: pytest.MonkeyPatch, build: str | None
) -> None:
    shell = {} if build is None else {"MALLBOTS_BUILD_ID": build}
    services = resolved(secrets_dir, shell)["services"]
    found = workers(services, with_profiles=True)
    assert found
    for name, service in found.items():
        settings = _settings(service, monkeypatch)
        assert settings.worker_versioning is True, name
        assert settings.build_id == service["image"].rpartition(":")[2] == (build or "local"), name


def test_a_stopping_worker_lets_its_activities_finish_before_compose_kills_it(
    secrets_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workflows.shared.activity_options import ACTIVITY_TIMEOUT

    for name, service in workers(resolved(secrets_dir)["services"], with_profiles=True).items():
        grace = _settings(service, monkeypatch).worker_shutdown_grace
        stop = re.fullmatch(r"(\d+)s", service["stop_grace_period"])
        assert stop is not None, f"{name}: stop_grace_period {service['stop_grace_period']!r}"
        assert grace >= ACTIVITY_TIMEOUT and int(stop.group(1)) > grace.total_seconds(), name


def test_the_image_carries_the_histories_the_promotion_gate_replays_where_it_looks() -> None:
    runtime = dockerfile_stages()[-1]
    (workdir,) = instructions(runtime, "WORKDIR")
    copies = [line.split() for line in instructions(runtime, "COPY") if not line.startswith("--from")]
    assert copies == [[str(DEFAULT_HISTORIES), f"./{DEFAULT_HISTORIES}"]]
    assert workdir == "/app"
    ignore = (REPO / ".dockerignore").read_text().splitlines()
    assert "tests" in ignore and f"!{DEFAULT_HISTORIES}" in ignore, "the build context must hold the histories"
    assert list((REPO / DEFAULT_HISTORIES).glob("*.json")), "no history to copy"
