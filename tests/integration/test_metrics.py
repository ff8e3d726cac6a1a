"""Metrics, scraped over HTTP from the real endpoints after a real journey, and the dashboards held against them.

A stack of its own (not the session's: its settings differ) serves every endpoint an operator's Prometheus
scrapes: the Temporal SDK runtime's (MALLBOTS_TEMPORAL_METRICS_ADDRESS: the SDK's metrics and the workflows'
domain metrics), the workers' (MALLBOTS_METRICS_ADDRESS: projection lag, parked events), the API's /metrics,
and the Temporal server's (a dev server started here with ``--metrics-port``, as docker-compose.yml's exposes
its own). Through the API (and one basket started with a short time to live, to expire) it completes an order,
has two rejected (a payment short, a disabled customer) and one cancelled, cancels a basket and lets another
expire; then every count must be what the journey did, with low-cardinality labels only, and every metric (and
label) a dashboard query names must exist in what was scraped.

The SDK runtime is this stack's alone, so the workflows' counts are exact; the workers' registry is the
process's (prometheus_client's default), shared with any other stack a test session runs, so those are
compared as growth since before the journey.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from domain.ordering.rejections import RejectionCategory
from mallbots.codec import PayloadKey
from mallbots.devstack.ports import free_port, free_port_run
from mallbots.devstack.temporal import LocalTemporal
from mallbots.identity import LocalIssuer
from mallbots.metrics import subscribed_families
from mallbots.services import DEFINITIONS
from mallbots.settings import SERVICES, Settings
from mallbots.stack import Stack, StackOptions
from mallbots.tools.client import MallbotsClient
from tests.integration.conftest import Shop, open_shop
from workflows.baskets.basket_workflow import BasketWorkflow
from workflows.baskets.messages import TASK_QUEUE as BASKETS_QUEUE
from workflows.baskets.messages import BasketWorkflowInput, StartBasket, basket_workflow_id
from workflows.shared import metrics as m
from workflows.shared.client import create_entity, start_entity

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DASHBOARDS = {
    p.name: json.loads(p.read_text()) for p in sorted((REPO / "deploy" / "grafana" / "dashboards").glob("*.json"))
}
BOUND = 60.0  # seconds: how long a hang takes to fail the test, never a performance goal


# ------------------------------------------------------------------------------------------------ scraping

_SAMPLE = re.compile(r"(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)(?:\s+-?\d+)?")
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


@dataclass(frozen=True)
class Sample:
    name: str
    labels: tuple[tuple[str, str], ...]
    value: float


@dataclass
class Scrape:
    samples: list[Sample] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str) -> Scrape:
        """The samples of Prometheus's text format, named as exposed: what a Prometheus server stores. (The
        parser of prometheus_client renames a counter's samples to ``…_total``, which the SDK's are not.)"""
        samples = []
        for line in text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            found = _SAMPLE.fullmatch(line.strip())
            assert found, f"not a sample line: {line!r}"
            labels = tuple(sorted((k, _unescape(v)) for k, v in _LABEL.findall(found["labels"] or "")))
            samples.append(Sample(found["name"], labels, float(found["value"])))
        return cls(samples)

    def __add__(self, other: Scrape) -> Scrape:
        return Scrape([*self.samples, *other.samples])

    def matching(self, name: str, **labels: str) -> list[Sample]:
        return [s for s in self.samples if s.name == name and labels.items() <= dict(s.labels).items()]

    def value(self, name: str, **labels: str) -> float:
        """The sum over every series of ``name`` with these labels (0 when there is none)."""
        return sum(s.value for s in self.matching(name, **labels))

    def by(self, name: str, label: str, **labels: str) -> dict[str, float]:
        found: dict[str, float] = defaultdict(float)
        for s in self.matching(name, **labels):
            found[dict(s.labels)[label]] += s.value
        return dict(found)

    def names(self) -> set[str]:
        return {s.name for s in self.samples}

    def label_names(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = defaultdict(set)
        for s in self.samples:
            found[s.name] |= {k for k, _ in s.labels}
        return found


def scrape(url: str) -> Scrape:
    with urllib.request.urlopen(url, timeout=10) as response:
        return Scrape.parse(response.read().decode())


async def scraped_when(url: str, ready: Callable[[Scrape], bool]) -> Scrape:
    """The endpoint's metrics once ``ready`` holds, or after the bound whatever they are, for the asserts to show
    (a workflow records its metric a moment after the read model shows what it did)."""
    deadline = asyncio.get_running_loop().time() + BOUND
    while True:
        scraped = await asyncio.to_thread(scrape, url)
        if ready(scraped) or asyncio.get_running_loop().time() > deadline:
            return scraped
        await asyncio.sleep(0.1)


# ------------------------------------------------------------------------------------------------ the stack


class TemporalWithMetrics(LocalTemporal):
    """The dev server serving its own Prometheus metrics, with the task-queue backlog emitted every second
    (by default once a minute)."""

    metrics_port: int = 0

    def command(self) -> list[str]:
        return [
            *super().command(),
            "--metrics-port",
            str(self.metrics_port),
            "--dynamic-config-value",
            'matching.backlogMetricsEmitInterval="1s"',
        ]


@dataclass
class Endpoints:
    stack: Stack
    sdk: str  # the Temporal SDK runtime's (with the workflows' metrics)
    workers: str  # the workers' (prometheus_client's default registry)
    api: str
    server: str  # the Temporal server's
    workers_before: Scrape  # the process's registry before the journey


@pytest.fixture(scope="module")
async def endpoints(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Endpoints]:
    tmp = tmp_path_factory.mktemp("metrics")
    server = TemporalWithMetrics(ui=False, log_file=tmp / "temporal.log")
    server.metrics_port = free_port()
    server.start()
    try:
        # A stack joining "a deployment's" Temporal (this server) brings its own key and token issuer.
        signing_key = tmp / "auth-signing-key.pem"
        signing_key.write_text(LocalIssuer.generate("mallbots").pem())
        # Bound only once the stack's Postgres is up: chosen below the ephemeral range, which no connection takes.
        sdk_port = free_port_run(2)
        workers_port = sdk_port + 1
        settings = Settings(
            data_dir=tmp,
            temporal_address=server.address,
            database_url=None,
            payload_keys=SecretStr(PayloadKey.generate("metrics-test").line()),
            auth_signing_key_file=signing_key,
            temporal_metrics_address=f"127.0.0.1:{sdk_port}",
            metrics_address=f"127.0.0.1:{workers_port}",
        )
        options = StackOptions(settings=settings, persistent=False, ui=False, api_port=0)
        async with Stack(options) as stack:
            workers = f"http://127.0.0.1:{workers_port}/metrics"
            assert stack.metrics_server is not None and stack.metrics_server.url == workers
            yield Endpoints(
                stack=stack,
                sdk=f"http://127.0.0.1:{sdk_port}/metrics",
                workers=workers,
                api=f"{stack.api_url}/metrics",
                server=f"http://127.0.0.1:{server.metrics_port}/metrics",
                workers_before=await asyncio.to_thread(scrape, workers),
            )
    finally:
        server.stop()


# ------------------------------------------------------------------------------------------------ the journey


@dataclass
class Journey:
    completed: str
    short: str
    disabled: str
    cancelled: str
    abandoned_basket: str
    expired_basket: str


async def _checkout(mall: MallbotsClient, customer_id: str, product_id: str, amount: str) -> str:
    payment_id = await mall.authorize_payment(customer_id, amount)
    basket_id = await mall.start_basket(customer_id)
    await mall.add_item(basket_id, product_id, 1)
    await mall.checkout(basket_id, payment_id)
    return basket_id  # the order's ID too


async def _basket_status_when(mall: MallbotsClient, basket_id: str, status: str) -> str:
    async with asyncio.timeout(BOUND):
        while True:
            found = str((await mall.get_basket(basket_id))["status"])
            if found == status:
                return found
            await asyncio.sleep(0.05)


@pytest.fixture(scope="module")
async def journey(endpoints: Endpoints) -> Journey:
    stack = endpoints.stack
    async with MallbotsClient(stack.api_url, token=stack.token()) as mall:
        shop: Shop = await open_shop(mall)
        widget = shop.widget_id  # 19.99

        completed = await _checkout(mall, shop.customer_id, widget, "200.00")
        await mall.wait_for_order(completed, {"approved"})
        await mall.assign_bot(completed, "bot-7")
        await mall.complete_shopping_list(completed)
        await mall.wait_for_order(completed, {"ready"})
        await mall.pay_invoice(completed)
        await mall.wait_for_order(completed, {"completed"})

        short = await _checkout(mall, shop.customer_id, widget, "5.00")
        assert (await mall.wait_for_order(short, {"approved", "rejected"}))["status"] == "rejected"

        turned_away = await mall.register_customer("Turned Away", "+1 555 0199")
        payment_id = await mall.authorize_payment(turned_away, "200.00")
        disabled = await mall.start_basket(turned_away)
        await mall.add_item(disabled, widget, 1)
        await mall.disable_customer(turned_away)
        await mall.checkout(disabled, payment_id)
        assert (await mall.wait_for_order(disabled, {"approved", "rejected"}))["status"] == "rejected"

        # A direct order naming a product the mall never had: its pricing, an activity on baskets' queue, is refused.
        unpriced_payment = await mall.authorize_payment(shop.customer_id, "10.00")
        unpriced = await mall.create_order(shop.customer_id, unpriced_payment, {str(uuid.uuid4()): 1})
        assert (await mall.wait_for_order(unpriced, {"approved", "rejected"}))["status"] == "rejected"

        cancelled = await _checkout(mall, shop.customer_id, widget, "200.00")
        await mall.wait_for_order(cancelled, {"approved"})
        assert (await mall.cancel_order(cancelled))["status"] == "cancelled"

        abandoned = await mall.start_basket(shop.customer_id)
        await mall.cancel_basket(abandoned)

        # The API starts every basket with the stack's time to live (a day); this one is started as the API
        # starts one, with a fifth of a second, so that its real durable timer expires it.
        expired = str(uuid.uuid4())
        start = start_entity(
            BasketWorkflow.run,
            BasketWorkflowInput(basket_id=expired, ttl_seconds=0.2),
            id=basket_workflow_id(expired),
            task_queue=BASKETS_QUEUE,
        )
        assert stack.client is not None
        await create_entity(stack.client, BasketWorkflow.start, StartBasket(customer_id=shop.customer_id), start)
        assert await _basket_status_when(mall, expired, "cancelled") == "cancelled"
    return Journey(completed, short, disabled, cancelled, abandoned, expired)


# What the journey does, as the workflows count it (each test below says why); the scrape is taken once every
# count has got there, and the tests then require exactly these (more would be counting twice).
EXPECTED_TOTALS = {
    m.ORDERS_CREATED: 5,
    m.ORDERS: 7,
    m.ORDER_REJECTIONS: 3,
    m.SAGA_COMPENSATIONS: 4,
    f"{m.SAGA_STEP_DURATION}_count": 15,
    f"{m.CHECKOUT_TO_APPROVED}_count": 2,
    m.BASKETS_STARTED: 6,
    m.BASKETS_CLOSED: 6,
}


def _journey_recorded(scraped: Scrape) -> bool:
    return all(scraped.value(name) >= total for name, total in EXPECTED_TOTALS.items())


@pytest.fixture(scope="module")
async def sdk(endpoints: Endpoints, journey: Journey) -> Scrape:
    return await scraped_when(endpoints.sdk, _journey_recorded)


# ------------------------------------------------------------------------------------------------ domain metrics


def test_the_journey_was_recorded_once(sdk: Scrape) -> None:
    assert {name: sdk.value(name) for name in EXPECTED_TOTALS} == EXPECTED_TOTALS


def test_orders_are_counted_by_outcome_and_rejections_by_the_category_of_their_reason(sdk: Scrape) -> None:
    assert sdk.value(m.ORDERS_CREATED) == 5
    assert sdk.by(m.ORDERS, "outcome") == {"approved": 2, "completed": 1, "rejected": 3, "cancelled": 1}
    rejections = sdk.by(m.ORDER_REJECTIONS, "reason")
    assert set(rejections) == {c.value for c in RejectionCategory}, "every category is reported, at zero too"
    assert {reason: n for reason, n in rejections.items() if n} == {
        "payment_short": 1,
        "customer_disabled": 1,
        "product_unavailable": 1,
    }


def test_compensations_are_counted_by_the_step_they_undo(sdk: Scrape) -> None:
    # The short payment undid its shopping list and payment step; the cancelled order withdrew its list and
    # released its payment; the disabled customer's order and the unpriced one failed before anything needed undoing.
    assert sdk.by(m.SAGA_COMPENSATIONS, "step") == {
        "cancel_shopping_list": 2,
        "release_payment": 2,
    }


def test_each_saga_step_and_checkout_to_approved_is_timed(sdk: Scrape) -> None:
    steps = {
        (dict(s.labels)["step"], dict(s.labels)["result"]): s.value
        for s in sdk.matching(f"{m.SAGA_STEP_DURATION}_count")
    }
    assert steps == {
        ("price_items", "failed"): 1,
        ("authorize_customer", "ok"): 3,
        ("authorize_customer", "failed"): 1,
        ("create_shopping_list", "ok"): 3,
        ("confirm_payment", "ok"): 2,
        ("confirm_payment", "failed"): 1,
        ("initiate_shopping", "ok"): 2,
        ("approve_order", "ok"): 2,
    }
    assert set(steps) <= {(step, result) for step in m.STEP_VALUES for result in ("ok", "failed")}
    assert sdk.value(f"{m.CHECKOUT_TO_APPROVED}_count") == 2
    assert sdk.value(f"{m.CHECKOUT_TO_APPROVED}_sum") > 0
    # Seconds, with buckets for seconds (the SDK's default ones are milliseconds: 50 … 10000).
    buckets = {dict(s.labels)["le"] for s in sdk.matching(f"{m.SAGA_STEP_DURATION}_bucket")}
    assert {"0.005", "0.1", "1", "+Inf"} <= buckets
    every = sdk.matching(f"{m.CHECKOUT_TO_APPROVED}_bucket", le="+Inf")
    assert sum(s.value for s in every) == 2


def test_baskets_started_checked_out_cancelled_and_expired_are_counted(sdk: Scrape) -> None:
    assert sdk.value(m.BASKETS_STARTED) == 6
    assert sdk.by(m.BASKETS_CLOSED, "outcome") == {"checked_out": 4, "cancelled": 1, "expired": 1}


def test_the_workflows_metrics_carry_the_sdks_labels_and_no_identifier(sdk: Scrape, journey: Journey) -> None:
    ours = [s for s in sdk.samples if s.name.startswith("mallbots_")]
    assert ours
    allowed = {"namespace", "task_queue", "workflow_type", "service_name", "le", "outcome", "reason", "step", "result"}
    ids = {journey.completed, journey.short, journey.disabled, journey.cancelled, journey.expired_basket}
    for sample in ours:
        labels = dict(sample.labels)
        assert set(labels) <= allowed, sample
        assert labels["namespace"] == "default" and labels["task_queue"] in ("ordering", "baskets"), sample
        assert not ids & set(labels.values()), f"an ID as a label value: {sample}"


# ------------------------------------------------------------------------------------------------ the workers


async def test_every_read_model_reports_its_projection_lag_and_no_event_was_parked(
    endpoints: Endpoints, journey: Journey
) -> None:
    lag = "mallbots_projection_lag_seconds_count"
    # Each order's events reach its three subscribers: created, and approved or rejected, and so on (11 here).
    expected_order_events = 11

    def grown(scraped: Scrape) -> dict[tuple[str, str], float]:
        before = endpoints.workers_before
        return {
            (service, family): scraped.value(lag, service=service, event_family=family)
            - before.value(lag, service=service, event_family=family)
            for service in SERVICES
            for family in subscribed_families(service)
        }

    after = await scraped_when(
        endpoints.workers,
        lambda s: all(grown(s)[(svc, "ordering.Order")] >= 11 for svc in ("ordering", "search", "notifications")),
    )
    growth = grown(after)
    for subscriber in ("ordering", "search", "notifications"):
        assert growth[(subscriber, "ordering.Order")] >= expected_order_events, growth
    for key in [
        ("baskets", "baskets.Basket"),
        ("depot", "depot.ShoppingList"),
        ("payments", "payments.Payment"),
        ("payments", "payments.Invoice"),
        ("customers", "customers.Customer"),
        ("stores", "stores.Store"),
        ("stores", "stores.Product"),
        ("baskets", "stores.Product"),
        ("depot", "stores.Store"),
        ("search", "customers.Customer"),
        ("notifications", "customers.Customer"),
    ]:
        assert growth[key] >= 1, (key, growth)
    # Every subscription has its series from the start, and no other (service, family) pair is reported.
    reported = {(dict(s.labels)["service"], dict(s.labels)["event_family"]) for s in after.matching(lag)}
    assert reported == set(growth)
    assert after.value("mallbots_projection_lag_seconds_sum") > 0

    parked = "mallbots_parked_events_total"
    projections = {
        (service, name)
        for service in SERVICES
        for name in DEFINITIONS[service].activity_names()
        if name.startswith("apply_")
    }
    assert {(dict(s.labels)["service"], dict(s.labels)["projection"]) for s in after.matching(parked)} == projections
    assert after.value(parked) == endpoints.workers_before.value(parked), "the journey parked an event"


async def test_the_api_serves_its_http_metrics_and_its_process_registry(endpoints: Endpoints, journey: Journey) -> None:
    api = await asyncio.to_thread(scrape, endpoints.api)
    checkout = {"method": "PUT", "route": "/api/baskets/{basket_id}/checkout", "status": "200"}
    assert api.value("mallbots_http_requests_total", **checkout) == 4
    assert api.value("mallbots_http_request_duration_seconds_count", method="PUT", route=checkout["route"]) == 4
    # The workers run in this process too (as under `mallbots up`): their registry is in the API's answer.
    assert api.matching("mallbots_projection_lag_seconds_count", service="ordering", event_family="ordering.Order")


async def test_the_sdk_reports_task_latencies_schedule_to_start_and_slots_of_every_worker(
    endpoints: Endpoints, sdk: Scrape
) -> None:
    queues = [d.task_queue for d in DEFINITIONS.values()]
    for queue in queues:
        kinds = {
            dict(s.labels)["worker_type"]
            for s in sdk.matching("temporal_worker_task_slots_available", task_queue=queue)
        }
        assert "ActivityWorker" in kinds, (queue, kinds)
        if DEFINITIONS[queue].workflows:  # and with them the local activities (the owner's projections)
            assert {"WorkflowWorker", "LocalActivityWorker"} <= kinds, (queue, kinds)
            assert sdk.value("temporal_workflow_task_schedule_to_start_latency_count", task_queue=queue) >= 1, queue
            assert sdk.value("temporal_workflow_task_execution_latency_count", task_queue=queue) >= 1, queue
    # Activity tasks: the steps that read another service's read model, and the deliveries to other services. The
    # saga's commands to other entities and the customer's authorization (a query of its workflow) run in the
    # caller's worker first, as local activities (run_command).
    for queue in ("baskets", "depot", "search", "notifications"):
        assert sdk.value("temporal_activity_schedule_to_start_latency_count", task_queue=queue) >= 1, queue
    for command in ("authorize_customer", "confirm_payment"):
        assert sdk.value("temporal_local_activity_execution_latency_count", activity_type=command) >= 3, command
    failed = sdk.by("temporal_activity_execution_failed", "activity_type")
    assert failed.get("price_items", 0) >= 1, failed
    refused = sdk.by("temporal_local_activity_execution_failed", "activity_type")
    assert refused.get("confirm_payment", 0) >= 1, refused
    assert refused.get("authorize_customer", 0) >= 1, refused
    assert sdk.value("temporal_num_pollers", task_queue="ordering") >= 1


async def test_the_temporal_server_reports_the_backlog_of_every_task_queue(endpoints: Endpoints) -> None:
    queues = {d.task_queue for d in DEFINITIONS.values()}

    def reported(scraped: Scrape) -> set[str]:
        return {dict(s.labels).get("taskqueue", "") for s in scraped.matching("approximate_backlog_count")}

    server = await scraped_when(endpoints.server, lambda s: queues <= reported(s))
    assert queues <= reported(server)


async def test_no_endpoint_reports_one_series_twice(endpoints: Endpoints, sdk: Scrape) -> None:
    """Two instruments of one name that differ in description are two series of one name to the SDK; Prometheus
    refuses such a scrape. (The zero series made at start must be the very ones the workflows add to.)"""
    workers = await asyncio.to_thread(scrape, endpoints.workers)
    api = await asyncio.to_thread(scrape, endpoints.api)
    for scraped in (sdk, workers, api):
        seen = [(s.name, s.labels) for s in scraped.samples]
        twice = {key for key in seen if seen.count(key) > 1}
        assert not twice, sorted(twice)[:5]


# ------------------------------------------------------------------------------------------------ the dashboards

# Words of PromQL that are not metric names (functions and aggregations are told by the "(" after them).
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless"}
PROMQL_WORDS |= {"inf", "nan", "Inf", "NaN"}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+|\[\[\w+\]\]")
_LABEL_LIST = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_SELECTOR = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)?\s*\{([^}]*)\}")
_MATCHER = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)")
_IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def promql_metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: identifiers that are no function (not followed by "("), no
    keyword, no label (in braces or in a by/without/on/ignoring/group_* list), no duration or number."""
    text = _VARIABLE.sub("", _STRING.sub('""', expr))
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges and subqueries
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = _LABEL_LIST.sub(" ", text)
    text = re.sub(r"\boffset\s+-?\w+", " ", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        before = text[match.start() - 1] if match.start() else " "
        if before.isdigit() or before == ".":
            continue  # 1e3, 0.5
        if text[match.end() :].lstrip().startswith("(") or match.group() in PROMQL_WORDS:
            continue
        names.add(match.group())
    return names


def promql_selector_labels(expr: str) -> list[tuple[str, str]]:
    """(metric, label) for every label a selector with a metric name matches on."""
    text = _VARIABLE.sub("", _STRING.sub('""', expr))
    return [
        (metric, label)
        for metric, matchers in _SELECTOR.findall(text)
        if metric
        for label in _MATCHER.findall(matchers)
    ]


def promql_grouping_labels(expr: str) -> set[str]:
    text = _STRING.sub('""', expr)
    return {label.strip() for labels in _LABEL_LIST.findall(text) for label in labels.split(",") if label.strip()}


def dashboard_queries(document: Any) -> Iterator[tuple[str, str]]:
    """(panel title, PromQL) of every target of every panel, rows' panels included."""
    if isinstance(document, dict):
        for target in document.get("targets", []):
            if target.get("expr"):
                yield str(document.get("title", "?")), str(target["expr"])
        for value in document.values():
            if isinstance(value, dict | list):
                yield from dashboard_queries(value)
    elif isinstance(document, list):
        for item in document:
            yield from dashboard_queries(item)


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        (
            "histogram_quantile(0.99, sum by (le, step) "
            '(rate(a_seconds_bucket{result="ok", x=~"a|b"}[$__rate_interval])))',
            {"a_seconds_bucket"},
        ),
        ("sum(rate(a_total[5m])) / sum(b) > bool 0", {"a_total", "b"}),
        ("sum(rate(a_total[5m] offset 1h)) by (outcome) * 1e3", {"a_total"}),
        ("rate(x[5m]) * on (task_queue) group_left (kind) info_metric", {"x", "info_metric"}),
        ('max without (partition) (c{taskqueue="${queue}"}) or vector(0)', {"c"}),
        ('sum(d{le="+Inf"}) and ignoring(le) e unless f', {"d", "e", "f"}),
        ('label_replace(g, "dst", "$1", "src", "(.*)")', {"g"}),
    ],
)
def test_the_promql_name_extractor_finds_metrics_and_nothing_else(expr: str, names: set[str]) -> None:
    assert promql_metric_names(expr) == names


def test_the_promql_label_extractors() -> None:
    expr = 'sum by (le, step) (rate(a_bucket{result="ok",step!~"x"}[1m])) / on(step) group_left b{c="}"}'
    assert promql_selector_labels(expr) == [("a_bucket", "result"), ("a_bucket", "step"), ("b", "c")]
    assert promql_grouping_labels(expr) == {"le", "step"}


def test_there_are_dashboards_and_each_has_queries() -> None:
    assert set(DASHBOARDS) >= {"mallbots-orders.json", "mallbots-temporal.json"}
    for name, document in DASHBOARDS.items():
        assert list(dashboard_queries(document)), name


@pytest.mark.parametrize("dashboard", sorted(DASHBOARDS))
async def test_every_metric_and_label_a_dashboard_query_names_exists_in_what_was_scraped(
    dashboard: str, endpoints: Endpoints, sdk: Scrape
) -> None:
    backlog_ready = await scraped_when(endpoints.server, lambda s: bool(s.matching("approximate_backlog_count")))
    scraped = sdk + await asyncio.to_thread(scrape, endpoints.workers) + await asyncio.to_thread(scrape, endpoints.api)
    scraped += backlog_ready
    names, labels = scraped.names(), scraped.label_names()
    missing: list[str] = []
    for title, expr in dashboard_queries(DASHBOARDS[dashboard]):
        metrics = promql_metric_names(expr)
        assert metrics, f"{title}: no metric found in {expr}"
        missing += [f"{title}: no metric {name} ({expr})" for name in sorted(metrics - names)]
        missing += [
            f"{title}: {metric} has no label {label}"
            for metric, label in promql_selector_labels(expr)
            if metric in names and label not in labels[metric]
        ]
        known = set().union(*(labels[name] for name in metrics if name in names))
        missing += [f"{title}: no metric of it has the label {label}" for label in promql_grouping_labels(expr) - known]
    assert not missing, "\n".join(missing)
