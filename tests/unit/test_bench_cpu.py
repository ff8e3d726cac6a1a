"""How the bench reads CPU time: a process tree from /proc (exited descendants included), and the bench client's
own share of an event loop it shares with others."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest

from mallbots.tools.bench import ClientCpu, machine_cpu, own_process_cpu, process_tree_cpu

TICK = 0.01  # /proc reports whole clock ticks; two readings may each be short by up to one

# A parent that runs a CPU-bound grandchild to its end (reaped: its time moves into the parent's cutime),
# reports the grandchild's own CPU time, then waits to be told to go.
PARENT = """
import subprocess, sys
child = "import time\\nx = 0\\nfor i in range(4_000_000): x += i\\nprint(time.process_time())"
out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True).stdout
print(out.strip(), flush=True)
sys.stdin.readline()
"""


def _burn(seconds: float) -> float:
    """Spins for about ``seconds`` of this thread's CPU; returns what it used."""
    started = time.thread_time()
    while time.thread_time() - started < seconds:
        pass
    return time.thread_time() - started


def test_a_process_trees_cpu_includes_descendants_that_have_exited() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None and parent.stdin is not None
        before = process_tree_cpu(parent.pid)  # the interpreter starting, perhaps the grandchild begun
        grandchild = float(parent.stdout.readline())
        after = process_tree_cpu(parent.pid)
        assert after >= before >= 0
        assert after >= grandchild - 2 * TICK  # at least the (gone) grandchild's time
        parent.stdin.write("\n")
        parent.stdin.flush()
        parent.wait(timeout=30)
    finally:
        parent.kill()
        parent.wait()


def test_a_process_that_does_not_exist_has_used_nothing() -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert process_tree_cpu(dead.pid) == 0.0


def test_the_machines_busy_time_includes_what_this_process_burns() -> None:
    machine, own = machine_cpu(), own_process_cpu()
    burnt = _burn(0.1)
    assert machine_cpu() - machine >= burnt - 2 * TICK
    assert own_process_cpu() - own >= burnt
    assert machine_cpu() >= own_process_cpu()  # since boot, every process's time; this one's since it started


async def test_the_client_is_charged_its_own_steps_not_what_other_tasks_do_meanwhile() -> None:
    meter = ClientCpu()
    own: list[float] = []
    others: list[float] = []

    async def client() -> str:
        for _ in range(5):
            own.append(_burn(0.01))
            await asyncio.sleep(0)  # the loop runs the other task now
        return "done"

    async def someone_else() -> None:
        for _ in range(5):
            others.append(_burn(0.04))
            await asyncio.sleep(0)

    result, _ = await asyncio.gather(meter.run(client()), someone_else())

    assert result == "done"
    assert sum(own) <= meter.seconds < sum(own) + sum(others)


async def test_a_metered_coroutine_passes_on_its_failure_and_its_cancellation() -> None:
    meter = ClientCpu()

    async def fails() -> None:
        await asyncio.sleep(0)
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        await meter.run(fails())

    cleaned_up = asyncio.Event()

    async def waits() -> None:
        try:
            await asyncio.sleep(60)
        finally:
            cleaned_up.set()

    task = asyncio.create_task(meter.run(waits()))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cleaned_up.is_set()
    assert meter.seconds > 0
