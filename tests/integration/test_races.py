"""Issue 12's races through the REST API against the real stack: two commands that cross are fired at once
(one ``asyncio.gather`` over two HTTP calls), ``ROUNDS`` times per pair, each round on a fresh order and
payment. After each round the order must settle with one winner: the loser answered a clear 409 (the
grpc-gateway error body), the winner a 200, the order workflow never failed or was terminated and ended
completed, and every read model (ordering, depot, payments and invoices, search, notifications) agrees
with the winner, each event applied once (read-model versions count the events).

The rules are those of /work/shared-notes/race-rules.md (rule numbers below)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle

from mallbots.stack import Stack, ephemeral_options
from mallbots.tools.client import MallbotsClient
from readmodels.ordering.tables import OrderRow
from readmodels.payments.tables import PaymentRow
from readmodels.search.tables import SearchOrderView
from tests.integration.conftest import Shop, open_shop
from workflows.ordering.messages import order_workflow_id

ROUNDS = 20
CONCURRENCY = 5  # rounds of one pair in flight at once (2 cores: 20 rounds one after the other take too long)
SETTLE_WITHIN = 30.0  # an order that has not settled by then is a failure, not a hang
PAY_RETRY_WITHIN = 10.0  # paying an invoice that is still being opened (404) is retried this long
ABORTED = 10  # the gRPC code grpc-gateway pairs with HTTP 409
# The expiry vs reserve stack's payment time to live: a loaded 2-core machine may need over 1 s to reach step 3.
PAYMENT_TTL = timedelta(seconds=2)

CREATED, APPROVED, READIED, COMPLETED, CANCELLED, REJECTED = (
    f"ordering.Order{e}" for e in ("Created", "Approved", "Readied", "Completed", "Cancelled", "Rejected")
)
# What the customer is told about, oldest first, for each way an order ends (OrderApproved sends no SMS).
SMS = {
    "completed": (CREATED, READIED, COMPLETED),
    "cancelled": (CREATED, CANCELLED),
    "rejected": (CREATED, REJECTED),
}

Json = dict[str, Any]


@dataclass(frozen=True)
class Reply:
    method: str
    path: str
    status: int
    body: Json

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status} {self.body}"


@dataclass(frozen=True)
class Probe:
    """What a round talks to: the raw HTTP client (races, status codes), the typed one (set-up), the stack
    (its databases for read-model versions, its Temporal client for the order workflow's status)."""

    stack: Stack
    api: httpx.AsyncClient
    mall: MallbotsClient
    shop: Shop


@dataclass(frozen=True)
class Expected:
    """How the order ends. ``payment`` holds the acceptable (status, version, orderId) of the payment's row;
    ``shopping_list`` None is "never created" (404); ``invoice`` None is "never opened" (404)."""

    status: str
    order_events: frozenset[int]
    shopping_list: frozenset[str | None]
    payment: frozenset[tuple[str, int, str | None]]
    invoice: str | None = None


def completed(order_id: str) -> Expected:
    # Created, Approved, Readied, Completed; the payment Authorized, Reserved, Captured.
    return Expected(
        "completed", frozenset({4}), frozenset({"completed"}), frozenset({("captured", 3, order_id)}), "paid"
    )


def cancelled_when_approved(order_id: str) -> Expected:
    # Created, Approved, Cancelled; the payment Authorized, Reserved, Released; no invoice ever.
    return Expected("cancelled", frozenset({3}), frozenset({"cancelled"}), frozenset({("released", 3, order_id)}))


# ---- HTTP ---------------------------------------------------------------------------------------


async def _call(api: httpx.AsyncClient, method: str, path: str, body: Json | None = None) -> Reply:
    response = await api.request(method, path, json=body)
    try:
        parsed = response.json()
    except ValueError:
        parsed = {"text": response.text}
    return Reply(method, path, response.status_code, parsed if isinstance(parsed, dict) else {"json": parsed})


def _won(reply: Reply, label: str, field: str, status: str) -> None:
    assert reply.status == 200, f"{label}: the winner must answer 200: {reply}"
    assert reply.body[field]["status"] == status, f"{label}: {reply}"


def _refused(reply: Reply, label: str) -> None:
    """A clear 409 in grpc-gateway's error shape: {"code": 10, "message": "...", "details": []}."""
    assert reply.status == 409, f"{label}: the loser must answer 409: {reply}"
    message = reply.body.get("message")
    assert isinstance(message, str) and message.strip(), f"{label}: a 409 without a message: {reply}"
    assert (reply.body.get("code"), reply.body.get("details")) == (ABORTED, []), f"{label}: {reply}"


def _stagger(n: int) -> float:
    """How long round ``n`` holds back the bot's command: 0 in rounds 1 and 11 (both sent in the same
    moment), up to 270 ms in the others, since the customer's cancel reaches the list one workflow task and
    one activity later than a bot's command does, and would otherwise always arrive second."""
    return (n % 10) * 0.03


async def _after(delay: float, request: Awaitable[Reply]) -> Reply:
    await asyncio.sleep(delay)
    return await request


def _cancel(api: httpx.AsyncClient, order_id: str) -> Awaitable[Reply]:
    return _call(api, "DELETE", f"/api/ordering/{order_id}")


def _complete(api: httpx.AsyncClient, list_id: str) -> Awaitable[Reply]:
    return _call(api, "PUT", f"/api/depot/shopping/{list_id}/complete")


def _pay(api: httpx.AsyncClient, invoice_id: str) -> Awaitable[Reply]:
    return _call(api, "PUT", f"/api/payments/invoices/{invoice_id}/pay")


async def _pay_once_open(api: httpx.AsyncClient, invoice_id: str) -> tuple[Reply, int]:
    """Pay; while the invoice is still being opened (404) try again, bounded. Returns the answer and how
    many 404s came first."""
    deadline = asyncio.get_running_loop().time() + PAY_RETRY_WITHIN
    missing = 0
    while True:
        reply = await _pay(api, invoice_id)
        if reply.status != 404 or asyncio.get_running_loop().time() > deadline:
            return reply, missing
        missing += 1
        await asyncio.sleep(0.02)


# ---- set-up -------------------------------------------------------------------------------------


async def _direct_order(probe: Probe, payment_id: str) -> str:
    return await probe.mall.create_order(probe.shop.customer_id, payment_id, {probe.shop.gadget_id: 1})


async def _approved_order(probe: Probe, label: str) -> tuple[str, str]:
    payment_id = await probe.mall.authorize_payment(probe.shop.customer_id, "100.00")
    order_id = await _direct_order(probe, payment_id)
    order = await probe.mall.wait_for_order(order_id, {"approved", "rejected"}, within=SETTLE_WITHIN)
    assert order["status"] == "approved", f"{label}: set-up: {order}"
    return order_id, payment_id


async def _ready_to_pay(probe: Probe, label: str, n: int) -> tuple[str, str]:
    order_id, payment_id = await _approved_order(probe, label)
    await probe.mall.assign_bot(order_id, f"bot-{n}")
    await probe.mall.complete_shopping_list(order_id)
    return order_id, payment_id


# ---- settling and the read models ---------------------------------------------------------------


async def _failures_in_history(handle: WorkflowHandle[Any, Any]) -> list[str]:
    found = []
    async for event in handle.fetch_history_events():
        for kind in (
            "workflow_execution_failed_event_attributes",
            "workflow_task_failed_event_attributes",
            "workflow_execution_terminated_event_attributes",
        ):
            if event.HasField(kind):
                attributes = getattr(event, kind)
                failure = getattr(attributes, "failure", None)
                found.append(f"#{event.event_id} {kind}: {failure.message if failure else attributes.reason}")
    return found


async def _workflow_completes(probe: Probe, label: str, order_id: str) -> None:
    """Polls ``order:<id>`` until it is completed; running is the only other status it may ever show."""
    assert probe.stack.client is not None
    handle = probe.stack.client.get_workflow_handle(order_workflow_id(order_id))
    deadline = asyncio.get_running_loop().time() + SETTLE_WITHIN
    while True:
        described = await handle.describe()
        if described.status is WorkflowExecutionStatus.COMPLETED:
            return
        if described.status is not WorkflowExecutionStatus.RUNNING:
            failures = await _failures_in_history(handle)
            raise AssertionError(f"{label}: {handle.id} is {described.status}: {failures}")
        if asyncio.get_running_loop().time() > deadline:
            pending = [a.activity_type.name for a in described.raw_description.pending_activities]
            failures = await _failures_in_history(handle)
            raise AssertionError(
                f"{label}: {handle.id} still running after {SETTLE_WITHIN}s: pending activities {pending}, "
                f"failures in its history {failures}"
            )
        await asyncio.sleep(0.05)


async def _version(stack: Stack, service: str, model: type[Any], key: str) -> int | None:
    assert stack.databases is not None
    async with stack.databases.sessions(service)() as session:
        row = await session.get(model, key)
    return None if row is None else int(row.version)


async def _read_models(probe: Probe, order_id: str, payment_id: str) -> Json:
    """What every read model says about the order, through the API (versions from the rows)."""
    api, stack = probe.api, probe.stack
    order, shopping_list, payment, invoice, search, notifications = await asyncio.gather(
        _call(api, "GET", f"/api/ordering/{order_id}"),
        _call(api, "GET", f"/api/depot/shopping/{order_id}"),
        _call(api, "GET", f"/api/payments/{payment_id}"),
        _call(api, "GET", f"/api/payments/invoices/{order_id}"),
        _call(api, "GET", f"/api/search/orders/{order_id}"),
        _notifications(api, probe.shop.customer_id),
    )
    order_version, payment_version, search_version = await asyncio.gather(
        _version(stack, "ordering", OrderRow, order_id),
        _version(stack, "payments", PaymentRow, payment_id),
        _version(stack, "search", SearchOrderView, order_id),
    )
    mine = [n for n in notifications.body.get("notifications", []) if n["orderId"] == order_id]
    assert order.status == 200 and payment.status == 200, f"{order} {payment}"
    return {
        "order": order.body["order"]["status"],
        "order_reason": order.body["order"].get("reason"),
        "order_invoice_id": order.body["order"].get("invoiceId"),
        "order_version": order_version,
        "shopping_list": shopping_list.body["shoppingList"]["status"] if shopping_list.status == 200 else None,
        "shopping_list_http": shopping_list.status,
        "payment": (payment.body["payment"]["status"], payment_version, payment.body["payment"].get("orderId")),
        "invoice": invoice.body["invoice"]["status"] if invoice.status == 200 else None,
        "invoice_http": invoice.status,
        "search": (search.body["order"]["status"], search_version) if search.status == 200 else None,
        "sms": tuple(n["eventName"] for n in reversed(mine)),  # the API answers newest first
        "sms_numbers": sorted({n["smsNumber"] for n in mine}),
    }


async def _notifications(api: httpx.AsyncClient, customer_id: str) -> Reply:
    response = await api.get("/api/notifications", params={"customerId": customer_id})
    return Reply("GET", "/api/notifications", response.status_code, response.json())


def _mismatches(seen: Json, want: Expected) -> list[str]:
    wrong = []
    if seen["order"] != want.status:
        wrong.append(f"ordering says {seen['order']}")
    if seen["order_version"] not in want.order_events:
        wrong.append(f"ordering's row has {seen['order_version']} events, not {sorted(want.order_events)}")
    if seen["shopping_list"] not in want.shopping_list:
        wrong.append(f"depot says {seen['shopping_list']} (HTTP {seen['shopping_list_http']})")
    if seen["payment"] not in want.payment:
        wrong.append(f"payments says (status, version, orderId) {seen['payment']}, not one of {set(want.payment)}")
    if want.status != "completed" and seen["payment"][0] == "captured":
        wrong.append(f"a {want.status} order's payment was captured")
    if seen["invoice"] != want.invoice:
        wrong.append(f"the invoice is {seen['invoice']} (HTTP {seen['invoice_http']}), not {want.invoice}")
    if want.status == "completed" and seen["order_invoice_id"] is None:
        wrong.append("a completed order names no invoice")
    if seen["search"] != (want.status, seen["order_version"]):
        wrong.append(f"search says (status, version) {seen['search']}")
    if seen["sms"] != SMS[want.status]:
        wrong.append(f"the SMS sent, oldest first, are {seen['sms']}, not {SMS[want.status]}")
    if want.status == "completed" and CANCELLED in seen["sms"]:
        wrong.append("a completed order's customer was told it was cancelled")
    if seen["sms_numbers"] not in ([], ["+1 555 0100"]):
        wrong.append(f"SMS sent to {seen['sms_numbers']}")
    return wrong


async def _settles(probe: Probe, label: str, order_id: str, payment_id: str, want: Expected) -> Json:
    """The order workflow ends completed (never failed or terminated); then every read model agrees with
    ``want`` (search and notifications follow in the background: polled, bounded)."""
    await _workflow_completes(probe, label, order_id)
    deadline = asyncio.get_running_loop().time() + SETTLE_WITHIN
    while True:
        seen = await _read_models(probe, order_id, payment_id)
        wrong = _mismatches(seen, want)
        if not wrong:
            return seen
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{label}: order {order_id}: {'; '.join(wrong)}; every read model: {seen}")
        await asyncio.sleep(0.1)


# ---- rounds -------------------------------------------------------------------------------------


async def _rounds(pair: str, one_round: Callable[[int, str], Awaitable[str]], rounds: int = ROUNDS) -> Counter[str]:
    """``rounds`` rounds, ``CONCURRENCY`` at a time; each returns which way its race went. Every round runs
    to its end; the first failure is raised, with which rounds failed noted on it."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def guarded(n: int) -> str:
        async with gate:
            return await one_round(n, f"{pair}, round {n + 1}/{rounds}")

    started = time.perf_counter()
    results = await asyncio.gather(*(guarded(n) for n in range(rounds)), return_exceptions=True)
    failures = [(n + 1, r) for n, r in enumerate(results) if isinstance(r, BaseException)]
    if failures:
        first = failures[0][1]
        first.add_note(f"{len(failures)} of {rounds} rounds of {pair} failed: {[n for n, _ in failures]}")
        for n, other in failures[1:]:
            first.add_note(f"round {n}: {other!r}")
        raise first
    tally = Counter(r for r in results if isinstance(r, str))
    print(f"{pair}: {rounds} rounds in {time.perf_counter() - started:.1f}s: {dict(tally)}")
    return tally


# ---- the pairs ----------------------------------------------------------------------------------


async def test_cancel_against_a_bots_complete_has_one_winner(
    stack: Stack, api: httpx.AsyncClient, mall: MallbotsClient, shop: Shop
) -> None:
    """Rule 1: the list is assigned; the customer's cancel and the bot's complete cross at the list."""
    probe = Probe(stack, api, mall, shop)

    async def one_round(n: int, label: str) -> str:
        order_id, payment_id = await _approved_order(probe, label)
        await mall.assign_bot(order_id, f"bot-{n}")
        cancel, complete = await asyncio.gather(_cancel(api, order_id), _after(_stagger(n), _complete(api, order_id)))
        if cancel.status == 200:
            _won(cancel, label, "order", "cancelled")
            _refused(complete, label)
            await _settles(probe, label, order_id, payment_id, cancelled_when_approved(order_id))
            return "cancel won"
        _won(complete, label, "shoppingList", "completed")
        _refused(cancel, label)
        await mall.wait_for_order(order_id, {"ready"}, within=SETTLE_WITHIN)
        _won(await _pay(api, order_id), label, "invoice", "paid")
        await _settles(probe, label, order_id, payment_id, completed(order_id))
        return "complete won"

    await _rounds("cancel vs complete", one_round)


async def test_cancel_against_a_bots_assign_always_cancels(
    stack: Stack, api: httpx.AsyncClient, mall: MallbotsClient, shop: Shop
) -> None:
    """Rule 2: an assigned list can still be cancelled, so the cancel always wins; the assign is a 409 when
    the cancel reached the list first, and the bot's complete afterwards is a 409 either way."""
    probe = Probe(stack, api, mall, shop)

    async def one_round(n: int, label: str) -> str:
        order_id, payment_id = await _approved_order(probe, label)
        cancel, assign = await asyncio.gather(
            _cancel(api, order_id),
            _after(_stagger(n), _call(api, "PUT", f"/api/depot/shopping/{order_id}/assign", {"botId": f"bot-{n}"})),
        )
        _won(cancel, label, "order", "cancelled")
        if assign.status == 200:
            _won(assign, label, "shoppingList", "assigned")
            outcome = "assigned, then cancelled"
        else:
            _refused(assign, label)
            outcome = "cancelled first: assign refused"
        _refused(await _complete(api, order_id), f"{label}: the bot's complete after the cancel")
        await _settles(probe, label, order_id, payment_id, cancelled_when_approved(order_id))
        return outcome

    await _rounds("cancel vs assign", one_round)


async def test_cancel_against_paying_a_ready_order_loses(
    stack: Stack, api: httpx.AsyncClient, mall: MallbotsClient, shop: Shop
) -> None:
    """Rule 3: a ready order cannot be cancelled; the payment is captured."""
    probe = Probe(stack, api, mall, shop)

    async def one_round(n: int, label: str) -> str:
        order_id, payment_id = await _ready_to_pay(probe, label, n)
        await mall.wait_for_order(order_id, {"ready"}, within=SETTLE_WITHIN)
        cancel, pay = await asyncio.gather(_cancel(api, order_id), _pay(api, order_id))
        _won(pay, label, "invoice", "paid")
        _refused(cancel, label)
        await _settles(probe, label, order_id, payment_id, completed(order_id))
        return "pay won"

    await _rounds("cancel vs pay", one_round)


async def test_cancel_while_the_invoice_is_opened_against_paying_loses(
    stack: Stack, api: httpx.AsyncClient, mall: MallbotsClient, shop: Shop
) -> None:
    """Rule 3: the list is completed and the invoice is being opened; a cancel fired with the payment is a
    409 (the list is completed), the payment (retried while the invoice is not open yet) goes through."""
    probe = Probe(stack, api, mall, shop)

    async def one_round(n: int, label: str) -> str:
        order_id, payment_id = await _ready_to_pay(probe, label, n)
        cancel, (pay, missing) = await asyncio.gather(_cancel(api, order_id), _pay_once_open(api, order_id))
        _won(pay, label, "invoice", "paid")
        _refused(cancel, label)
        await _settles(probe, label, order_id, payment_id, completed(order_id))
        return "paid at once" if missing == 0 else "paid once the invoice was open"

    await _rounds("cancel while invoicing vs pay", one_round)


async def test_two_orders_on_one_payment_approve_exactly_one(
    stack: Stack, api: httpx.AsyncClient, mall: MallbotsClient, shop: Shop
) -> None:
    """Rule 6: the first step 3 reserves the payment; the other order is rejected and its compensation
    leaves the reservation alone; cancelling the approved order then releases it."""
    probe = Probe(stack, api, mall, shop)
    body = {"customerId": shop.customer_id, "items": [{"productId": shop.gadget_id, "quantity": 1}]}

    async def one_round(n: int, label: str) -> str:
        payment_id = await mall.authorize_payment(shop.customer_id, "100.00")
        created = await asyncio.gather(
            *(_call(api, "POST", "/api/ordering", {**body, "paymentId": payment_id}) for _ in "ab")
        )
        for reply in created:
            assert reply.status == 200, f"{label}: {reply}"
        first, second = (r.body["id"] for r in created)
        assert first != second
        orders = await asyncio.gather(
            *(mall.wait_for_order(o, {"approved", "rejected"}, within=SETTLE_WITHIN) for o in (first, second))
        )
        assert sorted(o["status"] for o in orders) == ["approved", "rejected"], f"{label}: {orders}"
        winner, loser = sorted(orders, key=lambda o: o["status"] != "approved")
        assert loser["reason"] == f"the payment {payment_id} is reserved by order {winner['id']}", f"{label}: {loser}"
        rejected = Expected(
            "rejected",
            frozenset({2}),  # Created, Rejected
            frozenset({"cancelled"}),  # its step 2 opened a list, its compensation cancelled it
            frozenset({("reserved", 2, winner["id"])}),  # Authorized, Reserved: the winner's, untouched
        )
        await _settles(probe, f"{label}: the rejected order", loser["id"], payment_id, rejected)
        assert (await mall.get_shopping_list(winner["id"]))["status"] == "available", label
        _won(await _cancel(api, winner["id"]), label, "order", "cancelled")
        await _settles(
            probe, f"{label}: the approved order", winner["id"], payment_id, cancelled_when_approved(winner["id"])
        )
        return "first approved" if winner["id"] == first else "second approved"

    await _rounds("two orders vs one payment", one_round)


async def test_cancel_against_the_running_saga_cancels_and_charges_nothing(
    stack: Stack, api: httpx.AsyncClient, mall: MallbotsClient, shop: Shop
) -> None:
    """Rule 7: a cancel sent while the saga runs (right after checkout or a direct order, or a little later
    to meet later steps): the step in flight finishes, no later step runs, what was done is undone. The
    payment is released if it was reserved, else still authorized; nothing is ever captured."""
    probe = Probe(stack, api, mall, shop)

    async def one_round(n: int, label: str) -> str:
        payment_id = await mall.authorize_payment(shop.customer_id, "100.00")
        if n % 2 == 0:
            order_id = await mall.start_basket(shop.customer_id)
            await mall.add_item(order_id, shop.gadget_id, 1)
            await mall.checkout(order_id, payment_id)
        else:
            order_id = await _direct_order(probe, payment_id)
        await asyncio.sleep((n // 2 % 5) * 0.15)  # 0 … 600 ms after the order started: different steps
        _won(await _cancel(api, order_id), label, "order", "cancelled")
        want = Expected(
            "cancelled",
            frozenset({2, 3}),  # Created, Cancelled; or Created, Approved, Cancelled if it was approved first
            frozenset({None, "cancelled"}),  # no list yet, or the list cancelled
            frozenset({("authorized", 1, None), ("released", 3, order_id)}),
        )
        seen = await _settles(probe, label, order_id, payment_id, want)
        if seen["order_version"] == 3:
            assert seen["payment"][0] == "released", f"{label}: approved, then cancelled: {seen}"
        if seen["shopping_list"] is None:
            assert seen["payment"][0] == "authorized", f"{label}: no list, so never reserved: {seen}"
        via = "checkout" if n % 2 == 0 else "direct"
        if seen["order_version"] == 3:
            return f"{via}: after approval"
        if seen["payment"][0] == "released":
            return f"{via}: after the reservation"
        return f"{via}: before the reservation"

    await _rounds("cancel vs saga", one_round)


async def test_a_payments_expiry_against_its_reservation_has_one_winner(tmp_path: Path) -> None:
    """Rule 4, on a stack whose payments live ``PAYMENT_TTL``: each order is placed so that its step 3 meets
    the payment's expiry (the delay after the authorization is adapted batch by batch towards the point
    where both outcomes occur). Reserved first: the expiry changes nothing (no PaymentExpired: the row's
    version stays 2). Expired first: step 3 is refused and the order is rejected."""
    options = ephemeral_options(tmp_path / "stack")
    options.settings = options.settings.model_copy(update={"payment_ttl": PAYMENT_TTL})
    ttl = PAYMENT_TTL.total_seconds()
    async with (
        Stack(options) as stack,
        httpx.AsyncClient(
            base_url=stack.api_url, timeout=30, headers={"Authorization": f"Bearer {stack.token()}"}
        ) as api,
        MallbotsClient(stack.api_url, token=stack.token()) as mall,
    ):
        probe = Probe(stack, api, mall, await open_shop(mall))
        center, step = ttl / 2, 0.1

        async def one_round(delay: float, label: str) -> str:
            payment_id = await mall.authorize_payment(probe.shop.customer_id, "100.00")
            authorized_at = asyncio.get_running_loop().time()
            await asyncio.sleep(delay)
            order_id = await _direct_order(probe, payment_id)
            order = await mall.wait_for_order(order_id, {"approved", "rejected"}, within=SETTLE_WITHIN)
            if order["status"] == "rejected":
                assert order["reason"] == f"the payment {payment_id} is expired", f"{label}: {order}"
                # Created, Rejected; the list step 2 opened is cancelled; the payment Authorized, Expired.
                expired = Expected(
                    "rejected", frozenset({2}), frozenset({"cancelled"}), frozenset({("expired", 2, None)})
                )
                await _settles(probe, label, order_id, payment_id, expired)
                return "expired first"
            assert order["status"] == "approved", f"{label}: {order}"
            # Past the time to live: the expiry lost, so it changed nothing and emitted nothing.
            await asyncio.sleep(max(0.0, authorized_at + ttl + 0.3 - asyncio.get_running_loop().time()))
            payment = await mall.get_payment(payment_id)
            version = await _version(stack, "payments", PaymentRow, payment_id)
            assert (payment["status"], version, payment["orderId"]) == ("reserved", 2, order_id), (
                f"{label}: after the time to live: {payment}, version {version}"
            )
            _won(await _cancel(api, order_id), label, "order", "cancelled")
            await _settles(probe, label, order_id, payment_id, cancelled_when_approved(order_id))
            return "reserved first"

        tally: Counter[str] = Counter()
        started = time.perf_counter()
        for batch in range(ROUNDS // CONCURRENCY):
            delays = [max(0.0, center + (k - CONCURRENCY // 2) * step) for k in range(CONCURRENCY)]
            labels = [f"expiry vs reserve, round {batch * CONCURRENCY + k + 1}/{ROUNDS}" for k in range(CONCURRENCY)]
            outcomes = await asyncio.gather(*(one_round(d, lbl) for d, lbl in zip(delays, labels, strict=True)))
            tally.update(outcomes)
            # More reservations than expiries: the orders came too early; wait longer next time, and back.
            center += step * (outcomes.count("reserved first") - outcomes.count("expired first"))
            print(f"expiry vs reserve: delays {[round(d, 2) for d in delays]} → {outcomes}")
        print(f"expiry vs reserve: {ROUNDS} rounds in {time.perf_counter() - started:.1f}s: {dict(tally)}")
