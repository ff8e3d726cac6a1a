"""A subscriber that is down delays only its own read model (race rule 10): with the search and
notifications workers not running, every command still answers 200 within the request deadline; once
they run, both read models converge, each event applied exactly once.

The stack is started without workers (``run_workers=False``); the test runs the workers itself, in this
process, with ``mallbots.bootstrap.build_workers``: first for every service but search and notifications,
then, after the commands, for those two."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func
from sqlmodel import select
from temporalio.client import WorkflowExecutionStatus
from temporalio.worker import Worker

from mallbots import bootstrap
from mallbots.settings import SERVICES
from mallbots.stack import Stack, ephemeral_options
from mallbots.tools.client import ApiError, MallbotsClient
from readmodels.customers.tables import CustomerRow
from readmodels.notifications.tables import DEAD_LETTERS as NOTIFICATIONS_DEAD_LETTERS
from readmodels.notifications.tables import NotificationCustomerCache, NotificationRow
from readmodels.ordering.tables import OrderRow
from readmodels.search.tables import DEAD_LETTERS as SEARCH_DEAD_LETTERS
from readmodels.search.tables import SearchCustomerCache, SearchOrderView, SearchProductCache, SearchStoreCache
from readmodels.stores.tables import ProductRow, StoreRow
from workflows.ordering.messages import order_workflow_id

T = TypeVar("T")

DOWN = ("search", "notifications")
UP = tuple(s for s in SERVICES if s not in DOWN)
CONVERGE_WITHIN = 60.0
SMS_NUMBER = "+1 555 0199"
CUSTOMER = "Outage Customer"

# The order events each order emits, in order, and those of them its customer hears about by SMS.
CANCELLED_EVENTS = ("ordering.OrderCreated", "ordering.OrderApproved", "ordering.OrderCancelled")
COMPLETED_EVENTS = (
    "ordering.OrderCreated",
    "ordering.OrderApproved",
    "ordering.OrderReadied",
    "ordering.OrderCompleted",
)


def _told(events: Sequence[str]) -> list[str]:
    return sorted(e for e in events if e != "ordering.OrderApproved")


class Deadline:
    """Times each command: it must answer (a 2xx, else the client raises) within the request deadline."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.took: dict[str, float] = {}

    async def __call__(self, what: str, command: Awaitable[T]) -> T:
        started = time.perf_counter()
        result = await command
        self.took[what] = elapsed = time.perf_counter() - started
        assert elapsed < self.seconds, f"{what} answered after {elapsed:.2f}s (deadline {self.seconds}s)"
        return result


def _start(workers: list[Worker]) -> list[asyncio.Task[None]]:
    return [asyncio.create_task(w.run()) for w in workers]


async def _stop(workers: list[Worker], tasks: list[asyncio.Task[None]]) -> None:
    """Bounded: a worker that does not stop is abandoned (its tasks go to the next worker)."""
    stopping = asyncio.gather(*(w.shutdown() for w in workers), *tasks, return_exceptions=True)
    done, _ = await asyncio.wait({stopping}, timeout=10)
    if not done:
        for task in tasks:
            task.cancel()


async def _rows(stack: Stack, service: str, model: type[Any], keys: Sequence[str]) -> dict[str, Any]:
    assert stack.databases is not None
    async with stack.databases.sessions(service)() as session:
        found = (await session.exec(select(model).where(model.id.in_(keys)))).all()
    return {row.id: row for row in found}


async def _sms(stack: Stack, order_ids: Sequence[str]) -> list[tuple[str, str, int]]:
    """(order, event, how many SMS for it): each event's SMS once."""
    assert stack.databases is not None
    async with stack.databases.sessions("notifications")() as session:
        counted = (
            await session.exec(
                select(NotificationRow.order_id, NotificationRow.event_name, func.count())
                .where(NotificationRow.order_id.in_(order_ids))  # type: ignore[attr-defined]
                .group_by(NotificationRow.order_id, NotificationRow.event_name)
            )
        ).all()
    return sorted((o, e, int(c)) for o, e, c in counted)


async def _dead_letters(stack: Stack) -> dict[str, int]:
    assert stack.databases is not None
    counts = {}
    for service, table in (("search", SEARCH_DEAD_LETTERS), ("notifications", NOTIFICATIONS_DEAD_LETTERS)):
        async with stack.databases.sessions(service)() as session:
            counts[service] = int((await session.exec(select(func.count()).select_from(table))).one())
    return counts


async def test_commands_answer_while_search_and_notifications_are_down_and_both_catch_up_once(
    tmp_path: Path,
) -> None:
    async with Stack(ephemeral_options(tmp_path / "stack", run_workers=False)) as stack:
        assert stack.client is not None and stack.databases is not None
        up = bootstrap.build_workers(stack.settings, stack.client, stack.databases, UP)
        assert sorted(w.task_queue for w in up) == sorted(UP)
        workers, tasks = list(up), _start(up)
        try:
            timed = Deadline(stack.settings.request_timeout.total_seconds())
            async with MallbotsClient(stack.api_url, token=stack.token()) as mall:
                store_id = await timed("create a store", mall.create_store("Outage Store", "Level 2"))
                await timed("enable participation", mall.enable_participation(store_id))
                product_id = await timed("add a product", mall.add_product(store_id, "Lamp", "12.50", sku="L-1"))
                customer_id = await timed("register a customer", mall.register_customer(CUSTOMER, SMS_NUMBER))

                async def checkout(n: int) -> str:
                    payment_id = await timed(f"authorize payment {n}", mall.authorize_payment(customer_id, "100.00"))
                    basket_id = await timed(f"start basket {n}", mall.start_basket(customer_id))
                    await timed(f"add to basket {n}", mall.add_item(basket_id, product_id, 2))
                    await timed(f"checkout {n}", mall.checkout(basket_id, payment_id))
                    order = await mall.wait_for_order(basket_id, {"approved", "rejected"})
                    assert order["status"] == "approved", order
                    return basket_id

                cancelled_id = await checkout(1)
                cancelled = await timed("cancel", mall.cancel_order(cancelled_id))
                assert cancelled["status"] == "cancelled"

                completed_id = await checkout(2)
                await timed("assign a bot", mall.assign_bot(completed_id, "bot-1"))
                await timed("complete the list", mall.complete_shopping_list(completed_id))
                await mall.wait_for_order(completed_id, {"ready"})
                await timed("pay the invoice", mall.pay_invoice(completed_id))
                assert (await mall.wait_for_order(completed_id, {"completed"}))["status"] == "completed"
                print(
                    "while search and notifications were down: "
                    + ", ".join(f"{k} {v:.2f}s" for k, v in timed.took.items())
                )

                # Down indeed: their read models have nothing; the orders wait to deliver to them.
                order_ids = [cancelled_id, completed_id]
                for order_id in order_ids:
                    try:
                        await mall.get_search_order(order_id)
                        raise AssertionError("search has the order although its worker is not running")
                    except ApiError as missing:
                        assert missing.status == 404
                    described = await stack.client.get_workflow_handle(order_workflow_id(order_id)).describe()
                    assert described.status is WorkflowExecutionStatus.RUNNING, described.status
                    assert described.raw_description.pending_activities, "nothing waiting to be delivered"
                assert await mall.get_notifications(customer_id) == []

                down = bootstrap.build_workers(stack.settings, stack.client, stack.databases, DOWN)
                assert sorted(w.task_queue for w in down) == sorted(DOWN)
                workers += down
                tasks += _start(down)

                # Converge: both order workflows end (every delivery done), then the read models agree.
                deadline = asyncio.get_running_loop().time() + CONVERGE_WITHIN
                for order_id in order_ids:
                    handle = stack.client.get_workflow_handle(order_workflow_id(order_id))
                    while (status := (await handle.describe()).status) is WorkflowExecutionStatus.RUNNING:
                        assert asyncio.get_running_loop().time() < deadline, f"{handle.id} still running"
                        await asyncio.sleep(0.1)
                    assert status is WorkflowExecutionStatus.COMPLETED, f"{handle.id} is {status}"

                expected_sms = sorted(
                    [(cancelled_id, e, 1) for e in _told(CANCELLED_EVENTS)]
                    + [(completed_id, e, 1) for e in _told(COMPLETED_EVENTS)]
                )
                while True:
                    searched = {o: await mall.get_search_order(o) for o in order_ids}
                    sent = await _sms(stack, order_ids)
                    caught_up = (
                        searched[cancelled_id]["status"] == "cancelled"
                        and searched[completed_id]["status"] == "completed"
                        and sent == expected_sms
                    )
                    if caught_up or asyncio.get_running_loop().time() > deadline:
                        break
                    await asyncio.sleep(0.1)

                # Each event applied once: the SMS per order event, and search's versions count the events.
                assert sent == expected_sms
                ordering = await _rows(stack, "ordering", OrderRow, order_ids)
                views = await _rows(stack, "search", SearchOrderView, order_ids)
                assert {o: (r.status, r.version) for o, r in ordering.items()} == {
                    cancelled_id: ("cancelled", len(CANCELLED_EVENTS)),
                    completed_id: ("completed", len(COMPLETED_EVENTS)),
                }
                assert {o: (v.status, v.version) for o, v in views.items()} == {
                    o: (r.status, r.version) for o, r in ordering.items()
                }
                names = {o[:8]: v.customer_name for o, v in views.items()}
                assert set(names.values()) == {CUSTOMER}, f"search shows the customer's name as {names}"
                assert {o: s["status"] for o, s in searched.items()} == {o: r.status for o, r in ordering.items()}

                notifications = await mall.get_notifications(customer_id)
                assert sorted((n["orderId"], n["eventName"], 1) for n in notifications) == expected_sms
                wrong_number = [
                    (n["orderId"][:8], n["eventName"], n["smsNumber"], n["message"])
                    for n in notifications
                    if n["smsNumber"] != SMS_NUMBER
                ]
                assert not wrong_number, f"SMS sent to a number other than the customer's {SMS_NUMBER}: {wrong_number}"
                assert next(n["eventName"] for n in notifications if n["orderId"] == completed_id) == (
                    "ordering.OrderCompleted"
                )
                assert next(n["eventName"] for n in notifications if n["orderId"] == cancelled_id) == (
                    "ordering.OrderCancelled"
                )

                # Their copies of the others' entities, too: one version per event of the owner.
                async def versions(service: str, model: type[Any], key: str) -> int | None:
                    row = (await _rows(stack, service, model, [key])).get(key)
                    return None if row is None else int(row.version)

                copies = {
                    "search's customer": (
                        await versions("search", SearchCustomerCache, customer_id),
                        await versions("customers", CustomerRow, customer_id),
                    ),
                    "notifications' customer": (
                        await versions("notifications", NotificationCustomerCache, customer_id),
                        await versions("customers", CustomerRow, customer_id),
                    ),
                    "search's store": (
                        await versions("search", SearchStoreCache, store_id),
                        await versions("stores", StoreRow, store_id),
                    ),
                    "search's product": (
                        await versions("search", SearchProductCache, product_id),
                        await versions("stores", ProductRow, product_id),
                    ),
                }
                assert all(copy == owner and owner is not None for copy, owner in copies.values()), copies
                assert await _dead_letters(stack) == {"search": 0, "notifications": 0}
        finally:
            await _stop(workers, tasks)
