"""Operators find a saga stuck on a transient failure; the failure is retried and never compensates."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from temporalio import activity
from temporalio.worker import Worker

from activities.depot.activities import DepotActivities
from mallbots.services import activity_methods
from mallbots.stack import Stack, ephemeral_options
from mallbots.tools.client import MallbotsClient
from mallbots.tools.operators import find_stuck_sagas
from readmodels.depot.projections import DepotProjections
from tests.integration.conftest import open_shop
from tests.integration.ops_cli import mallbots_cli
from workflows.depot.messages import ShoppingListRef
from workflows.depot.shopping_list_workflow import ShoppingListWorkflow


class DepotWithBrokenShopping(DepotActivities):
    """Initiating shopping always fails as if the database were down (a retryable, transient failure)."""

    attempts = 0
    retried_twice = asyncio.Event()

    @activity.defn(name="initiate_shopping")
    async def initiate_shopping(self, ref: ShoppingListRef) -> None:
        DepotWithBrokenShopping.attempts += 1
        if DepotWithBrokenShopping.attempts >= 3:  # retried with backoff: 0.2 s, 0.4 s, …
            DepotWithBrokenShopping.retried_twice.set()
        raise ConnectionError("depot database unreachable")


async def test_a_saga_stuck_on_a_transient_failure_is_listed_and_never_compensated(tmp_path: Path) -> None:
    async with Stack(ephemeral_options(tmp_path)) as stack:
        assert stack.client is not None and stack.databases is not None
        sessions = stack.databases.sessions("depot")
        stack_workers = [w for w in stack.workers if w.task_queue == "depot"]
        assert stack_workers, "the stack runs a depot worker"
        # Replace depot's worker with one whose initiate_shopping always fails transiently.
        await stack_workers[0].shutdown()
        broken = Worker(
            stack.client,
            task_queue="depot",
            workflows=[ShoppingListWorkflow],
            activities=activity_methods([DepotProjections(sessions), DepotWithBrokenShopping(sessions, stack.client)]),
        )
        async with broken, MallbotsClient(stack.api_url, token=stack.token()) as mall:
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
