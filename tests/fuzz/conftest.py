"""Fuzzing the REST API with schemathesis, against the OpenAPI document the session's running stack serves.

The API and the workers live on pytest-asyncio's session event loop, and schemathesis is synchronous (a
Hypothesis test per operation, ``requests`` underneath). A blocking request from the test's thread would wait
forever for a server that nobody runs, so every case is sent from a worker thread while the test drives the
session loop until it is answered (``Fuzzer.send``), the same arrangement as the e2e layer's ``Mall.run``.

Every operation, every check. Where the fuzzer's own data, not the API, would fail a check, the data is
adjusted before it is sent (``prepare``, each adjustment with its reason); where a check's expectation is
wrong for this API, its configuration in ``CONFIG`` says why. No check is switched off.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
import schemathesis
from requests.structures import CaseInsensitiveDict
from schemathesis import Case
from schemathesis.schemas import BaseSchema

from mallbots.stack import Stack
from mallbots.tools.client import MallbotsClient

T = TypeVar("T")

# One request, however slow the stack is: a hang is a failure of that case, never a stuck CI.
REQUEST_TIMEOUT = 10.0
# What one case may take in all (a check may send its request again) before the test gives up on it.
CASE_TIMEOUT = 3 * REQUEST_TIMEOUT
# Per operation, in the fuzzing phase; the coverage phase adds its own bounded set. 20 (about 3 min on 2 cores; 30
# took 4) keeps the whole suite within CI's 20 minutes.
MAX_EXAMPLES = 20
MAX_KEY = 200  # the Idempotency-Key's documented maxLength
SEED = 20260

CONFIG: dict[str, Any] = {
    "request-timeout": REQUEST_TIMEOUT,
    # Repeatable: the same cases on every run, derived from this seed and each operation's name (without it,
    # Hypothesis' `derandomize` would derive them from the test function's source, so editing the test would
    # draw other cases), and no example database kept (in `.hypothesis/`) to replay old failures first.
    "seed": SEED,
    "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
    # The default phases run: examples (the document has none yet), coverage (boundary values, each missing
    # or invalid component, undeclared methods) and fuzzing; the stateful test adds sequences.
    "checks": {
        # Tighter than schemathesis' defaults, which also allow what an API with logins, redirects and rate
        # limits may answer (3xx, 401, 403, 429): every valid case carries an operator's token (``auth`` in
        # ``api_schema``), who may call every route, and there are no redirects or rate limits, so such an
        # answer is a bug.
        # Valid data may still meet an ID that does not exist (404: most IDs the fuzzer makes up) or a command
        # the entity's state does not allow (409: e.g. adding to a checked-out basket), both by design. 5xx
        # stay allowed here only because `not_a_server_error` reports them (once, not twice).
        "positive_data_acceptance": {"expected-statuses": ["2xx", "404", "409", "5xx"]},
        # Invalid input is a 400 (the README's API conventions); a path segment made invalid may route nowhere
        # (404) or to another operation's path (405); a body too large is a 413, a media type other than JSON
        # a 415; a request left without its bearer token (a missing security component) is a 401. A 409 or 422
        # would mean that the input reached the entity or the key store unvalidated.
        "negative_data_rejection": {"expected-statuses": ["400", "401", "404", "405", "413", "415", "5xx"]},
    },
    "operations": [
        {
            # DELETE on a basket or an order cancels it (the book's REST API): the entity stays, readable with
            # status "cancelled", so a GET after it is a 200 by design, not a use after free. The check stays
            # on everywhere else (a removed product is a 404, as it should be).
            "include-name": ["GET /api/baskets/{basket_id}", "GET /api/ordering/{order_id}"],
            "checks": {"use_after_free": {"enabled": False}},
        },
        {
            # A new price must be higher (increase) or lower (decrease) than the product's current one: a rule
            # between the request and the product's state, answered 400 as SPEC §4 and the book say (not a 409:
            # nothing about the product's lifecycle forbids the command). No JSON Schema can say it.
            "include-name": [
                "PUT /api/stores/products/{product_id}/increasePrice",
                "PUT /api/stores/products/{product_id}/decreasePrice",
            ],
            "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "404", "409", "5xx"]}},
        },
    ],
    # This API has no secrets to hide, and a reproduction needs the exact Idempotency-Key that was sent.
    "output": {"sanitization": {"enabled": False}},
    # How fast Hypothesis draws the first examples (regex-heavy IDs and texts, on 2 cores that the stack's
    # servers share) says nothing about the API: a timing-based health check would only make the layer flaky.
    "suppress-health-check": ["too_slow"],
}

# Where the fuzzer puts one of the real IDs of the `real_ids` fixture instead of one it made up, half of the time
# (Hypothesis chooses which): an ID made up is only ever a 404, so without them no valid command would reach
# an entity's rules and no real body would be checked against its schema.
REAL_IDS = {
    "path.store_id": "stores",
    "path.product_id": "products",
    "path.customer_id": "customers",
    "path.payment_id": "payments",
    "path.basket_id": "baskets",
    "path.order_id": "orders",
    "path.list_id": "orders",  # an order's shopping list and invoice have its ID
    "path.invoice_id": "invoices",
    "query.customerId": "customers",
    "body.customerId": "customers",
    "body.productId": "products",
    "body.paymentId": "payments",
    "body.items[*].productId": "products",
    "body.filters.customerId": "customers",
}
REAL_ID_PROBABILITY = 0.5


def prepare(case: Case[Any]) -> None:
    """What the fuzzer's data needs before this API can judge it fairly: each adjustment keeps a valid case
    valid and an invalid one invalid."""
    _fresh_idempotency_key(case)
    _short_waits(case)
    _no_cursor_the_api_never_gave_out(case)
    _ranges_in_order(case)
    _one_line_per_product(case)


def _short_waits(case: Case[Any]) -> None:
    """``GET /api/ordering/{id}?waitFor=…`` waits up to ``timeout`` seconds for a status a real order may never
    reach (an approved order waiting to be completed): a valid case waits 50 ms, still a valid value, so the
    layer's time stays bounded by its count of cases. The wait itself is proven elsewhere
    (tests/integration/test_order_wait.py)."""
    meta = case.meta
    if (
        case.operation.label == "GET /api/ordering/{order_id}"
        and meta is not None
        and meta.generation.mode.is_positive
        and isinstance(case.query, dict)
        and case.query.get("waitFor")
    ):
        case.query["timeout"] = 0.05


def _valid_credentials(case: Case[Any], token: str) -> None:
    """A valid case carries a valid credential: the operator's token, who may call every route. (Schemathesis'
    coverage phase also draws the bearer scheme's header as if it were a free-form string parameter, and a
    made-up ``Authorization: 4dr )Ub`` is rightly a 401.) Invalid cases are sent as drawn: one left without
    its token, or with a made-up one, is a 401, which ``negative_data_rejection`` expects."""
    meta = case.meta
    if meta is not None and meta.generation.mode.is_positive:
        if case.headers is None:
            case.headers = CaseInsensitiveDict()
        case.headers["Authorization"] = f"Bearer {token}"


def _fresh_idempotency_key(case: Case[Any]) -> None:
    """The fuzzer draws the same few keys ("0", "null", ...) for every operation, and the API rightly answers
    422 to a key reused for another request (documented on every operation). So each request's key gets a
    unique suffix after the drawn value; a key drawn invalid (blank, too long) is sent as drawn. Replays with
    one key are proven by the e2e layer (idempotency.feature)."""
    key = case.headers.get("Idempotency-Key") if case.headers else None
    if isinstance(key, str) and key.strip() and len(key) <= MAX_KEY:
        case.headers["Idempotency-Key"] = f"{key[: MAX_KEY - 40]}-{uuid.uuid4().hex}"


def _no_cursor_the_api_never_gave_out(case: Case[Any]) -> None:
    """``next`` of POST /api/search/orders is an opaque cursor: only one this API gave out is valid, any
    other is a 400 by design (as an unknown ID is a 404), and no JSON Schema can say so. A valid request the
    fuzzer made up therefore asks for the first page (an empty ``next``); invalid ones are sent as drawn."""
    meta = case.meta
    if (
        case.operation.label == "POST /api/search/orders"
        and meta is not None
        and meta.generation.mode.is_positive
        and isinstance(case.body, dict)
        and case.body.get("next")
    ):
        case.body["next"] = None


def _ranges_in_order(case: Case[Any]) -> None:
    """A search's ``after`` must be earlier than its ``before`` and ``minTotal`` no more than ``maxTotal``
    (a 400 otherwise, by design): a rule between two fields, which no JSON Schema can say. A valid request
    the fuzzer made up with a range the wrong way round has its bounds swapped (equal ones: the upper one
    dropped); invalid ones are sent as drawn."""
    meta = case.meta
    filters = case.body.get("filters") if isinstance(case.body, dict) else None
    if (
        case.operation.label != "POST /api/search/orders"
        or meta is None
        or not meta.generation.mode.is_positive
        or not isinstance(filters, dict)
    ):
        return
    for low, high in (("after", "before"), ("minTotal", "maxTotal")):
        first, second = filters.get(low), filters.get(high)
        if first is None or second is None:
            continue
        first_key: Any
        second_key: Any
        try:
            if low == "after":
                first_key, second_key = datetime.fromisoformat(str(first)), datetime.fromisoformat(str(second))
            else:
                first_key, second_key = first, second
            wrong_way = first_key > second_key
        except (TypeError, ValueError):
            continue  # not comparable: left to the API to judge
        if first_key == second_key:
            filters[high] = None
        elif wrong_way:
            filters[low], filters[high] = second, first


def _one_line_per_product(case: Case[Any]) -> None:
    """Lines of one product in a direct order are one line: their quantities are summed, and a sum over 1000
    is a 400 by design (a rule across array items no JSON Schema can say). A valid order the fuzzer made up
    keeps the first line of each product; invalid ones are sent as drawn."""
    meta = case.meta
    body = case.body
    items = body.get("items") if isinstance(body, dict) else None
    if case.operation.label != "POST /api/ordering" or meta is None or not meta.generation.mode.is_positive:
        return
    if isinstance(body, dict) and isinstance(items, list):
        seen: set[object] = set()
        kept = []
        for item in items:
            product = item.get("productId") if isinstance(item, dict) else None
            if product not in seen:
                seen.add(product)
                kept.append(item)
        body["items"] = kept


class Fuzzer:
    """Sends cases on behalf of the synchronous tests while the session loop serves them, and counts them."""

    def __init__(self, loop: asyncio.AbstractEventLoop, token: str) -> None:
        self.loop = loop
        self.session = requests.Session()  # no token of its own: a case carries it (or, to test, leaves it out)
        self.token = token
        self.cases: Counter[str] = Counter()
        self.seconds = 0.0

    def send(self, case: Case[Any], call: Callable[[], T]) -> T:
        """``call`` sends ``case`` (and validates the answer) from a worker thread, within CASE_TIMEOUT."""
        prepare(case)
        _valid_credentials(case, self.token)
        self.cases[case.operation.label] += 1
        started = time.monotonic()
        try:
            return self.loop.run_until_complete(asyncio.wait_for(asyncio.to_thread(call), CASE_TIMEOUT))
        finally:
            self.seconds += time.monotonic() - started

    def call_and_validate(self, case: Case[Any]) -> None:
        self.send(case, lambda: case.call_and_validate(session=self.session))


@pytest.fixture(scope="session")
async def session_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


@pytest.fixture(scope="session")
def fuzzer(session_loop: asyncio.AbstractEventLoop, stack: Stack) -> Iterator[Fuzzer]:
    sender = Fuzzer(session_loop, stack.token())
    yield sender
    sender.session.close()
    _finished.append(sender)


@pytest.fixture(scope="session")
async def real_ids(stack: Stack) -> dict[str, list[str]]:
    """Real entities in each state a command can meet: an open basket, an approved order whose shopping list
    waits for a bot, and a ready order whose invoice waits to be paid."""
    async with MallbotsClient(stack.api_url, token=stack.token()) as api:
        store = await api.create_store("Fuzz Mart", "Level 1")
        await api.enable_participation(store)
        product = await api.add_product(store, "Widget", "9.99", sku="W-1")
        customer = await api.register_customer("Ada Fuzz", "+44 20 7946 0001")
        payments = [await api.authorize_payment(customer, "1000.00") for _ in range(3)]
        basket = await api.start_basket(customer)
        await api.add_item(basket, product, 2)
        orders = []
        for payment in payments[1:]:
            ordered = await api.start_basket(customer)
            await api.add_item(ordered, product)
            await api.checkout(ordered, payment)
            await api.wait_for_order(ordered, {"approved"})
            orders.append(ordered)
        approved, ready = orders  # order ID = basket ID = shopping list ID = invoice ID
        await api.assign_bot(ready, "bot-fuzz")
        await api.complete_shopping_list(ready)
        await api.wait_for_order(ready, {"ready"})
    return {
        "stores": [store],
        "products": [product],
        "customers": [customer],
        "payments": payments,
        "baskets": [basket],
        "orders": [approved, ready],
        "invoices": [ready],
    }


@pytest.fixture(scope="session")
def api_schema(stack: Stack, real_ids: dict[str, list[str]], session_loop: asyncio.AbstractEventLoop) -> BaseSchema:
    """The live document, read the way a client would (over HTTP, from a worker thread: see the module)."""
    config = schemathesis.Config.from_dict(
        {
            **CONFIG,
            "base-url": stack.api_url,
            # The document's one security scheme, filled with an operator's token (no sign-up to try).
            "auth": {"openapi": {"bearer": {"bearer": stack.token()}}, "auto-signup": False},
            "dictionaries": {name: {"values": ids} for name, ids in real_ids.items()},
            "parameters": {
                where: {"dictionary": name, "probability": REAL_ID_PROBABILITY} for where, name in REAL_IDS.items()
            },
        }
    )
    load = asyncio.to_thread(
        schemathesis.openapi.from_url, f"{stack.api_url}/openapi.json", config=config, timeout=REQUEST_TIMEOUT
    )
    return session_loop.run_until_complete(asyncio.wait_for(load, CASE_TIMEOUT))


_finished: list[Fuzzer] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for sender in _finished:
        operations = list(sender.cases)
        terminalreporter.write_line(
            f"schemathesis: {len(operations)} operations, {sum(sender.cases[o] for o in operations)} cases, "
            f"{sender.seconds:.1f} s in requests"
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """schemathesis 4.32's lazy loader (``from_fixture``) reads and writes ``item._nodeid``, which pytest 9.2
    renamed; without it the test dies with an AttributeError before it sends anything. What it writes there
    per operation is only cosmetic (each operation's subtest report is named after it anyway)."""
    here = Path(__file__).parent
    for item in items:
        if item.path.parent == here:
            item.__dict__.setdefault("_nodeid", item.nodeid)
