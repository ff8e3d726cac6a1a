"""The process layout's pieces: a child builds exactly the parent's settings from the environment it is given,
with what the parent resolved; each worker process serves its metrics on a port of its own."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from mallbots.devstack.lifetime import EXIT_DEADLINE_SECONDS
from mallbots.processes import ProcessLayout, Resolved, child_environment, layout_of, numbered_address
from mallbots.settings import SERVICES, Settings
from mallbots.stack import WORKER_STOP_GRACE_SECONDS, stop_deadline_seconds, worker_stop_seconds

RESOLVED = Resolved(
    temporal_address="127.0.0.1:7777",
    database_urls={s: f"postgresql+psycopg://u@127.0.0.1:5555/{s}" for s in SERVICES},
    payload_keys="k1=" + "A" * 43 + "=",
    codec_token="t" * 32,
    codec_cors_origins=("http://127.0.0.1:8233", "http://localhost:8233"),
    signing_key_file=Path("/tmp/key.pem"),
)


def _from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in [n for n in os.environ if n.startswith("MALLBOTS_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)


def test_a_child_builds_the_parents_settings_and_what_it_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = Settings(
        _env_file=None,
        data_dir=Path("/srv/mall"),
        basket_ttl=timedelta(hours=3, seconds=7),
        request_timeout=timedelta(milliseconds=2500),
        workflow_sandbox=False,
        auth_audience="shop",
        temporal_api_key=SecretStr("secret-key"),
        log_level="WARNING",
        worker_processes=3,
        workflow_cache=17,
    )
    env = child_environment(parent, RESOLVED, {"PATH": "/bin", "MALLBOTS_STRAY": "x"})
    assert env["PATH"] == "/bin" and "MALLBOTS_STRAY" not in env  # ours, not whatever else was set
    child = _from(env, monkeypatch)
    resolved_fields = {"temporal_address", "payload_keys", "codec_token", "codec_cors_origins", "auth_signing_key_file"}
    resolved_fields |= {f"{s}_database_url" for s in SERVICES}
    for name in Settings.model_fields:
        if name not in resolved_fields:
            assert getattr(child, name) == getattr(parent, name), name
    assert child.temporal_address == "127.0.0.1:7777"
    assert all(child.database_url_for(s) == RESOLVED.database_urls[s] for s in SERVICES)
    assert child.payload_keys is not None and child.payload_keys.get_secret_value() == RESOLVED.payload_keys
    assert child.codec_token is not None and child.codec_token.get_secret_value() == "t" * 32
    assert child.cors_origins() == ["http://127.0.0.1:8233", "http://localhost:8233"]
    assert child.auth_signing_key_file == Path("/tmp/key.pem")
    assert child.temporal_api_key is not None and child.temporal_api_key.get_secret_value() == "secret-key"


def test_without_payload_keys_the_child_runs_in_clear_as_the_parent_does(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = Settings(_env_file=None, payload_keys_file=Path("/run/keys"))
    clear = Resolved(**{**RESOLVED.__dict__, "payload_keys": None, "codec_token": None, "signing_key_file": None})
    child = _from(child_environment(parent, clear, {}), monkeypatch)
    assert child.payload_encryption is False
    assert child.payload_keys is None and child.payload_keys_file is None and child.codec_token is None


@pytest.mark.parametrize(
    ("address", "index", "expected"),
    [
        (None, 3, None),
        ("0.0.0.0:9465", 0, "0.0.0.0:9465"),
        ("0.0.0.0:9465", 2, "0.0.0.0:9467"),
        ("[::1]:90", 1, "[::1]:91"),
    ],
)
def test_each_worker_process_serves_its_metrics_on_the_next_port(
    address: str | None, index: int, expected: str
) -> None:
    assert numbered_address(address, index) == expected


def test_the_layout_follows_the_settings_and_zero_worker_processes_means_one_process() -> None:
    assert layout_of(Settings(_env_file=None, worker_processes=0)) is None
    assert layout_of(Settings(_env_file=None, worker_processes=3, api_processes=2)) == ProcessLayout(3, 2)
    with pytest.raises(ValueError, match="at least one worker process"):
        ProcessLayout(workers=0)


def test_a_graceful_worker_shutdown_lengthens_the_stop_and_its_deadline_by_as_much() -> None:
    quick = Settings(_env_file=None)
    assert worker_stop_seconds(quick) == WORKER_STOP_GRACE_SECONDS
    assert stop_deadline_seconds(quick) == EXIT_DEADLINE_SECONDS
    rollout = Settings(_env_file=None, worker_shutdown_grace=timedelta(seconds=30))
    assert worker_stop_seconds(rollout) == 30.5  # the activities' 30 s, then a moment for the SDK's cancellations
    assert stop_deadline_seconds(rollout) == EXIT_DEADLINE_SECONDS + 30.5 - WORKER_STOP_GRACE_SECONDS
