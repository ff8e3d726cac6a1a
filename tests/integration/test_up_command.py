"""`mallbots up --seed` as a user runs it (a process, then Ctrl-C): it serves the seeded mall, and Ctrl-C
stops the API, the workers, Temporal and Postgres, leaving nothing listening and no traceback, also when it
arrives while the demo mall is still being seeded."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from mallbots.devstack.ports import free_port

READY_LINE = "Ctrl-C stops everything."


def _start(tmp_path: Path) -> tuple[subprocess.Popen[str], int]:
    api_port = free_port()
    env = {
        **os.environ,
        "MALLBOTS_TEMPORAL_PORT": str(free_port()),
        "MALLBOTS_TEMPORAL_UI_PORT": str(free_port()),
        "MALLBOTS_LOG_LEVEL": "WARNING",
        "COLUMNS": "200",
        "TERM": "dumb",
    }
    env.pop("MALLBOTS_TEMPORAL_ADDRESS", None)
    env.pop("MALLBOTS_DATABASE_URL", None)
    cmd = [sys.executable, "-m", "mallbots.cli", "up", "--seed", "--port", str(api_port), "--data-dir", str(tmp_path)]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return process, api_port


def _listening(port: int) -> bool:
    """Something accepts connections there (a bind test would be fooled by TIME_WAIT)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_until_seeding(api_port: int, process: subprocess.Popen[str], within: float = 120) -> None:
    """Until the first demo store exists: the stack is up and the seeding under way."""
    deadline = time.monotonic() + within
    while True:
        assert process.poll() is None, f"mallbots up exited early:\n{process.communicate()[0]}"
        assert time.monotonic() < deadline, "the seeding never started"
        if _listening(api_port):
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{api_port}/api/stores", timeout=5).json()["stores"]:
                    return
        time.sleep(0.01)


def _interrupt(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()  # its servers die with it
        raise
    assert process.returncode == 0, output
    assert "Traceback" not in output, output
    return output


def _ports_in(output: str) -> list[int]:
    """The Temporal and Postgres ports `up` printed."""
    return [int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", output)]


def test_up_serves_the_seeded_mall_and_ctrl_c_leaves_nothing_running(tmp_path: Path) -> None:
    process, api_port = _start(tmp_path)
    try:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if READY_LINE in line:
                break
        assert any(READY_LINE in line for line in lines), "".join(lines)
        stores = httpx.get(f"http://127.0.0.1:{api_port}/api/stores", timeout=10).json()["stores"]
        assert len(stores) >= 2
    finally:
        output = "".join(lines) + _interrupt(process)

    ports = _ports_in(output)
    assert len(ports) >= 2, output  # Temporal's frontend and Postgres
    assert not [port for port in [api_port, *ports] if _listening(port)], output


def test_ctrl_c_while_seeding_stops_cleanly(tmp_path: Path) -> None:
    process, api_port = _start(tmp_path)
    _wait_until_seeding(api_port, process)

    output = _interrupt(process)

    assert "stopping" in output, output
    assert not [port for port in [api_port, *_ports_in(output)] if _listening(port)], output
