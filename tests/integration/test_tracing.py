"""Whole traces, received over real OTLP/HTTP: a checkout is one trace from its HTTP request through the update,
the order workflow and every saga step's activity down to their SQL statements, with the order ID on the saga's
spans, no bound value (a name, an SMS number) in any SQL span, and the trace ID on the log lines of the request."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from opentelemetry.sdk.trace import TracerProvider
from oteltap import OtelTapHttpProtobufReceiver, OtelTapHttpProtobufReceiverSettings
from sqlalchemy import Engine

from api.auth import Role
from mallbots.db import Databases
from mallbots.devstack.ports import free_port
from mallbots.logs import TraceIdFormatter, install_trace_ids
from mallbots.stack import Stack, ephemeral_options
from mallbots.telemetry import ORDER_ID
from mallbots.tools.client import MallbotsClient

SAGA_STEPS = ("authorize_customer", "create_shopping_list", "confirm_payment", "initiate_shopping")
CHECKOUT_ROUTE = "PUT /api/baskets/{basket_id}/checkout"
SERVER = Span.SPAN_KIND_SERVER


def _attributes(span: Span) -> dict[str, str]:
    """Every attribute as text (OTLP keeps each in a typed oneof)."""
    out: dict[str, str] = {}
    for kv in span.attributes:
        kind = kv.value.WhichOneof("value")
        out[kv.key] = str(getattr(kv.value, kind)) if kind else ""
    return out


def _is_sql(span: Span) -> bool:
    return any(key.startswith("db.system") for key in _attributes(span))


@dataclass
class Received:
    """Every span the tap got, in arrival order."""

    spans: list[Span] = field(default_factory=list)

    def trace(self, trace_id: bytes) -> list[Span]:
        return [s for s in self.spans if s.trace_id == trace_id]


@dataclass
class Traced:
    stack: Stack
    provider: TracerProvider
    received: Received

    async def until(self, done: Callable[[], bool], what: str) -> None:
        """Flushes and waits until ``done`` holds; the limit only turns a hang into a failure naming ``what``."""
        try:
            async with asyncio.timeout(60):
                while True:
                    await asyncio.to_thread(self.provider.force_flush)
                    if done():
                        return
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise AssertionError(f"never received {what}") from None


@pytest.fixture(scope="module")
async def traced(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Traced]:
    """A stack exporting its traces to an in-test OTLP receiver that keeps every span."""
    port = free_port()
    received = Received()
    async with OtelTapHttpProtobufReceiver(OtelTapHttpProtobufReceiverSettings(http_port=port)) as tap:

        async def keep() -> None:
            async for span in tap.stream_traces():
                received.spans.append(span)

        keeping = asyncio.create_task(keep())
        await asyncio.sleep(0)  # subscribed before the first span can arrive
        options = ephemeral_options(tmp_path_factory.mktemp("traced"))
        options.settings = options.settings.model_copy(update={"otlp_endpoint": f"http://127.0.0.1:{port}"})
        try:
            async with Stack(options) as stack:
                assert stack.tracer_provider is not None
                yield Traced(stack, stack.tracer_provider, received)
        finally:
            keeping.cancel()


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def _log_lines(*loggers: str) -> Iterator[list[str]]:
    """The lines the root logger's handlers would write (as ``mallbots`` sets them up: ``install_trace_ids``)
    while ``loggers`` log at INFO."""
    handler = _Lines()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    install_trace_ids([handler])
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in loggers}
    root.addHandler(handler)
    for name in loggers:
        logging.getLogger(name).setLevel(logging.INFO)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


async def test_a_request_is_traced_through_its_workflow_and_activities(traced: Traced) -> None:
    async with MallbotsClient(traced.stack.api_url, token=traced.stack.token()) as mall:
        store_id = await mall.create_store("Traced Books", "Level 0")

    def http_and_activity() -> tuple[Span, Span] | None:
        requests = [s for s in traced.received.spans if s.name == "POST /api/stores" and s.kind == SERVER]
        for request in requests:
            for span in traced.received.trace(request.trace_id):
                if span.name == "RunActivity:apply_store_event" and store_id in _attributes(span).get(
                    "temporalWorkflowID", ""
                ):
                    return request, span
        return None

    await traced.until(lambda: http_and_activity() is not None, "the store's request and its projection")


async def test_a_checkout_is_one_trace_from_http_through_every_saga_step_to_its_sql_with_the_order_id(
    traced: Traced,
) -> None:
    stack, tag = traced.stack, uuid.uuid4().hex[:8]
    name, sms = f"Tracy Tracewell {tag}", "+1 555 014 2718"
    async with (
        MallbotsClient(stack.api_url, token=stack.token(Role.STORE_OWNER, f"owner-{tag}")) as owner,
        MallbotsClient(stack.api_url, token=stack.token(Role.CUSTOMER, f"tracy-{tag}")) as customer,
    ):
        store_id = await owner.create_store(f"Traced Store {tag}", "Level 2")
        await owner.enable_participation(store_id)
        product_id = await owner.add_product(store_id, f"Traced Widget {tag}", "19.99", sku=f"T-{tag}")
        customer_id = await customer.register_customer(name, sms)
        payment_id = await customer.authorize_payment(customer_id, "100.00")
        basket_id = await customer.start_basket(customer_id)
        await customer.add_item(basket_id, product_id, 2)
        with _log_lines("mallbots.sms") as lines:
            await customer.checkout(basket_id, payment_id)
            order_id = basket_id  # a checkout's order has its basket's ID
            order = await customer.wait_for_order(order_id, {"approved", "rejected"})
            assert order["status"] == "approved", order
            checkout, spans = await _checkout_trace(traced, order_id)
            await traced.until(lambda: any(f"order {order_id}" in line for line in lines), "the SMS's log line")

    by_id = {s.span_id: s for s in spans}
    names = [s.name for s in spans]

    # One tree: the request is the root; every other span's parent is in the same trace.
    assert checkout.parent_span_id == b""
    orphans = [s.name for s in spans if s is not checkout and s.parent_span_id not in by_id]
    assert orphans == [], _tree(spans)
    for expected in ("StartWorkflowUpdate:checkout", "HandleUpdate:checkout", "StartChildWorkflow:OrderWorkflow"):
        assert expected in names, names
    (run,) = [s for s in spans if s.name == "RunWorkflow:OrderWorkflow"]
    assert _ancestors(run, by_id)[-1] is checkout
    assert by_id[run.parent_span_id].name == "StartChildWorkflow:OrderWorkflow"

    # Every saga step's activity ran in it, under the order workflow, with its SQL below it (steps 2, 3 and 4
    # through the list's and the payment's updates, their lookups and projections; step 1 asks the customer's
    # workflow); and the approval's projection.
    for step in (*SAGA_STEPS, "apply_order_event"):
        runs = [s for s in spans if s.name == f"RunActivity:{step}"]
        assert runs, names
        for activity in runs:
            assert _attributes(activity).get(ORDER_ID) == order_id, (step, _attributes(activity))
            starter = by_id[activity.parent_span_id]
            assert starter.name == f"StartActivity:{step}"
            assert _attributes(starter).get(ORDER_ID) == order_id
            # Temporal's workflow spans end as they start: the workflow's own start is each step's ancestor.
            assert by_id[run.parent_span_id] in _ancestors(activity, by_id), _tree(spans)
        below = [d for activity in runs for d in _descendants(activity, spans)]
        if step == "authorize_customer":  # asks the customer's workflow: a query, no SQL
            assert any(d.name == "QueryWorkflow:get_customer" for d in below), _tree(spans)
        else:
            assert any(_is_sql(d) for d in below), f"no SQL under {step}"
    sql_parents = {by_id[s.parent_span_id].name for s in spans if _is_sql(s)}
    # A statement's parent is the activity that ran it: step 2's list reads depot's caches in a local activity.
    assert "RunActivity:look_up_products" in sql_parents
    (step_2,) = [s for s in spans if s.name == "RunActivity:create_shopping_list"]
    assert any(d.name == "RunActivity:look_up_products" for d in _descendants(step_2, spans)), _tree(spans)

    # The order ID on the saga's workflow spans and on the request that started it.
    assert _attributes(run).get(ORDER_ID) == order_id
    assert _attributes(checkout).get(ORDER_ID) == order_id
    assert _attributes(by_id[run.parent_span_id]).get(ORDER_ID) == order_id
    reads = [s for s in traced.received.spans if s.name == "GET /api/ordering/{order_id}" and s.kind == SERVER]
    assert reads and all(_attributes(s).get(ORDER_ID) for s in reads)  # wait_for_order's, this one's among them
    assert any(_attributes(s)[ORDER_ID] == order_id for s in reads)

    # The log line of the SMS this checkout sent carries the trace's ID.
    trace_id = checkout.trace_id.hex()
    sms_lines = [line for line in lines if f"order {order_id}" in line]
    assert sms_lines and all(line.endswith(f"trace_id={trace_id}") for line in sms_lines), sms_lines


async def test_an_order_made_without_a_basket_is_found_by_its_id_from_the_request_that_made_it(
    traced: Traced,
) -> None:
    stack, tag = traced.stack, uuid.uuid4().hex[:8]
    async with (
        MallbotsClient(stack.api_url, token=stack.token(Role.STORE_OWNER, f"owner-{tag}")) as owner,
        MallbotsClient(stack.api_url, token=stack.token(Role.CUSTOMER, f"direct-{tag}")) as customer,
    ):
        store_id = await owner.create_store(f"Direct Store {tag}", "Level 3")
        await owner.enable_participation(store_id)
        product_id = await owner.add_product(store_id, f"Direct Gadget {tag}", "5.00", sku=f"D-{tag}")
        customer_id = await customer.register_customer(f"Dora Direct {tag}", "+1 555 010 9999")
        payment_id = await customer.authorize_payment(customer_id, "10.00")
        order_id = await customer.create_order(customer_id, payment_id, {product_id: 1})

    def request() -> Span | None:
        for span in traced.received.spans:
            if span.name == "POST /api/ordering" and _attributes(span).get(ORDER_ID) == order_id:
                return span
        return None

    # The route learns the ID as it starts the saga; the span that starts it tells the request's span.
    await traced.until(lambda: request() is not None, f"POST /api/ordering with {ORDER_ID}={order_id}")
    made = request()
    assert made is not None
    starts = [s for s in traced.received.trace(made.trace_id) if s.name == "StartWorkflow:OrderWorkflow"]
    assert [s.parent_span_id for s in starts] == [made.span_id]


async def test_no_sql_span_holds_a_bound_value(traced: Traced) -> None:
    """SQL spans keep the statement with its placeholders: neither a customer's name nor an SMS number, though
    the statements that write them (the customer's projections, the SMS sent) are traced."""
    stack, tag = traced.stack, uuid.uuid4().hex[:8]
    name, sms = f"Privata Person {tag}", "+44 7700 900 123"
    async with MallbotsClient(stack.api_url, token=stack.token(Role.CUSTOMER, f"privata-{tag}")) as customer:
        customer_id = await customer.register_customer(name, sms)
        await customer.change_sms(customer_id, "+44 7700 900 456")

    def writes() -> list[Span]:
        return [
            s
            for s in traced.received.spans
            if _is_sql(s) and re.search(r"INSERT INTO (customers|notifications)\.", _statement(s))
        ]

    def both_schemas() -> bool:
        statements = " ".join(_statement(s) for s in writes())
        return "INSERT INTO customers." in statements and "INSERT INTO notifications." in statements

    await traced.until(both_schemas, "the SQL that writes the customer's name and SMS number")
    secrets = [name, *_forms(sms), *_forms("+44 7700 900 456")]
    leaks = [
        (s.name, key, value)
        for s in traced.received.spans
        if _is_sql(s)
        for key, value in _attributes(s).items()
        if any(secret in value for secret in secrets)
    ]
    assert leaks == []


async def test_no_engine_listens_unless_tracing_is_configured() -> None:
    """The untraced path costs nothing: an engine without a tracer has no statement listener at all."""
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # never connected to
    untraced = Databases({"stores": url})
    traced = Databases({"stores": url}, tracer=TracerProvider())
    try:
        assert len(_engine(untraced).dispatch.before_cursor_execute) == 0
        assert len(_engine(traced).dispatch.before_cursor_execute) == 1
    finally:
        await untraced.dispose()
        await traced.dispose()


def test_a_line_logged_without_a_span_has_no_trace_id() -> None:
    handler = _Lines()
    handler.setFormatter(logging.Formatter("%(message)s"))
    install_trace_ids([handler])
    install_trace_ids([handler])  # idempotent
    assert isinstance(handler.formatter, TraceIdFormatter) and not isinstance(handler.formatter.inner, TraceIdFormatter)
    logger = logging.getLogger("tests.tracing.untraced")
    logger.addHandler(handler)
    try:
        logger.warning("nothing to trace")
    finally:
        logger.removeHandler(handler)
    assert handler.lines == ["nothing to trace"]


# ---- helpers -------------------------------------------------------------------------------------


async def _checkout_trace(traced: Traced, order_id: str) -> tuple[Span, list[Span]]:
    """The checkout's request span and its trace as received once that holds every saga step's activity, the
    approval's projection, and a parent for every span (a statement's span may arrive before its activity's)."""

    def complete() -> tuple[Span, list[Span]] | None:
        for request in traced.received.spans:
            if request.name != CHECKOUT_ROUTE or _attributes(request).get(ORDER_ID) != order_id:
                continue
            spans = traced.received.trace(request.trace_id)
            ids = {s.span_id for s in spans}
            names = {s.name for s in spans}
            approved = [
                s
                for s in spans
                if s.name == "RunActivity:apply_order_event" and any(_is_sql(d) for d in _descendants(s, spans))
            ]
            if (
                all(f"RunActivity:{step}" in names for step in SAGA_STEPS)
                and len(approved) >= 2  # created and approved, by the ordering read model at least
                and all(s is request or s.parent_span_id in ids for s in spans)
            ):
                return request, spans
        return None

    found: list[tuple[Span, list[Span]]] = []

    def keep() -> bool:
        snapshot = complete()
        if snapshot is not None:
            found.append(snapshot)
        return snapshot is not None

    await traced.until(keep, f"the whole trace of order {order_id}'s checkout")
    return found[0]


def _tree(spans: list[Span]) -> str:
    """The trace as an indented tree, for a failure to show."""
    children: dict[bytes, list[Span]] = {}
    for span in spans:
        children.setdefault(span.parent_span_id, []).append(span)
    ids = {s.span_id for s in spans}
    lines: list[str] = []

    def show(span: Span, depth: int) -> None:
        order = _attributes(span).get(ORDER_ID)
        lines.append("  " * depth + span.name + (f"  [{ORDER_ID}={order}]" if order else ""))
        for child in sorted(children.get(span.span_id, []), key=lambda s: s.start_time_unix_nano):
            show(child, depth + 1)

    for root in (s for s in spans if s.parent_span_id not in ids):
        show(root, 0)
    return "\n".join(lines)


def _statement(span: Span) -> str:
    attributes = _attributes(span)
    return attributes.get("db.statement") or attributes.get("db.query.text") or ""


def _forms(sms: str) -> list[str]:
    """An SMS number as typed, without spaces, and as digits alone."""
    return [sms, sms.replace(" ", ""), re.sub(r"\D", "", sms)]


def _engine(databases: Databases) -> Engine:
    (engine,) = databases._engines.values()
    return engine.sync_engine


def _ancestors(span: Span, by_id: dict[bytes, Span]) -> list[Span]:
    chain = []
    while span.parent_span_id in by_id:
        span = by_id[span.parent_span_id]
        chain.append(span)
    return chain


def _descendants(root: Span, spans: Iterable[Span]) -> list[Span]:
    children: dict[bytes, list[Span]] = {}
    for span in spans:
        children.setdefault(span.parent_span_id, []).append(span)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop().span_id, []):
            found.append(child)
            todo.append(child)
    return found
