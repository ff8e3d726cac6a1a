"""A rollout on the real dev server: v1 workers start orders that wait for the bots; v2 workers with a changed saga
start beside them, are ramped and promoted (``mallbots deploy``); the waiting orders finish on v1, new orders run
v2, an entity moves to v2 at its next continue-as-new, the old build drains, and no workflow fails."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.worker import Worker

from activities.notifications.gateway import RecordingGateway
from domain.ordering.model import Order
from mallbots import bootstrap, versioning
from mallbots.codec import PayloadKey
from mallbots.devstack.temporal import LocalTemporal
from mallbots.services import DEFINITIONS, ServiceResources, activity_methods
from mallbots.settings import SERVICES, Settings
from mallbots.stack import Stack, StackOptions, ephemeral_options
from mallbots.tools.client import MallbotsClient
from tests.integration.conftest import Shop, open_shop
from tests.integration.ops_cli import mallbots_cli
from workflows.ordering.messages import OrderWorkflowInput
from workflows.ordering.order_workflow import OrderWorkflow

WAITING_ORDERS = 3  # started on v1 and left waiting for the bots across the promotion
NEW_ORDERS = 2  # started once v2 is current
DEPLOYMENT = "mallbots"
DRAIN_BOUND = 60.0  # seconds: not a performance goal, only how long a hang takes to fail the test


@workflow.defn(name="OrderWorkflow")
class ChangedOrderWorkflow(OrderWorkflow):
    """v2's saga: a new first command. A v1 run replayed on this code would fail with a nondeterminism error, so
    the v1 orders finishing cleanly is what pinning (and nothing else) guarantees."""

    @workflow.run
    async def run(self, input: OrderWorkflowInput) -> Order:
        workflow.upsert_memo({"saga": "v2"})
        return await super().run(input)


def _versioned(stack_dir: Path, build_id: str) -> Stack:
    options = ephemeral_options(stack_dir)
    options.settings = options.settings.model_copy(update={"worker_versioning": True, "build_id": build_id})
    return Stack(options)


def _v2_workers(stack: Stack) -> list[Worker]:
    """Every service's workers as build v2 runs them: the ordering queue's with the changed saga (built here, as
    ``build_workers`` builds it: one worker per queue and build is all the SDK allows a client)."""
    assert stack.client is not None and stack.databases is not None
    settings = stack.settings.model_copy(update={"build_id": "v2"})
    others = [s for s in SERVICES if s != "ordering"]
    ordering = DEFINITIONS["ordering"]
    resources = ServiceResources(
        sessions=stack.databases.sessions("ordering"),
        client=stack.client,
        gateway=RecordingGateway(stack.databases.sessions("notifications")),
    )
    changed = Worker(
        stack.client,
        task_queue=ordering.task_queue,
        workflows=[ChangedOrderWorkflow],
        activities=activity_methods(ordering.activity_objects(resources)),
        workflow_runner=bootstrap.UNSANDBOXED,  # as the workers run (mallbots.bootstrap)
        deployment_config=versioning.deployment_config(settings),
    )
    return [*bootstrap.build_workers(settings, stack.client, stack.databases, others), changed]


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with _versioned(tmp_path / "v1", "v1") as running:
        yield running


async def _build_of(client: Client, workflow_id: str) -> str:
    info = (await client.get_workflow_handle(workflow_id).describe()).raw_description.workflow_execution_info
    return info.versioning_info.deployment_version.build_id


async def _saga_memo(client: Client, order_id: str) -> object:
    return (await (await client.get_workflow_handle(f"order:{order_id}").describe()).memo()).get("saga")


async def _deploy(stack: Stack, *args: str) -> tuple[int, str, str]:
    return await mallbots_cli(stack, "deploy", *args, MALLBOTS_DEPLOYMENT_NAME=DEPLOYMENT)


async def _status(stack: Stack) -> dict[str, object]:
    code, out, err = await _deploy(stack, "status", "--json")
    assert code == 0, err
    document: dict[str, object] = json.loads(out)
    return document


async def _order(mall: MallbotsClient, shop: Shop) -> str:
    payment_id = await mall.authorize_payment(shop.customer_id, "100.00")
    order_id = await mall.create_order(shop.customer_id, payment_id, {shop.widget_id: 1})
    await mall.wait_for_order(order_id, {"approved", "rejected"})
    return order_id


async def _deliver_and_pay(mall: MallbotsClient, order_id: str) -> str:
    await mall.assign_bot(order_id, "bot-1")
    await mall.complete_shopping_list(order_id)
    await mall.wait_for_order(order_id, {"ready"})
    await mall.pay_invoice(order_id)
    return str((await mall.wait_for_order(order_id, {"completed"}))["status"])


async def test_a_promoted_build_takes_new_orders_while_the_old_one_finishes_its_own_and_drains(stack: Stack) -> None:
    assert stack.client is not None
    client = stack.client
    async with MallbotsClient(stack.api_url, token=stack.token()) as mall:
        # v1 is current by itself: the embedded stack made its own build current.
        assert (await _status(stack))["current"] == "v1"
        shop = await open_shop(mall)
        waiting = [await _order(mall, shop) for _ in range(WAITING_ORDERS)]
        assert {(await mall.get_order(o))["status"] for o in waiting} == {"approved"}
        store_run = (await client.get_workflow_handle(f"store:{shop.store_id}").describe()).run_id

        v2 = _v2_workers(stack)
        running = [asyncio.create_task(w.run()) for w in v2]
        try:
            registered = versioning.expected_queues(v2)
            version = versioning.this_version(stack.settings.model_copy(update={"build_id": "v2"}))
            # A hang guard, not a timing criterion: at the end of a full suite on 2 cores one registration took
            # longer than 30 s (it takes a few seconds alone).
            assert await versioning.wait_until_registered(client, version, registered, 120)
            code, out, err = await _deploy(stack, "drain-check")
            assert code == 0 and "no old version to drain" in out, out + err  # a registered build is a candidate
            # Ramped, then promoted; each time the golden histories replay first.
            code, out, err = await _deploy(stack, "ramp", "25")  # the newest build that is not current: v2
            assert code == 0, err
            assert "histories replay on this build" in out and "v2 ramps at 25 %" in out, out
            status = await _status(stack)
            assert (status["current"], status["ramping"], status["rampPercentage"]) == ("v1", "v2", 25.0)
            code, out, err = await _deploy(stack, "promote", "--build-id", "v2")
            assert code == 0, err
            status = await _status(stack)
            assert (status["current"], status["ramping"]) == ("v2", None)

            # The old build still holds the orders waiting for the bots: not drained.
            code, out, _ = await _deploy(stack, "drain-check")
            assert code == 1 and f"OrderWorkflow {WAITING_ORDERS}" in out, out

            new = [await _order(mall, shop) for _ in range(NEW_ORDERS)]
            for order_id in new:
                assert await _build_of(client, f"order:{order_id}") == "v2"
                assert await _saga_memo(client, order_id) == "v2"

            # An entity moves at its next command: the run pinned to v1 continues as new onto v2.
            await mall.rebrand_store(shop.store_id, "Store on v2")
            store = client.get_workflow_handle(f"store:{shop.store_id}")
            for _ in range(200):
                if (await store.describe()).run_id != store_run:
                    break
                await asyncio.sleep(0.05)
            assert (await store.describe()).run_id != store_run
            assert await _build_of(client, f"store:{shop.store_id}") == "v2"
            assert (await mall.get_store(shop.store_id))["name"] == "Store on v2"

            # The waiting orders finish where they started, with the old saga.
            for order_id in [*waiting, *new]:
                assert await _deliver_and_pay(mall, order_id) == "completed"
            for order_id in waiting:
                assert await _build_of(client, f"order:{order_id}") == "v1"
                assert await _saga_memo(client, order_id) is None

            # The idle entities still pinned to v1 (the customer, the products) hold it, and move at their next
            # command too.
            code, out, _ = await _deploy(stack, "drain-check")
            assert code == 1 and "CustomerWorkflow 1" in out and "ProductWorkflow 2" in out, out
            assert "OrderWorkflow" not in out and "each moves to the current build at its next command" in out, out
            await mall.change_sms(shop.customer_id, "+1 555 0199")
            await mall.rebrand_product(shop.widget_id, "Widget on v2")
            await mall.rebrand_product(shop.gadget_id, "Gadget on v2")
            async with asyncio.timeout(DRAIN_BOUND):
                while (drained := await _deploy(stack, "drain-check"))[0] != 0:  # noqa: ASYNC110 (another process)
                    await asyncio.sleep(0.2)
            assert "v1: drained" in drained[1], drained

            # No workflow failed, and no workflow task either (a v1 run on v2's code would have).
            assert (
                await client.count_workflows("ExecutionStatus = 'Failed' OR ExecutionStatus = 'TimedOut'")
            ).count == 0
            for order_id in [*waiting, *new]:
                history = await client.get_workflow_handle(f"order:{order_id}").fetch_history()
                assert not [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]

            # Drained: v1's workers can go, and the mall goes on with v2 alone.
            for worker in stack.workers:
                await worker.shutdown()
            last = await _order(mall, shop)
            assert await _deliver_and_pay(mall, last) == "completed"
            assert await _build_of(client, f"order:{last}") == "v2"
        finally:
            await asyncio.gather(*(w.shutdown() for w in v2), return_exceptions=True)
            await asyncio.gather(*running, return_exceptions=True)


async def test_joining_workers_make_a_first_build_current_and_leave_a_later_one_to_the_rollout(tmp_path: Path) -> None:
    """Workers joining an existing Temporal (a deployment's): the first build of a deployment with no current version
    makes itself current; a later build registers beside it and gets nothing until it is promoted."""
    server = LocalTemporal(ui=False)
    server.start()
    try:
        settings = Settings(
            _env_file=None,
            data_dir=tmp_path,
            temporal_address=server.address,
            database_url=None,
            payload_keys=SecretStr(PayloadKey.generate("joining").line()),
            worker_versioning=True,
            build_id="first",
        )
        options = StackOptions(settings=settings, persistent=False, ui=False, run_api=False, services=["stores"])
        async with Stack(options) as first:
            assert first.client is not None and not first.embedded
            status = await versioning.describe(first.client, DEPLOYMENT)
            assert status is not None and status.current == "first"
            later = settings.model_copy(update={"build_id": "second", "database_url": first.settings.database_url})
            async with Stack(
                StackOptions(settings=later, persistent=False, ui=False, run_api=False, services=["stores"])
            ):
                status = await versioning.describe(first.client, DEPLOYMENT)
                assert status is not None and (status.current, status.ramping) == ("first", None)
                second = status.version("second")
                assert second is not None and second.status == "inactive"
    finally:
        server.stop()
