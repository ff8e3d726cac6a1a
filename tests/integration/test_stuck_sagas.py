"""Operators find a saga stuck on a transient failure; the failure is retried and never compensates. A command
failing in the order's own worker (a local activity) moves to its service's queue, where it shows as pending."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from temporalio import activity
from temporalio.worker import Worker

from activities.depot.activities import ShoppingListCommands
from activities.depot.catalog import DepotActivities
from activities.notifications.gateway import RecordingGateway
from mallbots.services import DEFINITIONS, ServiceResources, activity_methods
from mallbots.stack import Stack, ephemeral_options
from mallbots.tools.client import MallbotsClient
from mallbots.tools.operators import find_stuck_sagas
from readmodels.depot.projections import DepotProjections
from tests.integration.conftest import open_shop
from tests.integration.ops_cli import mallbots_cli
from workflows.depot.messages import ShoppingListRef
from workflows.depot.shopping_list_workflow import ShoppingListWorkflow


class DepotWithBrokenShopping(ShoppingListCommands):
    """Initiating shopping always fails as if the database were down (a retryable, transient failure)."""

    attempts = 0
    retried_twice = asyncio.Event()

    @activity.defn(name="initiate_shopping")
    async def initiate_shopping(self, ref: ShoppingListRef) -> None:
        DepotWithBrokenShopping.attempts += 1
        # Two quick local attempts in the ordering worker, then depot's activity, retried with backoff (0.2 s,
        # 0.4 s, …): by its second attempt the first one's failure is on record as the pending activity's last.
        if DepotWithBrokenShopping.attempts >= 4:
            DepotWithBrokenShopping.retried_twice.set()
        raise ConnectionError("depot database unreachable")


async def test_a_saga_stuck_on_a_transient_failure_is_listed_and_never_compensated(tmp_path: Path) -> None:
    async with Stack(ephemeral_options(tmp_path)) as stack:
        assert stack.client is not None and stack.databases is not None
        sessions = stack.databases.sessions("depot")
        replaced = {w.task_queue: w for w in stack.workers if w.task_queue in ("depot", "ordering")}
        assert set(replaced) == {"depot", "ordering"}, "the stack runs a depot and an ordering worker"
        # Replace both workers that run initiate_shopping (the ordering worker first, as a local activity; depot's
        # as the fallback) with ones whose initiate_shopping always fails transiently.
        for worker in replaced.values():
            await worker.shutdown()
        broken = DepotWithBrokenShopping(stack.client)
        broken_depot = Worker(
            stack.client,
            task_queue="depot",
            workflows=[ShoppingListWorkflow],
            activities=activity_methods([DepotProjections(sessions), DepotActivities(sessions), broken]),
        )
        ordering = DEFINITIONS["ordering"]
        resources = ServiceResources(
            sessions=stack.databases.sessions("ordering"), client=stack.client, gateway=RecordingGateway(sessions)
        )
        objects = [broken if isinstance(o, ShoppingListCommands) else o for o in ordering.activity_objects(resources)]
        broken_ordering = Worker(
            stack.client,
            task_queue="ordering",
            workflows=list(ordering.workflows),
            activities=activity_methods(objects),
        )
        async with broken_depot, broken_ordering, MallbotsClient(stack.api_url, token=stack.token()) as mall:
            shop = await open_shop(mall)
            payment_id = await mall.authorize_payment(shop.customer_id, "100.00")
            order_id = await mall.create_order(shop.customer_id, payment_id, {shop.gadget_id: 1})
            await asyncio.wait_for(DepotWithBrokenShopping.retried_twice.wait(), 60)

            stuck = await find_stuck_sagas(stack.client, timedelta(0))

            assert [s.workflow_id for s in stuck] == [f"order:{order_id}"]
            assert stuck[0].step == "step 4/5: initiate shopping"
            assert "initiate_shopping (attempt" in stuck[0].pending
            assert "depot database unreachable" in stuck[0].pending
            # A transient failure never compensates: the payment stays reserved, the list pending.
            assert (await mall.get_order(order_id))["status"] == "pending"
            assert (await mall.get_payment(payment_id))["status"] == "reserved"
            assert (await mall.get_shopping_list(order_id))["status"] == "pending"
            assert await find_stuck_sagas(stack.client, timedelta(hours=1)) == []
            # In an 80-column terminal the table prints the workflow ID whole, so that it can be copied.
            code, out, _ = await mallbots_cli(stack, "ops", "stuck", "--older-than", "0", COLUMNS="80")
            assert code == 1 and f"order:{order_id}" in out, out
