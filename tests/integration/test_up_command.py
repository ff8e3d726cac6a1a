"""`mallbots up --seed` as a user runs it (a process, then Ctrl-C): it serves the seeded mall, and Ctrl-C
stops the API, the workers, Temporal and Postgres, leaving nothing listening and no traceback, also when it
arrives while the demo mall is still being seeded. Ctrl-C stops everything within 15 s whatever the workers
are doing: also with a command in flight against a database that hangs (its processes frozen with SIGSTOP),
after which the same data folder starts again; and a second Ctrl-C during a slow stop exits at once."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from api.auth import customer_id_of
from mallbots.devstack.ports import free_port

READY_LINE = "Ctrl-C stops everything."
STOP_PROMISE_SECONDS = 15.0  # the requirement: Ctrl-C stops everything within this, whatever is going on


def _start(tmp_path: Path, seed: bool = True) -> tuple[subprocess.Popen[str], int]:
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
    cmd = [sys.executable, "-m", "mallbots.cli", "up", *(["--seed"] if seed else []), "--port", str(api_port)]
    cmd += ["--data-dir", str(tmp_path)]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return process, api_port


def _operator(data_dir: Path) -> dict[str, str]:
    """An operator's token from `mallbots token`, signed with the key the stack in ``data_dir`` trusts."""
    env = {**os.environ, "MALLBOTS_DATA_DIR": str(data_dir)}
    cmd = [sys.executable, "-m", "mallbots.cli", "token", "--role", "operator", "--subject", "up-test"]
    token = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    return {"Authorization": f"Bearer {token}"}


def _printed_token(lines: list[str], who: str) -> dict[str, str]:
    """The token `up --seed` printed for ``who`` ("customer Ada Lovelace")."""
    found = [line.split()[-1] for line in lines if line.strip().startswith(who)]
    assert found, "".join(lines)
    return {"Authorization": f"Bearer {found[0]}"}


def _listening(port: int) -> bool:
    """Something accepts connections there (a bind test would be fooled by TIME_WAIT)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _wait_until_seeding(api_port: int, process: subprocess.Popen[str], data_dir: Path, within: float = 120) -> None:
    """Until the first demo store exists: the stack is up and the seeding under way."""
    deadline = time.monotonic() + within
    operator: dict[str, str] = {}
    while True:
        assert process.poll() is None, f"mallbots up exited early:\n{process.communicate()[0]}"
        assert time.monotonic() < deadline, "the seeding never started"
        if _listening(api_port):
            operator = operator or _operator(data_dir)  # the stack has made its signing key by now
            with contextlib.suppress(httpx.HTTPError):
                answer = httpx.get(f"http://127.0.0.1:{api_port}/api/stores", headers=operator, timeout=5)
                if answer.json()["stores"]:
                    return
        time.sleep(0.01)


def _interrupt(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    interrupted = time.monotonic()
    try:
        output, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()  # its servers die with it
        raise
    assert time.monotonic() - interrupted < STOP_PROMISE_SECONDS, output
    assert process.returncode == 0, output
    assert "Traceback" not in output, output
    return output


def _children_of(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _alive(pids: set[int]) -> set[int]:
    """Those still running (a zombie does not count)."""
    running = set()
    for pid in pids:
        with contextlib.suppress(OSError, IndexError):
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                running.add(pid)
    return running


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
        url = f"http://127.0.0.1:{api_port}/api"
        assert httpx.get(f"{url}/stores", timeout=10).status_code == 401  # authentication is on by default
        stores = httpx.get(f"{url}/stores", headers=_printed_token(lines, "operator"), timeout=10).json()["stores"]
        assert len(stores) >= 2
        # The demo customers registered themselves: each printed token sees its own record, not the other's.
        ada, grace = customer_id_of("ada"), customer_id_of("grace")
        as_ada = _printed_token(lines, "customer Ada Lovelace")
        assert (
            httpx.get(f"{url}/customers/{ada}", headers=as_ada, timeout=10).json()["customer"]["name"] == "Ada Lovelace"
        )
        assert httpx.get(f"{url}/customers/{grace}", headers=as_ada, timeout=10).status_code == 404
        # Both cores: the API and the workers are processes of their own, children of `up`, named in the banner.
        children = _children_of(process.pid)
        banner = next(line for line in lines if "Processes" in line)
        printed = {int(pid) for pids in re.findall(r"pids? ([\d, ]+)\)", banner) for pid in pids.split(",")}
        assert "1 API process" in banner and "2 worker processes" in banner, banner
        assert len(printed) == 3 and printed <= set(children), (banner, children)
    finally:
        output = "".join(lines) + _interrupt(process)

    ports = _ports_in(output)
    assert len(ports) >= 2, output  # Temporal's frontend and Postgres
    assert not [port for port in [api_port, *ports] if _listening(port)], output
    assert not _alive(set(children)), output  # the API and worker processes are gone too
    assert "Postgres killed" not in output, output  # nothing jammed: its fast shutdown had time to finish


def test_ctrl_c_while_seeding_stops_cleanly(tmp_path: Path) -> None:
    process, api_port = _start(tmp_path)
    _wait_until_seeding(api_port, process, tmp_path)

    output = _interrupt(process)

    assert "stopping" in output, output
    assert not [port for port in [api_port, *_ports_in(output)] if _listening(port)], output


class _Output:
    """What the process prints, read by a thread, so every wait for a line has a bound."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self._process = process
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            with self._changed:
                self._lines.append(line)
                self._changed.notify_all()

    @property
    def text(self) -> str:
        with self._changed:
            return "".join(self._lines)

    def wait_for(self, text: str, within: float) -> None:
        deadline = time.monotonic() + within
        with self._changed:
            while not any(text in line for line in self._lines):
                assert self._process.poll() is None, f"mallbots up exited early:\n{''.join(self._lines)}"
                assert time.monotonic() < deadline, f"no {text!r} within {within:.0f} s:\n{''.join(self._lines)}"
                self._changed.wait(0.2)


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first), None when there is no process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


# A process as (pid, start time): a pid the kernel gave to someone else since is not ours.
Process = tuple[int, str]


def _process(pid: int) -> Process | None:
    fields = _stat(pid)
    return (pid, fields[19]) if fields else None


def _running(process: Process) -> bool:
    """Still there and not a zombie (a zombie holds nothing; where PID 1 does not reap, killed orphans stay)."""
    fields = _stat(process[0])
    return fields is not None and fields[19] == process[1] and fields[0] != "Z"


def _descendants(pid: int) -> list[Process]:
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, timeout=10).stdout.split()
    found = [p for p in (_process(int(child)) for child in children) if p is not None]
    return found + [grandchild for child in found for grandchild in _descendants(child[0])]


def _signal(processes: list[Process], sig: signal.Signals) -> None:
    for process in processes:
        if _running(process):
            with contextlib.suppress(ProcessLookupError):
                os.kill(process[0], sig)


def _freeze_postgres(data_dir: Path, frozen: list[Process]) -> None:
    """SIGSTOP the stack's own Postgres (from its data folder's postmaster.pid) and every process it forked:
    connections are still accepted by the kernel, but nothing answers, as with a hung server."""
    postmaster = _process(int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0]))
    assert postmaster is not None and _running(postmaster)
    frozen.append(postmaster)
    os.kill(postmaster[0], signal.SIGSTOP)  # first, so that it forks nothing more
    frozen.extend(_descendants(postmaster[0]))
    _signal(frozen, signal.SIGSTOP)


@contextlib.contextmanager
def _cleaned_up(process: subprocess.Popen[str], ours: list[Process], frozen: list[Process]) -> Iterator[None]:
    """Whatever happens, nothing stays frozen or running: a failing test must not leave a stopped server."""
    try:
        yield
    finally:
        _signal(frozen, signal.SIGCONT)
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        _signal([*ours, *frozen], signal.SIGKILL)


def _eventually(condition: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _wait_for_exit(process: subprocess.Popen[str], output: _Output, within: float) -> float:
    """Seconds until the process exited (asserted to be within ``within``)."""
    started = time.monotonic()
    try:
        process.wait(timeout=within)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"still running {within:.0f} s after the signal:\n{output.text}") from None
    return time.monotonic() - started


def _assert_nothing_left(ports: list[int], ours: list[Process], output: _Output) -> None:
    """No port of ours is listening and no process of ours runs (a zombie does not run): within 5 s, as a
    SIGKILL takes effect asynchronously."""

    def left() -> list[object]:
        return [p for p in ports if _listening(p)] + [(p, _stat(p[0])) for p in ours if _running(p)]

    _eventually(lambda: not left(), within=5)
    assert not left(), f"left listening or running: {left()}\n{output.text}"


def test_ctrl_c_with_a_command_stuck_on_a_hung_database_stops_everything_in_time_and_it_starts_again(
    tmp_path: Path,
) -> None:
    process, api_port = _start(tmp_path, seed=False)
    output = _Output(process)
    ours: list[Process] = []
    frozen: list[Process] = []
    with _cleaned_up(process, ours, frozen):
        output.wait_for(READY_LINE, within=120)
        api = f"http://127.0.0.1:{api_port}/api"
        operator = _operator(tmp_path)
        kept = httpx.post(
            f"{api}/stores", json={"name": "Kept", "location": "Level 1"}, headers=operator, timeout=30
        ).json()["id"]
        ours += _descendants(process.pid)  # the Temporal server, the postmaster and its backends
        assert len(ours) >= 2, ours

        _freeze_postgres(tmp_path, frozen)

        def command() -> None:
            with contextlib.suppress(httpx.HTTPError):  # cut off by the stop: what it answers does not matter
                httpx.post(f"{api}/stores", json={"name": "Stuck", "location": "Level 2"}, headers=operator, timeout=60)

        stuck = threading.Thread(target=command, daemon=True)
        stuck.start()
        stuck.join(timeout=1.0)
        assert stuck.is_alive(), "the command did not wait for its projection: nothing was in flight"

        process.send_signal(signal.SIGINT)
        took = _wait_for_exit(process, output, within=STOP_PROMISE_SECONDS + 10)
        print(f"Ctrl-C with a hung Postgres: exited in {took:.1f} s")

        assert took < STOP_PROMISE_SECONDS, f"stopped in {took:.1f} s:\n{output.text}"
        assert process.returncode == 0, output.text
        assert "abandoning" in output.text, output.text  # one line says what the stop gave up on, and why
        _assert_nothing_left([api_port, *_ports_in(output.text)], ours, output)

    # The same data folder starts again (Postgres recovers from its WAL) with what was committed before.
    process, api_port = _start(tmp_path, seed=False)
    output = _Output(process)
    ours = []
    with _cleaned_up(process, ours, []):
        output.wait_for(READY_LINE, within=120)
        stores = httpx.get(f"http://127.0.0.1:{api_port}/api/stores", headers=_operator(tmp_path), timeout=10)
        stores = stores.json()["stores"]
        assert kept in [store["id"] for store in stores], stores
        ours += _descendants(process.pid)
        process.send_signal(signal.SIGINT)
        took = _wait_for_exit(process, output, within=STOP_PROMISE_SECONDS + 10)
        print(f"Ctrl-C after the restart: exited in {took:.1f} s")
        assert took < STOP_PROMISE_SECONDS and process.returncode == 0, output.text
        assert "Traceback" not in output.text and "Postgres killed" not in output.text, output.text
        _assert_nothing_left([api_port, *_ports_in(output.text)], ours, output)


def test_a_second_ctrl_c_during_a_slow_stop_exits_at_once(tmp_path: Path) -> None:
    process, api_port = _start(tmp_path, seed=False)
    output = _Output(process)
    ours: list[Process] = []
    frozen: list[Process] = []
    with _cleaned_up(process, ours, frozen):
        output.wait_for(READY_LINE, within=120)
        ours += _descendants(process.pid)
        _freeze_postgres(tmp_path, frozen)  # its fast shutdown will wait for a server that never answers
        process.send_signal(signal.SIGINT)
        output.wait_for("stopping", within=10)
        time.sleep(1.0)
        assert process.poll() is None, f"the stop was not slow: nothing to interrupt\n{output.text}"

        process.send_signal(signal.SIGINT)
        took = _wait_for_exit(process, output, within=5)
        print(f"second Ctrl-C: exited in {took:.2f} s")

        assert process.returncode != 0, output.text
        assert "SIGINT again" in output.text, output.text
        _assert_nothing_left([api_port, *_ports_in(output.text)], ours, output)


def test_a_sigkilled_up_takes_its_api_worker_and_server_processes_with_it(tmp_path: Path) -> None:
    """Nothing can run in the parent after a SIGKILL: every child was told by the kernel to stop when it dies
    (the API and worker processes stop as on SIGTERM, within their own deadline), so nothing is left running and
    no port is held."""
    process, api_port = _start(tmp_path, seed=False)
    lines = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if READY_LINE in line:
                break
        tree = {pid for pid, _ in _descendants(process.pid)}
        assert len(_children_of(process.pid)) >= 5, "".join(lines)  # API, 2 workers, Temporal, Postgres
    finally:
        process.kill()
        process.wait(timeout=10)
    deadline = time.monotonic() + STOP_PROMISE_SECONDS + 5
    while _alive(tree) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = _alive(tree)
    with contextlib.suppress(ProcessLookupError):
        for pid in left:
            os.kill(pid, signal.SIGKILL)  # nothing stays behind this test, whatever it found
    assert not left, [_stat(pid) for pid in left]
    assert not [port for port in [api_port, *_ports_in("".join(lines))] if _listening(port)]
