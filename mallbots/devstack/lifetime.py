"""Child servers die with us: a killed ``mallbots up`` or test run leaves nothing running, and a stop that
cannot finish in time ends anyway.

Each child server runs in its own session (``start_new_session``): Ctrl-C in a terminal reaches only us, and
we stop the servers in order. They register here while they run, which lets a forced exit (a second Ctrl-C,
or the stop's hard deadline) kill every one of them, with all they forked, without waiting.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
# From the first Ctrl-C, `mallbots up` ends within this whatever it is blocked in (the promise is 15 s; its
# stop's own bounded steps take 13 s at worst, see mallbots.stack).
EXIT_DEADLINE_SECONDS = 14.0

# Our child servers while they run, by pid (each leads its own process group).
_children: dict[int, tuple[subprocess.Popen[bytes], str]] = {}
_children_lock = threading.RLock()  # re-entrant: a signal handler may take it while the main thread holds it
_exiting = threading.Lock()  # taken by the one exit_now that leaves


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to send ``sig`` to the child when its parent thread exits.

    Start children from the main thread: the signal fires when the *thread* that forked them ends.
    """
    if not sys.platform.startswith("linux"):
        return None

    def preexec() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig, 0, 0, 0)

    return preexec


def register_child(process: subprocess.Popen[bytes], name: str) -> None:
    """A child server (started with ``start_new_session=True``) that a forced exit must kill; ``name`` is what
    the log calls it."""
    with _children_lock:
        _children[process.pid] = (process, name)


def unregister_child(process: subprocess.Popen[bytes]) -> None:
    with _children_lock:
        _children.pop(process.pid, None)


def _processes() -> dict[int, tuple[int, str]]:
    """pid → (parent pid, state), from /proc."""
    found: dict[int, tuple[int, str]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name (field 2) may hold spaces and parentheses: the fields after it are what counts.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            found[int(stat.parent.name)] = (int(fields[1]), fields[0])
    return found


def _descendants(pid: int) -> set[int]:
    processes = _processes()
    found: set[int] = set()
    parents = {pid}
    while parents:
        parents = {child for child, (parent, _) in processes.items() if parent in parents} - found
        found |= parents
    return found


def _running(pids: set[int]) -> set[int]:
    """Those still running: a zombie does not count (it holds nothing, and where PID 1 does not reap orphans,
    a killed server's orphaned children stay zombies)."""
    processes = _processes()
    return {pid for pid in pids if pid in processes and processes[pid][1] != "Z"}


def kill_tree(pid: int, wait: float = 0.0) -> bool:
    """SIGKILL a child server, everything it forked and its process group, a stopped or hung one too, then
    wait up to ``wait`` seconds for them to be gone; True when they are. Postgres' backends lead process
    groups of their own, so a group kill alone would leave them behind, holding the data folder's shared
    memory (the next start would refuse the folder); they are found as the server's descendants, frozen
    first so that nothing forks while we look."""
    tree: set[int] = set()
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGSTOP)
    for _ in range(3):
        forked = _descendants(pid) - tree
        if not forked:
            break
        for child in forked:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(child, signal.SIGSTOP)
        tree |= forked
    for member in (pid, *tree):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(member, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + wait
    while _running({pid, *tree}):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def kill_children() -> list[str]:
    """SIGKILL every registered child server with all it forked, at once; returns what was killed."""
    with _children_lock:
        children = list(_children.values())
        _children.clear()
    killed = []
    for process, name in children:
        if process.returncode is None:  # not reaped: the pid is still our child's, not someone else's
            kill_tree(process.pid)
            killed.append(name)
    return killed


def exit_now(code: int, why: str | None = None) -> None:
    """Leave at once: kill our child servers still registered and end the process without further cleanup
    (safe from a signal handler and from another thread). Their committed state survives a SIGKILL: Postgres
    recovers from its WAL on the next start, Temporal's SQLite file is transactional."""
    if not _exiting.acquire(blocking=False):
        # Someone is already on the way out (a second Ctrl-C reaches both the signal handler and the watcher
        # thread): leaving before it has killed the servers could leave them frozen half-way. Wait, briefly.
        time.sleep(2.0)
        os._exit(code)
    killed = kill_children()
    with contextlib.suppress(Exception):
        if why is not None:
            log.error("%s; exiting now%s", why, f", killed {' and '.join(killed)}" if killed else "")
        for handler in logging.getLogger().handlers:
            handler.flush()
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def exit_on_signal(doing: Callable[[], str], signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> None:
    """From now on one of ``signals`` (a second Ctrl-C) ends the process at once through ``exit_now``, even
    while the main thread is stuck in a call that never returns to Python: the signal's number also reaches a
    watcher thread through the wakeup fd. Call from the main thread, with no event loop signal handlers left
    (the loop owns the wakeup fd while it has some). ``doing`` says what was interrupted, for the log."""

    def leave(signum: int) -> None:
        exit_now(128 + signum, f"{signal.Signals(signum).name} again while {doing()}")

    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    for sig in signals:
        signal.signal(sig, lambda signum, _frame: leave(signum))
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)

    def watch() -> None:
        while received := os.read(read_fd, 16):
            for signum in received:
                if signum in signals:
                    leave(signum)

    threading.Thread(target=watch, name="stop-on-signal", daemon=True).start()


def exit_after(seconds: float, doing: Callable[[], str]) -> None:
    """From now on the process ends within ``seconds``, whatever it is blocked in: a daemon thread calls
    ``exit_now`` then (an event loop stuck in a call, a thread that never returns or a hung interpreter exit
    cannot stop it). ``doing`` says what the stop is still busy with, for the log."""

    def watchdog() -> None:
        time.sleep(seconds)
        exit_now(1, f"the stop did not finish within {seconds:.0f} s (still {doing()})")

    threading.Thread(target=watchdog, name="stop-deadline", daemon=True).start()
