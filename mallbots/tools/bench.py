"""``mallbots bench``: orders through the full create-order saga as fast as the machine allows.

Each order is timed from the moment the client sends the checkout to the moment the saga approved it
(the approval's workflow time, which the order read model keeps as ``updatedAt``). The read model is
polled only every 100 ms to notice the approval, so the benchmark does not measure its own polling.
Beside it, the same Temporal server's floor: a workflow of as many sequential no-op activities as the
saga's critical path has, at the same concurrency.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from temporalio.client import Client
from temporalio.worker import Worker

from api.auth import Role
from mallbots.tools.bench_floor import FLOOR_QUEUE, FloorWorkflow, bench_noop
from mallbots.tools.client import MallbotsClient, TokenMint

# The saga's critical path: OrderCreated published, 4 steps (each commanding another entity), OrderApproved.
SAGA_ACTIVITIES = 6


@dataclass
class Result:
    name: str
    count: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.latencies) if self.latencies else 0.0


async def _run_bounded(
    count: int, concurrency: int, one: Callable[[int], Awaitable[float | None]]
) -> tuple[float, list[float]]:
    """Run ``one(i)`` ``count`` times with at most ``concurrency`` in flight; returns wall time and latencies
    (``one`` may report its own latency; otherwise its duration counts)."""
    semaphore = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def timed(i: int) -> None:
        async with semaphore:
            started = time.perf_counter()
            reported = await one(i)
            latencies.append(reported if reported is not None else time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(timed(i) for i in range(count)))
    return time.perf_counter() - started, latencies


async def bench_orders(mall: MallbotsClient, orders: int, concurrency: int, mint: TokenMint | None) -> Result:
    """``mint``: tokens of the stack's issuer (a store owner sets up, a customer buys); None = auth off."""
    tag = uuid.uuid4().hex[:6]
    owner = mall.acting_as(mint(Role.STORE_OWNER, f"bench-owner-{tag}") if mint else None)
    store_id = await owner.create_store(f"Bench store {tag}", "Bench wing")
    await owner.enable_participation(store_id)
    product_id = await owner.add_product(store_id, f"Bench widget {tag}", "9.99", sku=f"BENCH-{tag}")
    mall = mall.acting_as(mint(Role.CUSTOMER, f"bench-customer-{tag}") if mint else None)
    customer_id = await mall.register_customer(f"Bench customer {tag}", "+1 555 0199")

    async def prepare(_: int) -> tuple[str, str]:
        payment_id = await mall.authorize_payment(customer_id, "100.00")
        basket_id = await mall.start_basket(customer_id)
        await mall.add_item(basket_id, product_id, 2)
        return basket_id, payment_id

    semaphore = asyncio.Semaphore(concurrency)

    async def bounded_prepare(i: int) -> tuple[str, str]:
        async with semaphore:
            return await prepare(i)

    prepared = await asyncio.gather(*(bounded_prepare(i) for i in range(orders)))

    async def one(i: int) -> float:
        basket_id, payment_id = prepared[i]
        sent = datetime.now(UTC)
        await mall.checkout(basket_id, payment_id)
        order = await mall.wait_for_order(basket_id, {"approved", "rejected"}, within=120, interval=0.1)
        if order["status"] != "approved":
            raise RuntimeError(f"bench order {basket_id} was {order['status']}: {order.get('reason')}")
        return (datetime.fromisoformat(order["updatedAt"]) - sent).total_seconds()

    seconds, latencies = await _run_bounded(orders, concurrency, one)
    return Result("checkout → approved (full saga)", orders, seconds, latencies)


async def bench_floor(client: Client, runs: int, concurrency: int, steps: int = SAGA_ACTIVITIES) -> Result:
    async with Worker(client, task_queue=FLOOR_QUEUE, workflows=[FloorWorkflow], activities=[bench_noop]):

        async def one(i: int) -> None:
            await client.execute_workflow(
                FloorWorkflow.run, steps, id=f"bench-floor-{uuid.uuid4()}", task_queue=FLOOR_QUEUE
            )

        seconds, latencies = await _run_bounded(runs, concurrency, one)
    return Result(f"floor: workflow of {steps} no-op activities", runs, seconds, latencies)
