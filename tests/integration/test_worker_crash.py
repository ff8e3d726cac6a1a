"""A worker process killed (SIGKILL) in the middle of sagas loses nothing and duplicates nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from mallbots.codec import format_keys
from mallbots.stack import Stack, ephemeral_options
from mallbots.tools.client import MallbotsClient
from tests.integration.conftest import open_shop
from tests.integration.saga_outcomes import assert_approved_exactly_once, order_statuses

ORDERS = 10


def _start_worker(stack: Stack, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MALLBOTS_TEMPORAL_ADDRESS": stack.temporal_address,
        "MALLBOTS_DATABASE_URL": stack.database_urls["ordering"],
        "MALLBOTS_LOG_LEVEL": "WARNING",
        # A worker joining a deployment needs its payload keys: here the ephemeral stack's.
        "MALLBOTS_PAYLOAD_KEYS": format_keys(stack.payload_keys or []),
    }
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "mallbots.cli", "worker", "--service", "all"], env=env, stdout=out, stderr=out
        )


async def test_a_worker_killed_mid_saga_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    async with Stack(ephemeral_options(tmp_path / "stack", run_workers=False)) as stack:
        worker = _start_worker(stack, tmp_path / "worker-1.log")
        try:
            async with MallbotsClient(stack.api_url, token=stack.token()) as mall:
                shop = await open_shop(mall)
                payments = [await mall.authorize_payment(shop.customer_id, "100.00") for _ in range(ORDERS)]
                baskets = [await mall.start_basket(shop.customer_id) for _ in range(ORDERS)]
                await asyncio.gather(*(mall.add_item(b, shop.widget_id, 2) for b in baskets))

                await asyncio.gather(*(mall.checkout(b, p) for b, p in zip(baskets, payments, strict=True)))
                # Polling the read model is the observation point: the first saga has started, kill now.
                while not await order_statuses(stack, baskets):  # noqa: ASYNC110
                    await asyncio.sleep(0.005)
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                at_kill = await order_statuses(stack, baskets)
                unfinished = [o for o in baskets if at_kill.get(o) != "approved"]
                assert unfinished, "the worker died after every saga had finished: nothing was interrupted"
                print(f"killed the worker with {len(unfinished)} of {ORDERS} sagas unfinished")

                worker = _start_worker(stack, tmp_path / "worker-2.log")
                for order_id in baskets:
                    assert (await mall.wait_for_order(order_id, {"approved", "rejected"}, within=90))[
                        "status"
                    ] == "approved"

            await assert_approved_exactly_once(stack, baskets, payments)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
