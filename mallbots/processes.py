"""The Python side on both cores: the API and the workers as processes of their own.

One Python process holds one GIL: a stack that runs its API and every worker in one process uses one core
whatever the machine has. With a ``ProcessLayout`` the stack (``mallbots up``, ``mallbots bench``) only
provisions (Temporal, Postgres, migrations, keys) and supervises; its children join what it provisioned as a
deployment's processes would, through ``mallbots api`` and ``mallbots worker``, configured by their
environment alone (the parent's settings, with the addresses, URLs and secrets it resolved). So what runs
here is what a deployment runs, and the layout is one setting (``MALLBOTS_WORKER_PROCESSES``).

- Each worker process runs the workers of every service: the server spreads each queue's tasks over all
  pollers, so no process idles while another has a queue's backlog.
- The API processes share one listening socket, made here and inherited (the kernel hands each connection to
  one of them), so the port is fixed before any child starts and is never raced for.
- A child says it is ready on a pipe; one that exits before that stops the start, its output on our stderr.
- Children lead sessions of their own (a terminal's Ctrl-C reaches only us, and we stop them), die with us
  (``die_with_parent``) and are registered, so a forced exit kills them too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr, TypeAdapter

from mallbots.devstack.lifetime import die_with_parent, kill_tree, register_child, unregister_child
from mallbots.settings import Settings

log = logging.getLogger(__name__)

READY = b"ready\n"
START_WITHIN_SECONDS = 120.0  # a child that has not said it is ready by then fails the start


@dataclass(frozen=True)
class ProcessLayout:
    """How many processes of each kind a stack starts (``MALLBOTS_WORKER_PROCESSES``, ``MALLBOTS_API_PROCESSES``)."""

    workers: int = 2
    api: int = 1

    def __post_init__(self) -> None:
        if self.workers < 1 or self.api < 0:
            raise ValueError("a process layout has at least one worker process and no negative API count")


def layout_of(settings: Settings) -> ProcessLayout | None:
    """The layout the settings ask for; None (``MALLBOTS_WORKER_PROCESSES=0``) = everything in one process."""
    if settings.worker_processes == 0:
        return None
    return ProcessLayout(workers=settings.worker_processes, api=settings.api_processes)


@dataclass(frozen=True)
class Resolved:
    """What the parent resolved that its children must share: where Temporal and each database are, and the
    secrets (payload keys, codec token, the signing key's file)."""

    temporal_address: str
    database_urls: Mapping[str, str]
    payload_keys: str | None  # the keys' lines (``mallbots.codec.format_keys``); None = encryption off
    codec_token: str | None
    codec_cors_origins: Sequence[str]
    signing_key_file: Path | None  # the local issuer's key, when the API trusts it


def _setting_value(value: object) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, timedelta):
        return str(TypeAdapter(timedelta).dump_python(value, mode="json"))  # ISO 8601, as pydantic reads it back
    return str(value)


def child_environment(settings: Settings, resolved: Resolved, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` (our environment), with every setting as this process has it and what it resolved: the child
    builds the same ``Settings`` from its environment. Secrets travel in the environment, which only the same
    user can read (``/proc/<pid>/environ`` is mode 0400), as a container's do."""
    env = {k: v for k, v in base.items() if not k.startswith("MALLBOTS_")}
    for name, value in settings:
        if value is not None:
            env[f"MALLBOTS_{name.upper()}"] = _setting_value(value)
    env["MALLBOTS_TEMPORAL_ADDRESS"] = resolved.temporal_address
    for service, url in resolved.database_urls.items():
        env[f"MALLBOTS_{service.upper()}_DATABASE_URL"] = url
    env.pop("MALLBOTS_PAYLOAD_KEYS_FILE", None)
    if resolved.payload_keys is None:
        env["MALLBOTS_PAYLOAD_ENCRYPTION"] = "false"
        env.pop("MALLBOTS_PAYLOAD_KEYS", None)
    else:
        env["MALLBOTS_PAYLOAD_KEYS"] = resolved.payload_keys
    if resolved.codec_token is not None:
        env["MALLBOTS_CODEC_TOKEN"] = resolved.codec_token
    if resolved.codec_cors_origins:
        env["MALLBOTS_CODEC_CORS_ORIGINS"] = ",".join(resolved.codec_cors_origins)
    if resolved.signing_key_file is not None:
        env["MALLBOTS_AUTH_SIGNING_KEY_FILE"] = str(resolved.signing_key_file)
    return env


def api_sdk_metrics_address(settings: Settings, layout: ProcessLayout, index: int) -> str | None:
    """Where API process ``index`` serves its Temporal client's SDK metrics: the ports after the workers' (the
    parent, which runs neither, serves none), so no two processes of one stack ask for the same port."""
    return numbered_address(settings.temporal_metrics_address, layout.workers + index)


def numbered_address(address: str | None, index: int) -> str | None:
    """Worker process ``index``'s metrics address: the configured host:port for the first, the next ports for
    the others (each process serves its own series; a scrape config lists them all)."""
    if address is None or index == 0:
        return address
    host, _, port = address.rpartition(":")
    return f"{host}:{int(port) + index}"


@dataclass
class Child:
    kind: str  # "api" or "worker"
    name: str
    process: subprocess.Popen[bytes]
    ready: int  # the read end of its readiness pipe

    @property
    def pid(self) -> int:
        return self.process.pid


def describe_children(children: Sequence[Child]) -> str:
    """ "1 API process (pid 41), 2 worker processes (pids 42, 43)", for the banner."""
    parts = []
    for kind, label in (("api", "API process"), ("worker", "worker process")):
        pids = [str(child.pid) for child in children if child.kind == kind]
        if pids:
            plural = "es" if len(pids) > 1 else ""
            parts.append(f"{len(pids)} {label}{plural} (pid{'s' if len(pids) > 1 else ''} {', '.join(pids)})")
    return ", ".join(parts)


def _start_child(kind: str, name: str, args: Sequence[str], env: Mapping[str, str], keep: Sequence[int] = ()) -> Child:
    read_fd, write_fd = os.pipe()
    try:
        command = [sys.executable, "-m", "mallbots.cli", *args, "--ready-fd", str(write_fd)]
        # Started from the main thread: ``die_with_parent`` fires when the thread that forked the child ends.
        process = subprocess.Popen(
            command,
            env=dict(env),
            pass_fds=(write_fd, *keep),
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGTERM),
        )
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    register_child(process, name)
    return Child(kind, name, process, read_fd)


def start_children(
    layout: ProcessLayout,
    settings: Settings,
    resolved: Resolved,
    api_socket: socket.socket | None,
    services: Sequence[str],
) -> list[Child]:
    """The API processes (on ``api_socket``) and the worker processes of ``services``, started; not yet ready."""
    chosen = [arg for name in services for arg in ("--service", name)]
    children: list[Child] = []
    try:
        for index in range(layout.workers):
            worker_settings = settings.model_copy(
                update={
                    "metrics_address": numbered_address(settings.metrics_address, index),
                    "temporal_metrics_address": numbered_address(settings.temporal_metrics_address, index),
                }
            )
            env = child_environment(worker_settings, resolved, os.environ)
            args = ["worker", "--no-migrate", *chosen]
            children.append(_start_child("worker", f"worker process {index + 1}", args, env))
        if layout.api and api_socket is not None:
            fd = api_socket.fileno()
            os.set_inheritable(fd, True)
            for index in range(layout.api):
                # The API serves its own metrics at /metrics; its SDK client's, numbered after the workers'.
                api_settings = settings.model_copy(
                    update={
                        "metrics_address": None,
                        "temporal_metrics_address": api_sdk_metrics_address(settings, layout, index),
                    }
                )
                env = child_environment(api_settings, resolved, os.environ)
                args = ["api", "--no-migrate", "--socket-fd", str(fd), *chosen]
                children.append(_start_child("api", f"API process {index + 1}", args, env, keep=(fd,)))
    except BaseException:
        stop_children_now(children)
        raise
    return children


async def wait_until_ready(children: Sequence[Child], within: float = START_WITHIN_SECONDS) -> None:
    """Until every child said it is ready; raises, naming it, when one exits first or takes too long."""
    deadline = time.monotonic() + within
    for child in children:
        while True:
            if await asyncio.to_thread(_readable, child.ready, 0.2):
                said = os.read(child.ready, len(READY))
                if said == READY:
                    break
                code = await asyncio.to_thread(_exit_code, child.process, 5.0)
                raise RuntimeError(f"the {child.name} exited (code {code}) before it was ready: see its output above")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {child.name} was not ready within {within:.0f} s")


def _readable(fd: int, timeout: float) -> bool:
    import select

    readable, _, _ = select.select([fd], [], [], timeout)
    return bool(readable)


def _exit_code(process: subprocess.Popen[bytes], within: float) -> int | None:
    with contextlib.suppress(subprocess.TimeoutExpired):
        return process.wait(within)
    return None


async def stop_children(children: Sequence[Child], within: float) -> list[str]:
    """SIGTERM to each (its own bounded stop begins), then up to ``within`` seconds for all of them; what is
    still running then is killed with all it forked. Returns what had to be killed."""
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + within
    killed = []
    for child in children:
        left = max(0.0, deadline - time.monotonic())
        if await asyncio.to_thread(_exit_code, child.process, left) is None:
            kill_tree(child.pid, wait=1.0)
            await asyncio.to_thread(_exit_code, child.process, 1.0)
            killed.append(f"the {child.name} (not stopped within {within:.1f} s, killed)")
        _forget(child)
    return killed


def stop_children_now(children: Sequence[Child]) -> None:
    for child in children:
        kill_tree(child.pid, wait=1.0)
        _exit_code(child.process, 1.0)
        _forget(child)


def _forget(child: Child) -> None:
    unregister_child(child.process)
    with contextlib.suppress(OSError):
        os.close(child.ready)


def say_ready(fd: int | None) -> None:
    """In a child: tell the parent it serves (the API) or polls (the workers)."""
    if fd is None:
        return
    with contextlib.suppress(OSError):
        os.write(fd, READY)
        os.close(fd)
