"""Postgres going away in the middle of sagas (a restart, a failover) loses nothing and duplicates nothing:
the projections and saga steps that need it retry with backoff until it is back, and meanwhile the API
answers reads with a 503 the client can retry instead of a bare 500."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from api.schemas import error_body
from domain.ordering.model import OrderStatus
from mallbots.devstack.postgres import LocalPostgres
from mallbots.stack import Stack, ephemeral_options
from mallbots.tools.client import MallbotsClient
from tests.integration.conftest import open_shop
from tests.integration.saga_outcomes import assert_approved_exactly_once
from workflows.ordering.messages import order_workflow_id
from workflows.search_attributes import ORDER_STATUS

ORDERS = 8
OUTAGE_SECONDS = 3.0
SETTLED = {OrderStatus.APPROVED.value, OrderStatus.REJECTED.value}


async def _saga_statuses(stack: Stack, order_ids: list[str]) -> dict[str, str | None]:
    """What an operator sees in the Temporal UI (the read models are down; a query would have to wait for a
    workflow task busy retrying its projection). None: the saga's first workflow task has not completed."""
    assert stack.client is not None
    handles = [stack.client.get_workflow_handle(order_workflow_id(o)) for o in order_ids]
    described = await asyncio.gather(*(h.describe() for h in handles))
    return {o: d.typed_search_attributes.get(ORDER_STATUS) for o, d in zip(order_ids, described, strict=True)}


async def _outage_while_ordering(stack: Stack, postgres: LocalPostgres, mall: MallbotsClient) -> None:
    shop = await open_shop(mall)
    payments = [await mall.authorize_payment(shop.customer_id, "100.00") for _ in range(ORDERS)]
    baskets = [await mall.start_basket(shop.customer_id) for _ in range(ORDERS)]
    await asyncio.gather(*(mall.add_item(b, shop.widget_id, 2) for b in baskets))
    await asyncio.gather(*(mall.checkout(b, p) for b, p in zip(baskets, payments, strict=True)))

    postgres.stop()  # fast shutdown: every open connection is cut
    at_outage = await _saga_statuses(stack, baskets)
    unfinished = [o for o, status in at_outage.items() if status not in SETTLED]
    assert unfinished, "every saga had finished before the outage: nothing was interrupted"
    print(f"stopped Postgres with {len(unfinished)} of {ORDERS} sagas unfinished")

    headers = {"Authorization": f"Bearer {stack.token()}"}
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=10, headers=headers) as http:
        read = await http.get(f"/api/ordering/{baskets[0]}")
        assert read.status_code == 503, read.text
        assert read.json() == error_body(503, "the database is unavailable; try again shortly")
        assert read.headers["Retry-After"] == "1"
        assert (await http.get("/readiness")).status_code == 503

        await asyncio.sleep(OUTAGE_SECONDS)  # the sagas keep retrying their steps meanwhile
        during = await _saga_statuses(stack, unfinished)
        assert not SETTLED & set(during.values()), during  # no step is skipped or failed for want of a database

        # Back on the same port with the same data, as after a restart. (Started from the main thread:
        # the server is told to die with the thread that started it.)
        postgres.start()
        for order_id in baskets:
            settled = await mall.wait_for_order(order_id, SETTLED, within=90)
            assert settled["status"] == "approved"
        assert (await http.get("/readiness")).status_code == 200

    await assert_approved_exactly_once(stack, baskets, payments)


async def test_a_database_outage_mid_saga_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    async with (
        Stack(ephemeral_options(tmp_path / "stack")) as stack,
        MallbotsClient(stack.api_url, token=stack.token()) as mall,
    ):
        assert stack.postgres is not None
        try:
            await _outage_while_ordering(stack, stack.postgres, mall)
        finally:
            if not stack.postgres.running:  # a failed assertion left it down: stop the stack cleanly
                stack.postgres.start()
