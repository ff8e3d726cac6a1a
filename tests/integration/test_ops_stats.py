"""``mallbots ops stats`` and ``GET /api/ops/stats`` against the running stack's Temporal server: every service's
task queue is polled by its worker, completions are counted, the CLI prints the API's document; and the exit
codes scripts rely on (``ops stuck`` with nothing stuck, a Temporal or a database that cannot be reached)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from api.auth import Role
from mallbots.devstack.ports import free_port
from mallbots.services import DEFINITIONS
from mallbots.stack import Stack
from mallbots.tools.client import MallbotsClient
from tests.integration.conftest import Shop
from tests.integration.ops_cli import mallbots_cli

pytestmark = pytest.mark.integration

QUEUES = [d.task_queue for d in DEFINITIONS.values()]


def _shape(value: Any) -> Any:
    """A document's shape: its keys, all the way down, and the type of every leaf."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return type(value).__name__ if value is not None else "null"


async def _an_order_completed_on_ordering(mall: MallbotsClient, shop: Shop) -> None:
    """A rejected order: its workflow completes (a saga that refused is still a completed run)."""
    payment_id = await mall.authorize_payment(shop.customer_id, "1.00")
    order_id = await mall.create_order(shop.customer_id, payment_id, {shop.widget_id: 1})
    await mall.wait_for_order(order_id, {"rejected"})


async def test_every_service_queue_has_its_workers_and_the_api_serves_the_same_document(
    stack: Stack, mall: MallbotsClient, shop: Shop
) -> None:
    await _an_order_completed_on_ordering(mall, shop)

    code, out, err = await mallbots_cli(stack, "ops", "stats", "--json", "--window", "600")

    assert code == 0, err
    document = json.loads(out)["stats"]
    assert document["windowSeconds"] == 600 and document["namespace"] == "default"
    queues = {q["taskQueue"]: q for q in document["taskQueues"]}
    assert list(queues) == QUEUES
    for name, queue in queues.items():
        assert queue["pollers"] > 0 and queue["workers"] >= 1, f"no worker polls {name}: {queue}"
        assert queue["activityTasks"]["pollers"] > 0, name  # every service runs activities
        assert queue["workerIdentities"] and queue["lastPollAt"], name
    for with_workflows in ("stores", "customers", "baskets", "ordering", "depot", "payments"):
        assert queues[with_workflows]["workflowTasks"]["pollers"] > 0, with_workflows
    assert queues["ordering"]["workflowsCompleted"] >= 1
    assert queues["ordering"]["completedPerMinute"] == pytest.approx(queues["ordering"]["workflowsCompleted"] / 10)
    assert queues["stores"]["workflowsRunning"] >= 1  # the shop's store: an entity lives on
    assert all(q["backlog"] >= 0 and q["backlogAgeSeconds"] >= 0 for q in queues.values())

    headers = {"Authorization": f"Bearer {stack.token(Role.OPERATOR)}"}
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30, headers=headers) as http:
        answer = await http.get("/api/ops/stats", params={"windowSeconds": 600})
        too_small = await http.get("/api/ops/stats", params={"windowSeconds": 0})
    assert answer.status_code == 200, answer.text
    served = answer.json()
    assert _shape(served) == _shape(json.loads(out))
    assert [q["taskQueue"] for q in served["stats"]["taskQueues"]] == QUEUES
    assert all(q["pollers"] > 0 for q in served["stats"]["taskQueues"])
    assert served["stats"]["taskQueues"][3]["workflowsCompleted"] >= queues["ordering"]["workflowsCompleted"]
    assert too_small.status_code == 400


async def test_the_table_names_every_queue(stack: Stack) -> None:
    code, out, err = await mallbots_cli(stack, "ops", "stats", "--queue", "ordering", "--queue", "search")

    assert code == 0, err
    lines = [line for line in out.splitlines() if "ordering" in line or "search" in line]
    assert [line.split("│")[1].strip() for line in lines] == ["ordering", "search"]
    assert "stores" not in out


async def test_nothing_stuck_exits_0_under_both_names(stack: Stack) -> None:
    for command in (["ops", "stuck"], ["stuck-sagas"]):
        code, out, err = await mallbots_cli(stack, *command, "--older-than", "3600", "--json")
        assert (code, json.loads(out)) == (0, []), err


async def test_a_temporal_that_cannot_be_reached_is_exit_2(stack: Stack) -> None:
    nowhere = f"127.0.0.1:{free_port()}"
    started = time.monotonic()

    code, out, err = await mallbots_cli(stack, "ops", "stats", "--json", MALLBOTS_TEMPORAL_ADDRESS=nowhere)

    assert code == 2, out + err
    assert f"cannot reach Temporal at {nowhere}" in err and out == ""
    print(f"an unreachable Temporal said after {time.monotonic() - started:.1f}s")


async def test_a_database_that_cannot_be_reached_is_exit_2(stack: Stack) -> None:
    nowhere = f"postgresql+psycopg://mallbots@127.0.0.1:{free_port()}/mallbots"

    code, out, err = await mallbots_cli(stack, "ops", "order", "some-order", MALLBOTS_DATABASE_URL=nowhere)

    assert code == 2, out + err
    assert "cannot read the read models" in err and out == ""
