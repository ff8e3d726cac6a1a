"""``mallbots bench --json`` as a user runs it: its own process and throw-away stack, a tiny run. The document's
shape and internal consistency are checked; how fast anything was is never asserted (that is what it reports)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from mallbots.tools.bench import COUNTS, ORDER_WORKFLOWS, PHASES, SAGA_ACTIVITIES, SCHEMA, render

ROOT = Path(__file__).resolve().parents[2]
ORDERS, CONCURRENCY, OPEN_BASKETS = 6, 2, 20
BOUND = 600.0  # seconds: only how long a hang takes to fail the test, no performance goal
PROCESSES = (
    "temporal_server",
    "workers",
    "api",
    "workers_and_api",
    "bench_client",
    "postgres",
    "python_process",
    "machine",
    "others",
)


@pytest.fixture(scope="module")
async def doc() -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLBOTS_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mallbots.cli",
        "bench",
        "--orders",
        str(ORDERS),
        "--concurrency",
        str(CONCURRENCY),
        "--open-baskets",
        str(OPEN_BASKETS),
        "--json",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(BOUND):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode == 0, err.decode()[-3000:]
    document: dict[str, Any] = json.loads(out)
    return document


def _ordered(stats: dict[str, float], count: int) -> None:
    assert stats["count"] == count
    assert 0 < stats["min"] <= stats["p50"] <= stats["p90"] <= stats["p99"] <= stats["max"]
    assert stats["min"] <= stats["mean"] <= stats["max"]


def test_the_document_counts_every_order_and_its_percentiles_are_ordered(doc: dict[str, Any]) -> None:
    assert doc["schema"] == SCHEMA
    run, saga, floor = doc["run"], doc["saga"], doc["floor"]
    assert (run["orders"], run["concurrency"], run["floor"]) == (ORDERS, CONCURRENCY, True)
    assert run["cpus"] >= 1 and len(run["load_average"]) == 3
    # The default layout: the workers and the API in processes of their own (MALLBOTS_WORKER_PROCESSES=2).
    assert run["processes"] == {"workers": 2, "api": 1}
    assert saga["orders"] == ORDERS
    approved = saga["latency_seconds"]["checkout_to_approved"]
    completed = saga["latency_seconds"]["checkout_to_completed"]
    _ordered(approved, ORDERS)
    _ordered(completed, ORDERS)
    recorded = saga["latency_seconds"]["checkout_to_approval_recorded"]
    _ordered(recorded, ORDERS)
    # Each order is approved by the saga before the client learns it, and before it is completed.
    for key in ("min", "p50", "p90", "p99", "max"):
        assert recorded[key] <= approved[key] <= completed[key]
    assert set(saga["idle_cores"]) == {"temporal_server", "workers", "api", "python_process", "postgres"}
    assert all(cores >= 0 for cores in saga["idle_cores"].values())
    assert saga["orders_per_second"] == pytest.approx(ORDERS / saga["seconds"])
    # Every order: a checkout, the bot's two commands, the payment, and at least one long poll per status.
    client = saga["client"]
    assert client["long_polls"] >= 3 * ORDERS
    assert client["requests"] >= client["long_polls"] + 4 * ORDERS
    assert client["requests_per_order"] == pytest.approx(client["requests"] / ORDERS)
    assert client["long_polls_per_order"] == pytest.approx(client["long_polls"] / ORDERS)
    assert all(client[k] >= 0 for k in ("retried_commands", "timed_out_waits", "early_answers"))

    assert (floor["runs"], floor["activities_per_run"]) == (ORDERS, SAGA_ACTIVITIES)
    _ordered(floor["latency_seconds"]["run"], ORDERS)
    assert floor["runs_per_second"] == pytest.approx(ORDERS / floor["seconds"])


def test_the_ratios_are_computed_from_the_parts(doc: dict[str, Any]) -> None:
    saga, floor, ratios = doc["saga"], doc["floor"], doc["ratios"]
    approved, run = saga["latency_seconds"]["checkout_to_approved"], floor["latency_seconds"]["run"]
    assert ratios["latency_p50"] == pytest.approx(approved["p50"] / run["p50"])
    assert ratios["latency_p99"] == pytest.approx(approved["p99"] / run["p99"])
    assert ratios["throughput"] == pytest.approx(saga["orders_per_second"] / floor["runs_per_second"])

    def system(cpu: dict[str, Any], per: str) -> float:
        return float(sum(cpu[p][per] for p in ("temporal_server", "workers_and_api", "postgres")))

    per_order, per_run = system(saga["cpu_seconds"], "per_order"), system(floor["cpu_seconds"], "per_run")
    assert ratios["cpu"] == pytest.approx(per_order / per_run)


def test_every_sampled_order_costs_the_same_activities_and_its_parts_add_up(doc: dict[str, Any]) -> None:
    tasks = doc["saga"]["tasks_per_order"]
    orders = tasks["orders"]
    assert tasks["sampled_orders"] == len(orders) == ORDERS  # fewer orders than the sample: all of them
    for order in orders:
        total = order["total"]
        assert set(order["by_workflow"]) == set(ORDER_WORKFLOWS) and set(order["by_phase"]) == set(PHASES)
        for key in COUNTS:
            assert total[key] == pytest.approx(sum(c[key] for c in order["by_workflow"].values()))
            assert total[key] == pytest.approx(sum(c[key] for c in order["by_phase"].values()))
        assert total["workflow_tasks"] > 0 and total["activity_tasks"] > 0 and total["local_activities"] > 0
        assert total["events"] > total["workflow_tasks"] + total["activity_tasks"] + total["local_activities"]
        assert total["waits"] >= 1  # the client's long polls reach the order's workflow as updates
        assert total["updates"] >= total["waits"]
        for workflow in ("basket", "order", "payment", "shopping_list", "invoice"):
            assert order["by_workflow"][workflow]["workflow_tasks"] > 0, workflow
    # Identical orders run the same code: the same activities and commands. How many workflow tasks they take
    # depends on how events happen to be batched, and a long poll may be asked again: those are not compared.
    first = orders[0]["total"]
    for order in orders[1:]:
        for key in ("activity_tasks", "local_activities", "signals"):
            assert order["total"][key] == first[key], (key, order["order_id"])
        assert order["total"]["updates"] - order["total"]["waits"] == first["updates"] - first["waits"]
    for key in COUNTS:
        assert tasks["min"][key] <= tasks["mean"]["total"][key] <= tasks["max"][key]
    runs = doc["floor"]["tasks_per_run"]
    assert runs["mean"]["activity_tasks"] == SAGA_ACTIVITIES and runs["mean"]["local_activities"] == 0
    assert runs["min"]["workflow_tasks"] > 0


@pytest.mark.parametrize(("phase", "per"), [("saga", "per_order"), ("floor", "per_run")])
def test_cpu_is_measured_per_process_and_the_system_apart_from_the_client(
    doc: dict[str, Any], phase: str, per: str
) -> None:
    cpu = doc[phase]["cpu_seconds"]
    count = doc[phase]["orders" if phase == "saga" else "runs"]
    assert cpu["wall_seconds"] > 0
    for name in PROCESSES:
        entry = cpu[name]
        assert entry["seconds"] >= 0
        assert entry[per] == pytest.approx(entry["seconds"] / count)
        assert entry["cores"] == pytest.approx(entry["seconds"] / cpu["wall_seconds"])
    python, children = cpu["python_process"]["seconds"], cpu["workers"]["seconds"] + cpu["api"]["seconds"]
    assert cpu["temporal_server"]["seconds"] > 0 and cpu["workers_and_api"]["seconds"] > 0
    if phase == "saga":
        # The system runs in the child processes; all of the bench's own process is the client's.
        assert cpu["workers"]["seconds"] > 0 and cpu["api"]["seconds"] > 0
        assert cpu["workers_and_api"]["seconds"] == pytest.approx(children)
        assert cpu["bench_client"]["seconds"] == pytest.approx(python) and python > 0
        assert cpu["postgres"]["seconds"] > 0  # the floor writes no read model
    else:
        # The floor's worker runs in the bench's process: what its client coroutines did not use is the system's.
        assert cpu["workers_and_api"]["seconds"] == pytest.approx(python - cpu["bench_client"]["seconds"] + children)
        assert 0 < cpu["bench_client"]["seconds"] < python
    ours = sum(cpu[p]["seconds"] for p in ("temporal_server", "python_process", "workers", "api", "postgres"))
    assert cpu["others"]["seconds"] == pytest.approx(max(cpu["machine"]["seconds"] - ours, 0.0))


def test_the_workers_memory_is_sampled_as_baskets_open(doc: dict[str, Any]) -> None:
    memory = doc["memory"]
    assert doc["run"]["open_baskets"] == memory["open_baskets"] == OPEN_BASKETS
    samples = memory["samples"]
    # Before the first basket, then after every tenth (2 baskets here): 11 samples, in order, every one measured.
    assert [s["baskets"] for s in samples] == list(range(0, OPEN_BASKETS + 1, OPEN_BASKETS // 10))
    assert all(s["workers_rss_bytes"] > 0 and s["api_rss_bytes"] > 0 for s in samples)
    first = samples[1]["workers_rss_bytes"]
    assert memory["growth_after_first_tenth"] == pytest.approx(samples[-1]["workers_rss_bytes"] / first - 1)
    half = samples[5]["workers_rss_bytes"]  # after 10 of the 20 baskets
    assert memory["growth_over_second_half"] == pytest.approx(samples[-1]["workers_rss_bytes"] / half - 1)
    assert memory["baskets_per_second"] == pytest.approx(OPEN_BASKETS / memory["seconds"])


def test_the_document_renders_as_tables(doc: dict[str, Any]) -> None:
    console = Console(width=200, record=True)
    for table in render(doc):
        console.print(table)
    text = console.export_text()
    rows = (
        "checkout → approved",
        "approval recorded",
        "checkout → completed",
        "floor: 6 no-op activities",
        "one order",
    )
    for expected in rows:
        assert expected in text
    assert "worker processes" in text and "API processes" in text and "Temporal server" in text
    assert f"memory while {OPEN_BASKETS} baskets are opened" in text
