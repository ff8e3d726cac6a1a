"""A worker process killed (SIGKILL) in the middle of sagas loses nothing and duplicates nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlmodel import func, select

from activities.depot.tables import ShoppingListRow
from activities.notifications.tables import NotificationRow
from activities.ordering.tables import OrderRow
from activities.payments.tables import PaymentRow
from activities.search.tables import SearchOrderView
from mallbots.client import MallbotsClient
from mallbots.stack import Stack, ephemeral_options
from tests.integration.conftest import open_shop

ORDERS = 10


def _start_worker(stack: Stack, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MALLBOTS_TEMPORAL_ADDRESS": stack.temporal_address,
        "MALLBOTS_DATABASE_URL": stack.database_urls["ordering"],
        "MALLBOTS_LOG_LEVEL": "WARNING",
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "mallbots.cli", "worker", "--service", "all"], env=env, stdout=out, stderr=out
        )


async def _statuses(stack: Stack, order_ids: list[str]) -> dict[str, str]:
    async with stack.databases.sessions("ordering")() as session:  # type: ignore[union-attr]
        rows = (await session.exec(select(OrderRow).where(OrderRow.id.in_(order_ids)))).all()  # type: ignore[attr-defined]
    return {row.id: row.status for row in rows}


async def test_a_worker_killed_mid_saga_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    async with Stack(ephemeral_options(tmp_path / "stack", run_workers=False)) as stack:
        worker = _start_worker(stack, tmp_path / "worker-1.log")
        try:
            async with MallbotsClient(stack.api_url) as mall:
                shop = await open_shop(mall)
                payments = [await mall.authorize_payment(shop.customer_id, "100.00") for _ in range(ORDERS)]
                baskets = [await mall.start_basket(shop.customer_id) for _ in range(ORDERS)]
                await asyncio.gather(*(mall.add_item(b, shop.widget_id, 2) for b in baskets))

                await asyncio.gather(*(mall.checkout(b, p) for b, p in zip(baskets, payments, strict=True)))
                # Polling the read model is the observation point: the first saga has started, kill now.
                while not await _statuses(stack, baskets):  # noqa: ASYNC110
                    await asyncio.sleep(0.005)
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                at_kill = await _statuses(stack, baskets)
                unfinished = [o for o in baskets if at_kill.get(o) != "approved"]
                assert unfinished, "the worker died after every saga had finished: nothing was interrupted"
                print(f"killed the worker with {len(unfinished)} of {ORDERS} sagas unfinished")

                worker = _start_worker(stack, tmp_path / "worker-2.log")
                for order_id in baskets:
                    assert (await mall.wait_for_order(order_id, {"approved", "rejected"}, within=90))[
                        "status"
                    ] == "approved"

            assert stack.databases is not None
            async with stack.databases.sessions("ordering")() as session:
                orders = (await session.exec(select(OrderRow).where(OrderRow.id.in_(baskets)))).all()  # type: ignore[attr-defined]
            assert sorted((o.status, o.version) for o in orders) == [("approved", 2)] * ORDERS  # Created, Approved

            async with stack.databases.sessions("payments")() as session:
                rows = (await session.exec(select(PaymentRow).where(PaymentRow.id.in_(payments)))).all()  # type: ignore[attr-defined]
            assert sorted(r.order_id or "" for r in rows) == sorted(baskets)
            assert {(r.status, r.version) for r in rows} == {("reserved", 2)}  # Authorized, Reserved: once

            async with stack.databases.sessions("depot")() as session:
                lists = (await session.exec(select(ShoppingListRow).where(ShoppingListRow.order_id.in_(baskets)))).all()  # type: ignore[attr-defined]
            assert sorted(lst.order_id for lst in lists) == sorted(baskets)
            assert {(lst.status, lst.version) for lst in lists} == {("available", 2)}

            async with stack.databases.sessions("search")() as session:
                views = (await session.exec(select(SearchOrderView).where(SearchOrderView.id.in_(baskets)))).all()  # type: ignore[attr-defined]
            assert sorted((v.status, v.version) for v in views) == [("approved", 2)] * ORDERS

            async with stack.databases.sessions("notifications")() as session:
                sent = (
                    await session.exec(
                        select(NotificationRow.order_id, func.count())
                        .where(NotificationRow.order_id.in_(baskets))  # type: ignore[attr-defined]
                        .group_by(NotificationRow.order_id)
                    )
                ).all()
            assert sorted(sent) == sorted((o, 1) for o in baskets)  # one "order created" SMS each
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
