"""Who may call what, through real HTTP against the running stack: every (method, route) of
``api.access.RULES`` with no token, with a token of each role against a resource of the right owner, and as
someone of the right role who is not the owner; what a body names; tokens that must not verify; and
Idempotency-Keys that stay their caller's.

The expected answers are written here, not derived from ``RULES``: the table is what is tested. A route
added to ``RULES`` joins the matrix by itself and fails until it has a case below."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from api.access import RULES
from api.auth import Role, customer_id_of
from api.routers.ops import TASK_QUEUES
from mallbots.identity import LOCAL_ISSUER, LocalIssuer
from mallbots.stack import Stack
from readmodels.stores.tables import StoreRow
from tests.integration.access_helpers import (
    ANONYMOUS,
    BOT,
    CUSTOMER,
    NO_ROLE,
    OPERATOR,
    OTHER_BOT,
    OTHER_CUSTOMER,
    OTHER_STORE_OWNER,
    ROLES,
    SMS,
    STORE_OWNER,
    Call,
    World,
    build_world,
)

pytestmark = pytest.mark.integration

Key = tuple[str, str]
Builder = Callable[[World, str, bool], Awaitable[Call]]
Check = Callable[[World, str, Call, httpx.Response], Awaitable[None]]

EVERYONE = frozenset(ROLES)
SIGNED_IN = frozenset({CUSTOMER, STORE_OWNER, BOT, OPERATOR})
NO_TOKEN = "a bearer token is required"
CHALLENGE = 'Bearer realm="mallbots"'
CODEC_NO_TOKEN = "the codec endpoint needs a bearer token (Authorization: Bearer <MALLBOTS_CODEC_TOKEN>)"


@dataclass(frozen=True)
class Case:
    """``allowed``: the actors answered ``ok`` (the rest: 401 without a token, else 403). ``request``: what an
    actor sends; ``fresh`` is True when the actor is allowed, so a state-changing case acts on a resource of its
    own. ``stranger``: the actor of the right role that owns nothing here, answered ``stranger_status``."""

    allowed: frozenset[str]
    request: Builder
    check: Check | None = None
    stranger: tuple[str, str] | None = None  # (the actor, the <what> of its 404: "the <what> <id> does not exist")
    stranger_status: int = 404
    anonymous: tuple[int, str] = (401, NO_TOKEN)
    refused: str | None = None  # the 403's message when it is not the role check's
    ok: int = 200


def _get(path: str) -> Builder:
    async def build(w: World, actor: str, fresh: bool) -> Call:
        return Call("GET", path)

    return build


def _json(answer: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = answer.json()
    return body


# ---- checks on an allowed answer --------------------------------------------------------------------------
def _field_is(entity: str, name: str, expected: Callable[[World, str, Call], object]) -> Check:
    async def check(w: World, actor: str, call: Call, answer: httpx.Response) -> None:
        assert _json(answer)[entity][name] == expected(w, actor, call), answer.text

    return check


def _lists(
    field: str, name: str, expected: Callable[[World], str], *, absent: Callable[[World], str] | None = None
) -> Check:
    async def check(w: World, actor: str, call: Call, answer: httpx.Response) -> None:
        found = {item[name] for item in _json(answer)[field]}
        assert expected(w) in found
        if absent is not None:
            assert absent(w) not in found

    return check


def _only_c1s(field: str, *, includes: Callable[[World], str]) -> Check:
    async def check(w: World, actor: str, call: Call, answer: httpx.Response) -> None:
        items = _json(answer)[field]
        assert {item["customerId"] for item in items} == {w.c1}, answer.text
        assert includes(w) in {item["orderId"] for item in items}

    return check


async def _customer_created(w: World, actor: str, call: Call, answer: httpx.Response) -> None:
    created = _json(answer)["id"]
    if actor == CUSTOMER:  # a customer registers the customer its subject stands for
        assert created == customer_id_of(w.subjects[CUSTOMER]) == w.c1
    else:
        assert created not in (w.c1, w.c2)
        assert (await w.operator.get_customer(created))["name"] == "By operator"


def _belongs_to_c1(getter: str) -> Check:
    """The created entity (looked up by the operator) is C1's, whether C1 named itself or not."""

    async def check(w: World, actor: str, call: Call, answer: httpx.Response) -> None:
        created = await getattr(w.operator, getter)(_json(answer)["id"])
        assert created["customerId"] == w.c1

    return check


async def _store_is_creators(w: World, actor: str, call: Call, answer: httpx.Response) -> None:
    store_id = _json(answer)["id"]
    async with w.stack.databases.sessions("stores")() as session:  # type: ignore[union-attr]
        row = await session.get(StoreRow, store_id)
    assert row is not None and row.owner == w.subjects[actor]


async def _order_created(w: World, actor: str, call: Call, answer: httpx.Response) -> None:
    order = await w.client(CUSTOMER).wait_for_order(_json(answer)["id"], {"pending", "approved", "rejected"})
    assert order["customerId"] == w.c1


async def _stats_of_every_queue(w: World, actor: str, call: Call, answer: httpx.Response) -> None:
    queues = _json(answer)["stats"]["taskQueues"]
    assert [q["taskQueue"] for q in queues] == list(TASK_QUEUES), answer.text
    assert all(q["pollers"] > 0 for q in queues), answer.text


# ---- request builders -------------------------------------------------------------------------------------
async def _codec(w: World, actor: str, fresh: bool, operation: str, in_path: bool) -> Call:
    assert w.stack.codec_token, "the stack serves no codec endpoint"
    where = f"/codec/{w.stack.codec_token}/{operation}" if in_path else f"/codec/{operation}"
    return Call("POST", where, {"payloads": []})


def _codec_case(operation: str, in_path: bool) -> Case:
    async def build(w: World, actor: str, fresh: bool) -> Call:
        return await _codec(w, actor, fresh, operation, in_path)

    if in_path:  # the secret is in the path: any caller, token or not
        return Case(EVERYONE, build)
    # A JWT in the header is not the codec's secret; no header at all is the codec's own 401.
    return Case(frozenset(), build, anonymous=(401, CODEC_NO_TOKEN), refused="the codec token is not valid")


async def _create_store(w: World, actor: str, fresh: bool) -> Call:
    return Call("POST", "/api/stores", {"name": f"Made by {actor}", "location": "Level 4"})


async def _enable_store(w: World, actor: str, fresh: bool) -> Call:
    store = await w.fresh_store(participating=False) if fresh else w.idle_store
    return Call("PUT", f"/api/stores/{store}/participating", resource=store)


async def _disable_store(w: World, actor: str, fresh: bool) -> Call:
    store = await w.fresh_store(participating=True) if fresh else w.open_store
    return Call("DELETE", f"/api/stores/{store}/participating", resource=store)


async def _rebrand_store(w: World, actor: str, fresh: bool) -> Call:
    store = await w.fresh_store(participating=False) if fresh else w.open_store
    return Call("PUT", f"/api/stores/{store}/rebrand", {"name": f"Rebranded by {actor}"}, resource=store)


async def _add_product(w: World, actor: str, fresh: bool) -> Call:
    body = {"name": f"Added by {actor}", "description": "", "sku": "", "price": 3.5}
    return Call("POST", f"/api/stores/{w.open_store}/products", body, resource=w.open_store)


async def _product_added(w: World, actor: str, call: Call, answer: httpx.Response) -> None:
    assert (await w.operator.get_product(_json(answer)["id"]))["storeId"] == w.open_store


def _product_command(method: str, suffix: str, body: dict[str, Any] | None) -> Builder:
    async def build(w: World, actor: str, fresh: bool) -> Call:
        product = await w.fresh_product() if fresh else w.spare_product
        return Call(method, f"/api/stores/products/{product}{suffix}", body, resource=product)

    return build


async def _register(w: World, actor: str, fresh: bool) -> Call:
    # C1 registering again is answered with its own ID (C1 was registered with this same request).
    name = f"Customer {CUSTOMER} {w.tag}" if actor == CUSTOMER else "By operator"
    return Call("POST", "/api/customers", {"name": name, "smsNumber": SMS})


def _customer_path(suffix: str, method: str = "GET", body: dict[str, Any] | None = None) -> Builder:
    async def build(w: World, actor: str, fresh: bool) -> Call:
        return Call(method, f"/api/customers/{w.c1}{suffix}", body, resource=w.c1)

    return build


def _operator_on_customer(suffix: str, *, disabled: bool) -> Builder:
    async def build(w: World, actor: str, fresh: bool) -> Call:
        customer = await w.fresh_customer(disabled=disabled) if fresh else w.c1
        return Call("PUT", f"/api/customers/{customer}{suffix}", resource=customer)

    return build


async def _start_basket(w: World, actor: str, fresh: bool) -> Call:
    # A customer need not name itself; an operator names the customer.
    return Call("POST", "/api/baskets", {} if actor == CUSTOMER else {"customerId": w.c1})


def _basket_command(method: str, suffix: str, *, items: int, body: Callable[[World], dict[str, Any]] | None) -> Builder:
    async def build(w: World, actor: str, fresh: bool) -> Call:
        basket = await w.fresh_basket(items=items) if fresh else w.basket_1
        return Call(method, f"/api/baskets/{basket}{suffix}", body(w) if body else None, resource=basket)

    return build


async def _checkout(w: World, actor: str, fresh: bool) -> Call:
    basket, payment = (await w.fresh_basket(), await w.fresh_payment()) if fresh else (w.basket_1, w.payment_1)
    return Call("PUT", f"/api/baskets/{basket}/checkout", {"paymentId": payment}, resource=basket)


async def _get_basket(w: World, actor: str, fresh: bool) -> Call:
    return Call("GET", f"/api/baskets/{w.basket_1}", resource=w.basket_1)


async def _create_order(w: World, actor: str, fresh: bool) -> Call:
    payment = await w.fresh_payment() if fresh else w.payment_1
    body: dict[str, Any] = {"paymentId": payment, "items": [{"productId": w.product_a, "quantity": 1}]}
    if actor != CUSTOMER:
        body["customerId"] = w.c1
    return Call("POST", "/api/ordering", body)


async def _get_order(w: World, actor: str, fresh: bool) -> Call:
    return Call("GET", f"/api/ordering/{w.order_1}", resource=w.order_1)


async def _cancel_order(w: World, actor: str, fresh: bool) -> Call:
    order = await w.fresh_order() if fresh else w.order_1
    return Call("DELETE", f"/api/ordering/{order}", resource=order)


async def _get_list(w: World, actor: str, fresh: bool) -> Call:
    return Call("GET", f"/api/depot/shopping/{w.order_1}", resource=w.order_1)


async def _assign(w: World, actor: str, fresh: bool) -> Call:
    listed = await w.fresh_order() if fresh else w.order_1
    # A bot names no one (it takes the list as itself); an operator names the bot.
    body = {} if actor == BOT else {"botId": w.subjects[BOT]}
    return Call("PUT", f"/api/depot/shopping/{listed}/assign", body, resource=listed)


async def _complete(w: World, actor: str, fresh: bool) -> Call:
    listed = await w.fresh_assigned() if fresh else w.assigned_1
    return Call("PUT", f"/api/depot/shopping/{listed}/complete", resource=listed)


async def _open_list(w: World, actor: str, fresh: bool) -> Call:
    return Call("POST", "/api/depot/shopping", {"orderId": str(uuid.uuid4()), "items": [w.wanted_item()]})


async def _list_opened(w: World, actor: str, call: Call, answer: httpx.Response) -> None:
    assert call.body is not None
    assert _json(answer)["id"] == call.body["orderId"]  # one list per order: its ID is the order's
    assert (await w.operator.get_shopping_list(call.body["orderId"]))["orderId"] == call.body["orderId"]


async def _cancel_list(w: World, actor: str, fresh: bool) -> Call:
    listed = await w.fresh_hand_list() if fresh else w.hand_list
    return Call("POST", f"/api/depot/shopping/{listed}", resource=listed)


async def _authorize_payment(w: World, actor: str, fresh: bool) -> Call:
    return Call("POST", "/api/payments", {"amount": 25} if actor == CUSTOMER else {"customerId": w.c1, "amount": 25})


async def _get_payment(w: World, actor: str, fresh: bool) -> Call:
    return Call("GET", f"/api/payments/{w.payment_1}", resource=w.payment_1)


async def _get_invoice(w: World, actor: str, fresh: bool) -> Call:
    return Call("GET", f"/api/payments/invoices/{w.ready_1}", resource=w.ready_1)


async def _pay_invoice(w: World, actor: str, fresh: bool) -> Call:
    invoice = await w.fresh_ready() if fresh else w.ready_1
    return Call("PUT", f"/api/payments/invoices/{invoice}/pay", resource=invoice)


async def _notifications(w: World, actor: str, fresh: bool) -> Call:
    # A customer may leave customerId out (its own); an operator names the customer.
    named = None if actor == CUSTOMER else {"customerId": w.c1}
    return Call("GET", "/api/notifications", params=named, resource=w.c1 if named else "")


async def _search(w: World, actor: str, fresh: bool) -> Call:
    filters = {} if actor == CUSTOMER else {"customerId": w.c1}
    return Call("POST", "/api/search/orders", {"filters": filters, "limit": 100})  # C1 has many orders by now


async def _search_order(w: World, actor: str, fresh: bool) -> Call:
    return Call("GET", f"/api/search/orders/{w.order_1}", resource=w.order_1)


def _status_is(entity: str, status: str) -> Check:
    return _field_is(entity, "status", lambda w, actor, call: status)


CUSTOMERS = frozenset({CUSTOMER, OPERATOR})
OWNERS = frozenset({STORE_OWNER, OPERATOR})
BOTS = frozenset({BOT, OPERATOR})
OPERATORS = frozenset({OPERATOR})
PRODUCT = (OTHER_STORE_OWNER, "product")
STORE = (OTHER_STORE_OWNER, "store")


def _c1(what: str) -> tuple[str, str]:
    return (OTHER_CUSTOMER, what)


CASES: dict[Key, Case] = {
    ("GET", "/liveness"): Case(EVERYONE, _get("/liveness")),
    ("GET", "/readiness"): Case(EVERYONE, _get("/readiness")),
    ("GET", "/metrics"): Case(EVERYONE, _get("/metrics")),  # public unless MALLBOTS_METRICS_PUBLIC=false
    ("GET", "/openapi.json"): Case(EVERYONE, _get("/openapi.json")),
    ("GET", "/docs"): Case(EVERYONE, _get("/docs")),
    ("GET", "/docs/oauth2-redirect"): Case(EVERYONE, _get("/docs/oauth2-redirect")),
    ("GET", "/redoc"): Case(EVERYONE, _get("/redoc")),
    ("POST", "/codec/decode"): _codec_case("decode", in_path=False),
    ("POST", "/codec/encode"): _codec_case("encode", in_path=False),
    ("POST", "/codec/{token}/decode"): _codec_case("decode", in_path=True),
    ("POST", "/codec/{token}/encode"): _codec_case("encode", in_path=True),
    # stores
    ("POST", "/api/stores"): Case(OWNERS, _create_store, _store_is_creators),
    ("GET", "/api/stores"): Case(SIGNED_IN, _get("/api/stores"), _lists("stores", "id", lambda w: w.store_a)),
    ("GET", "/api/stores/participating"): Case(
        SIGNED_IN,
        _get("/api/stores/participating"),
        _lists("stores", "id", lambda w: w.store_a, absent=lambda w: w.idle_store),
    ),
    ("GET", "/api/stores/{store_id}"): Case(
        SIGNED_IN,
        lambda w, actor, fresh: _get(f"/api/stores/{w.store_a}")(w, actor, fresh),
        _field_is("store", "id", lambda w, actor, call: w.store_a),
    ),
    ("GET", "/api/stores/{store_id}/products"): Case(
        SIGNED_IN,
        lambda w, actor, fresh: _get(f"/api/stores/{w.store_a}/products")(w, actor, fresh),
        _lists("products", "id", lambda w: w.product_a),
    ),
    ("GET", "/api/stores/products/{product_id}"): Case(
        SIGNED_IN,
        lambda w, actor, fresh: _get(f"/api/stores/products/{w.product_a}")(w, actor, fresh),
        _field_is("product", "storeId", lambda w, actor, call: w.store_a),
    ),
    ("PUT", "/api/stores/{store_id}/participating"): Case(
        OWNERS, _enable_store, _field_is("store", "participating", lambda w, actor, call: True), stranger=STORE
    ),
    ("DELETE", "/api/stores/{store_id}/participating"): Case(
        OWNERS, _disable_store, _field_is("store", "participating", lambda w, actor, call: False), stranger=STORE
    ),
    ("PUT", "/api/stores/{store_id}/rebrand"): Case(
        OWNERS,
        _rebrand_store,
        _field_is("store", "name", lambda w, actor, call: f"Rebranded by {actor}"),
        stranger=STORE,
    ),
    ("POST", "/api/stores/{store_id}/products"): Case(OWNERS, _add_product, _product_added, stranger=STORE),
    ("PUT", "/api/stores/products/{product_id}/rebrand"): Case(
        OWNERS,
        _product_command("PUT", "/rebrand", {"name": "Rebranded", "description": "new"}),
        _field_is("product", "name", lambda w, actor, call: "Rebranded"),
        stranger=PRODUCT,
    ),
    ("PUT", "/api/stores/products/{product_id}/increasePrice"): Case(
        OWNERS,
        _product_command("PUT", "/increasePrice", {"price": 11}),
        _field_is("product", "price", lambda w, actor, call: 11.0),
        stranger=PRODUCT,
    ),
    ("PUT", "/api/stores/products/{product_id}/decreasePrice"): Case(
        OWNERS,
        _product_command("PUT", "/decreasePrice", {"price": 9}),
        _field_is("product", "price", lambda w, actor, call: 9.0),
        stranger=PRODUCT,
    ),
    ("DELETE", "/api/stores/products/{product_id}"): Case(
        OWNERS, _product_command("DELETE", "", None), stranger=PRODUCT
    ),
    # customers
    ("POST", "/api/customers"): Case(CUSTOMERS, _register, _customer_created),
    ("GET", "/api/customers/{customer_id}"): Case(
        CUSTOMERS,
        _customer_path(""),
        _field_is("customer", "id", lambda w, actor, call: w.c1),
        stranger=_c1("customer"),
    ),
    ("PUT", "/api/customers/{customer_id}/change-sms"): Case(
        CUSTOMERS,
        _customer_path("/change-sms", "PUT", {"smsNumber": "+1 555 0199"}),
        _field_is("customer", "smsNumber", lambda w, actor, call: "+1 555 0199"),
        stranger=_c1("customer"),
    ),
    ("PUT", "/api/customers/{customer_id}/enable"): Case(
        OPERATORS,
        _operator_on_customer("/enable", disabled=True),
        _field_is("customer", "enabled", lambda w, actor, call: True),
    ),
    ("PUT", "/api/customers/{customer_id}/disable"): Case(
        OPERATORS,
        _operator_on_customer("/disable", disabled=False),
        _field_is("customer", "enabled", lambda w, actor, call: False),
    ),
    # baskets
    ("POST", "/api/baskets"): Case(CUSTOMERS, _start_basket, _belongs_to_c1("get_basket")),
    ("GET", "/api/baskets/{basket_id}"): Case(
        CUSTOMERS, _get_basket, _field_is("basket", "customerId", lambda w, actor, call: w.c1), stranger=_c1("basket")
    ),
    ("PUT", "/api/baskets/{basket_id}/addItem"): Case(
        CUSTOMERS,
        _basket_command("PUT", "/addItem", items=0, body=lambda w: {"productId": w.product_a, "quantity": 2}),
        _field_is("basket", "total", lambda w, actor, call: 20.0),
        stranger=_c1("basket"),
    ),
    ("PUT", "/api/baskets/{basket_id}/removeItem"): Case(
        CUSTOMERS,
        _basket_command("PUT", "/removeItem", items=1, body=lambda w: {"productId": w.product_a, "quantity": 1}),
        _field_is("basket", "items", lambda w, actor, call: []),
        stranger=_c1("basket"),
    ),
    ("PUT", "/api/baskets/{basket_id}/checkout"): Case(
        CUSTOMERS, _checkout, _status_is("basket", "checked_out"), stranger=_c1("basket")
    ),
    ("DELETE", "/api/baskets/{basket_id}"): Case(
        CUSTOMERS,
        _basket_command("DELETE", "", items=0, body=None),
        _status_is("basket", "cancelled"),
        stranger=_c1("basket"),
    ),
    # ordering
    ("POST", "/api/ordering"): Case(CUSTOMERS, _create_order, _order_created),
    ("GET", "/api/ordering/{order_id}"): Case(
        CUSTOMERS, _get_order, _status_is("order", "approved"), stranger=_c1("order")
    ),
    ("DELETE", "/api/ordering/{order_id}"): Case(
        CUSTOMERS, _cancel_order, _status_is("order", "cancelled"), stranger=_c1("order")
    ),
    # depot
    ("GET", "/api/depot/shopping"): Case(
        BOTS, _get("/api/depot/shopping"), _lists("shoppingLists", "id", lambda w: w.order_1)
    ),
    ("GET", "/api/depot/shopping/{list_id}"): Case(BOTS, _get_list, _status_is("shoppingList", "available")),
    ("PUT", "/api/depot/shopping/{list_id}/assign"): Case(
        BOTS, _assign, _field_is("shoppingList", "botId", lambda w, actor, call: w.subjects[BOT])
    ),
    ("PUT", "/api/depot/shopping/{list_id}/complete"): Case(
        BOTS, _complete, _status_is("shoppingList", "completed"), stranger=(OTHER_BOT, "shopping list")
    ),
    ("POST", "/api/depot/shopping"): Case(OPERATORS, _open_list, _list_opened),
    ("POST", "/api/depot/shopping/{list_id}"): Case(OPERATORS, _cancel_list, _status_is("shoppingList", "cancelled")),
    # payments
    ("POST", "/api/payments"): Case(CUSTOMERS, _authorize_payment, _belongs_to_c1("get_payment")),
    ("GET", "/api/payments/{payment_id}"): Case(
        CUSTOMERS, _get_payment, _status_is("payment", "authorized"), stranger=_c1("payment")
    ),
    ("GET", "/api/payments/invoices/{invoice_id}"): Case(
        CUSTOMERS, _get_invoice, _status_is("invoice", "pending"), stranger=_c1("invoice")
    ),
    ("PUT", "/api/payments/invoices/{invoice_id}/pay"): Case(
        CUSTOMERS, _pay_invoice, _status_is("invoice", "paid"), stranger=_c1("invoice")
    ),
    # notifications and search
    ("GET", "/api/notifications"): Case(
        CUSTOMERS, _notifications, _only_c1s("notifications", includes=lambda w: w.order_1), stranger=_c1("customer")
    ),
    ("POST", "/api/search/orders"): Case(CUSTOMERS, _search, _only_c1s("orders", includes=lambda w: w.order_1)),
    ("GET", "/api/search/orders/{order_id}"): Case(
        CUSTOMERS, _search_order, _field_is("order", "customerId", lambda w, actor, call: w.c1), stranger=_c1("order")
    ),
    # operators' tools
    ("GET", "/api/ops/stats"): Case(OPERATORS, _get("/api/ops/stats"), _stats_of_every_queue),
}


# ---- the matrix -------------------------------------------------------------------------------------------
def _cells() -> list[tuple[Key, str]]:
    """Every rule with every role, and with the stranger of its case: taken from ``RULES``, so a new route is
    in the matrix (and fails for want of a case) without anyone adding it here."""
    cells = [(key, actor) for key in RULES for actor in ROLES]
    cells += [(key, case.stranger[0]) for key, case in CASES.items() if key in RULES and case.stranger]
    return cells


CELLS = _cells()


def _expected(case: Case, actor: str) -> int:
    if case.stranger is not None and actor == case.stranger[0]:
        return case.stranger_status
    if actor in case.allowed:
        return case.ok
    return case.anonymous[0] if actor == ANONYMOUS else 403


@pytest.fixture(scope="module")
async def world(stack: Stack) -> AsyncIterator[World]:
    """Built once: the owners, customers, orders and lists, then every cell's request (the fresh resources of
    the state-changing ones made concurrently), so no cell depends on another or on their order."""
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as http:
        w = await build_world(stack, http)
        wanted = [(key, actor) for key, actor in CELLS if key in CASES]
        built = await asyncio.gather(
            *(CASES[key].request(w, actor, _expected(CASES[key], actor) // 100 == 2) for key, actor in wanted)
        )
        w.calls = dict(zip(wanted, built, strict=True))
        yield w


def test_every_rule_has_a_case_and_every_case_a_rule() -> None:
    assert sorted(set(RULES) - set(CASES)) == [], "rules with no case in the access matrix"
    assert sorted(set(CASES) - set(RULES)) == [], "cases for routes that have no rule"


@pytest.mark.parametrize(("key", "actor"), CELLS, ids=[f"{m} {p} as {actor}" for (m, p), actor in CELLS])
async def test_access(world: World, key: Key, actor: str) -> None:
    case = CASES.get(key)
    assert case is not None, f"{key[0]} {key[1]} has a rule but no case in the access matrix"
    call = world.calls[(key, actor)]

    answer = await world.send(actor, call)

    expected = _expected(case, actor)
    assert answer.status_code == expected, f"{call.method} {call.path} as {actor}: {answer.status_code} {answer.text}"
    if expected // 100 == 2:
        if case.check is not None:
            await case.check(world, actor, call, answer)
        return
    message = _json(answer)["message"]
    if case.stranger is not None and actor == case.stranger[0]:
        what = case.stranger[1]
        assert message == (
            f"the {what} {call.resource} does not exist" if call.resource else f"the {what} does not exist"
        )
    elif actor == ANONYMOUS:
        assert message == case.anonymous[1]
        assert answer.headers["www-authenticate"].startswith("Bearer realm=")
    elif case.refused is not None:
        assert message == case.refused
    else:
        assert message.startswith("this needs the role "), message
        assert message.endswith(f"; the token has {actor}"), message


# ---- what a body names -------------------------------------------------------------------------------------
NAMES_ANOTHER_CUSTOMER = "a customer acts only for itself; the body names another customer"


def _naming_c2(w: World) -> list[Call]:
    return [
        Call("POST", "/api/baskets", {"customerId": w.c2}),
        Call("POST", "/api/payments", {"customerId": w.c2, "amount": 10}),
        Call(
            "POST",
            "/api/ordering",
            {"customerId": w.c2, "paymentId": w.payment_2, "items": [{"productId": w.product_a, "quantity": 1}]},
        ),
        Call("POST", "/api/search/orders", {"filters": {"customerId": w.c2}}),
    ]


async def test_a_customer_whose_body_names_another_customer_is_refused(world: World) -> None:
    for call in _naming_c2(world):
        answer = await world.send(CUSTOMER, call)
        assert (answer.status_code, _json(answer)["message"]) == (403, NAMES_ANOTHER_CUSTOMER), call


async def test_a_customer_asking_for_another_customers_notifications_is_told_there_is_no_such_customer(
    world: World,
) -> None:
    answer = await world.send(CUSTOMER, Call("GET", "/api/notifications", params={"customerId": world.c2}))
    assert (answer.status_code, _json(answer)["message"]) == (404, f"the customer {world.c2} does not exist")


async def test_a_customer_naming_itself_in_the_body_is_served(world: World) -> None:
    answer = await world.send(CUSTOMER, Call("POST", "/api/baskets", {"customerId": world.c1}))
    assert answer.status_code == 200, answer.text
    assert (await world.operator.get_basket(_json(answer)["id"]))["customerId"] == world.c1


async def test_a_bot_whose_body_names_another_bot_is_refused(world: World) -> None:
    listed = await world.fresh_order()
    call = Call("PUT", f"/api/depot/shopping/{listed}/assign", {"botId": world.subjects[OTHER_BOT]})

    answer = await world.send(BOT, call)

    assert answer.status_code == 403
    assert _json(answer)["message"] == "a bot acts only as itself: its bot ID is its token's subject"
    assert (await world.operator.get_shopping_list(listed))["status"] == "available"  # nothing was assigned


async def test_a_bot_that_names_no_bot_takes_the_list_as_itself_and_only_it_completes_it(world: World) -> None:
    listed = await world.fresh_order()
    taken = await world.send(OTHER_BOT, Call("PUT", f"/api/depot/shopping/{listed}/assign", {}))
    assert taken.status_code == 200, taken.text
    assert _json(taken)["shoppingList"]["botId"] == world.subjects[OTHER_BOT]

    complete = Call("PUT", f"/api/depot/shopping/{listed}/complete")
    refused = await world.send(BOT, complete)  # bot-1 did not take it
    assert (refused.status_code, _json(refused)["message"]) == (404, f"the shopping list {listed} does not exist")
    done = await world.send(OTHER_BOT, complete)
    assert done.status_code == 200, done.text
    assert _json(done)["shoppingList"]["status"] == "completed"


# ---- search and notifications answer only the caller's --------------------------------------------------
async def test_a_customers_search_with_no_filter_finds_its_own_orders_only(world: World) -> None:
    everything = Call("POST", "/api/search/orders", {"filters": {}, "limit": 100})
    for actor, own, mine, theirs in (
        (CUSTOMER, world.c1, world.order_1, world.order_2),
        (OTHER_CUSTOMER, world.c2, world.order_2, world.order_1),
    ):
        answer = await world.send(actor, everything)
        assert answer.status_code == 200, answer.text
        orders = _json(answer)["orders"]
        assert {o["customerId"] for o in orders} == {own}, (actor, orders)
        assert mine in {o["id"] for o in orders} and theirs not in {o["id"] for o in orders}
    # An operator searches across customers: C1's operator-1 sees C2's order too.
    across = await world.send(OPERATOR, Call("POST", "/api/search/orders", {"filters": {"customerId": world.c2}}))
    assert world.order_2 in {o["id"] for o in _json(across)["orders"]}


async def test_a_customers_notifications_without_a_customer_id_are_its_own(world: World) -> None:
    for actor, own, order in ((CUSTOMER, world.c1, world.order_1), (OTHER_CUSTOMER, world.c2, world.order_2)):
        answer = await world.send(actor, Call("GET", "/api/notifications"))
        assert answer.status_code == 200, answer.text
        sent = _json(answer)["notifications"]
        assert {n["customerId"] for n in sent} == {own}
        assert order in {n["orderId"] for n in sent}


# ---- a token with no role -----------------------------------------------------------------------------------
async def test_a_token_with_no_known_role_reads_the_catalogue_and_nothing_else(world: World) -> None:
    catalogue = await world.send(NO_ROLE, Call("GET", f"/api/stores/{world.store_a}/products"))
    assert catalogue.status_code == 200, catalogue.text
    refused = await world.send(NO_ROLE, Call("POST", "/api/baskets", {}))
    assert (refused.status_code, _json(refused)["message"]) == (
        403,
        "this needs the role customer or operator; the token has none",
    )


# ---- tokens that must not verify ----------------------------------------------------------------------------
def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims(stack: Stack, **changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": LOCAL_ISSUER,
        "aud": stack.settings.auth_audience,
        "sub": "operator-1",
        "iat": now,
        "exp": now + 600,
        stack.settings.auth_roles_claim: ["operator"],
    }
    claims.update(changes)
    return claims


def _unsigned(header: dict[str, str], claims: dict[str, object], sign: Callable[[bytes], bytes]) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(sign(signing_input.encode()))}"


def _bad_authorizations(stack: Stack) -> dict[str, tuple[str, str]]:
    """name → (Authorization header, the 401's message)."""
    issuer = stack.issuer
    assert issuer is not None
    audience = stack.settings.auth_audience
    public_pem = issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    not_allowed = "the token is not valid: The specified alg value is not allowed"
    tokens = {
        "expired": (issuer.mint("operator-1", [Role.OPERATOR], ttl=timedelta(minutes=-5)), "the token has expired"),
        "another audience": (
            LocalIssuer(issuer.key, "another-api").mint("operator-1", [Role.OPERATOR]),
            "the token is not for this API (audience)",
        ),
        "another issuer": (
            jwt.encode(_claims(stack, iss="https://idp.example"), issuer.key, algorithm=issuer.algorithm),
            "the token is not from the trusted issuer",
        ),
        "signed by another key": (
            LocalIssuer.generate(audience).mint("operator-1", [Role.OPERATOR]),
            "the token is not valid: Signature verification failed",
        ),
        "alg none": (_unsigned({"alg": "none", "typ": "JWT"}, _claims(stack), lambda _: b""), not_allowed),
        "HS256 with a shared secret": (
            jwt.encode(_claims(stack), "a-shared-secret-of-32-bytes-long!", algorithm="HS256"),
            not_allowed,
        ),
        "HS256 keyed with the public key": (
            _unsigned(
                {"alg": "HS256", "typ": "JWT"},
                _claims(stack),
                lambda data: hmac.new(public_pem, data, hashlib.sha256).digest(),
            ),
            not_allowed,
        ),
        "no subject": (
            jwt.encode(_claims(stack, sub=None), issuer.key, algorithm=issuer.algorithm),
            'the token is not valid: Token is missing the "sub" claim',
        ),
        "a subject with a space": (
            jwt.encode(_claims(stack, sub="operator 1"), issuer.key, algorithm=issuer.algorithm),
            "the token's subject (sub) must be 1-200 printable characters",
        ),
        "not a JWT": ("not-a-jwt", "the token is not valid: Not enough segments"),
    }
    headers = {name: (f"Bearer {token}", message) for name, (token, message) in tokens.items()}
    headers["another scheme"] = (
        f"Basic {_b64(b'operator:secret')}",
        "the Authorization header must be 'Bearer <token>'",
    )
    return headers


BAD_TOKENS = [
    "expired",
    "another audience",
    "another issuer",
    "signed by another key",
    "alg none",
    "HS256 with a shared secret",
    "HS256 keyed with the public key",
    "no subject",
    "a subject with a space",
    "not a JWT",
    "another scheme",
]


@pytest.mark.parametrize("name", BAD_TOKENS)
@pytest.mark.parametrize(("method", "path"), [("GET", "/api/stores"), ("POST", "/api/baskets")])
async def test_a_token_that_does_not_verify_is_refused_with_its_reason(
    world: World, name: str, method: str, path: str
) -> None:
    authorization, message = _bad_authorizations(world.stack)[name]
    answer = await world.http.request(
        method, path, json={} if method == "POST" else None, headers={"Authorization": authorization}
    )
    assert answer.status_code == 401, answer.text
    assert _json(answer)["message"] == message
    assert answer.headers["www-authenticate"] == CHALLENGE
    assert authorization.split(" ", 1)[1] not in answer.text  # the token is never echoed


async def test_the_good_token_is_served_where_the_bad_ones_are_refused(world: World) -> None:
    assert sorted(_bad_authorizations(world.stack)) == sorted(BAD_TOKENS)  # every one of them is tried
    for method, path in (("GET", "/api/stores"), ("POST", "/api/baskets")):
        body = {"customerId": world.c1} if method == "POST" else None
        answer = await world.send(OPERATOR, Call(method, path, body))
        assert answer.status_code == 200, answer.text


# ---- Idempotency-Keys are their caller's ----------------------------------------------------------------------
async def test_a_key_another_customer_used_first_creates_the_callers_own_basket(world: World) -> None:
    key = f"shared-{uuid.uuid4()}"
    start = Call("POST", "/api/baskets", {})  # the very same request from both: only the caller differs

    first = await world.send(CUSTOMER, start, key=key)
    second = await world.send(OTHER_CUSTOMER, start, key=key)
    again = await world.send(CUSTOMER, start, key=key)

    assert (first.status_code, second.status_code, again.status_code) == (200, 200, 200), (first.text, second.text)
    assert "idempotent-replayed" not in second.headers
    assert _json(second)["id"] != _json(first)["id"]
    assert (await world.operator.get_basket(_json(first)["id"]))["customerId"] == world.c1
    assert (await world.operator.get_basket(_json(second)["id"]))["customerId"] == world.c2
    assert (_json(again)["id"], again.headers.get("idempotent-replayed")) == (_json(first)["id"], "true")


async def test_a_key_reused_by_another_customer_on_the_first_callers_basket_is_not_a_replay(world: World) -> None:
    basket = await world.fresh_basket(items=0)
    key = f"shared-{uuid.uuid4()}"
    add = Call("PUT", f"/api/baskets/{basket}/addItem", {"productId": world.product_a, "quantity": 1})

    first = await world.send(CUSTOMER, add, key=key)
    stolen = await world.send(OTHER_CUSTOMER, add, key=key)

    assert first.status_code == 200, first.text
    assert (stolen.status_code, _json(stolen)["message"]) == (404, f"the basket {basket} does not exist")
    assert "idempotent-replayed" not in stolen.headers
    assert len((await world.operator.get_basket(basket))["items"]) == 1
    replayed = await world.send(CUSTOMER, add, key=key)
    assert (replayed.status_code, replayed.headers.get("idempotent-replayed")) == (200, "true")


# ---- the codec endpoint's own secret ---------------------------------------------------------------------------
async def test_the_codec_endpoint_takes_its_secret_in_the_authorization_header(world: World) -> None:
    """Its own bearer secret, not a JWT: authentication leaves a public route's Authorization header alone."""
    answer = await world.http.post(
        "/codec/decode", json={"payloads": []}, headers={"Authorization": f"Bearer {world.stack.codec_token}"}
    )
    assert (answer.status_code, answer.json()) == (200, {"payloads": []}), answer.text
    wrong = await world.http.post("/codec/decode", json={"payloads": []}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403, wrong.text


async def test_a_subject_whose_roles_changed_does_not_replay_what_its_old_roles_were_answered(world: World) -> None:
    """A stored answer is replayed before the route's rule is asked: keys are scoped by subject *and* roles."""
    assert world.stack.issuer is not None
    subject, key = f"demoted-{uuid.uuid4().hex[:6]}", str(uuid.uuid4())
    body = {"customerId": world.c2}
    as_operator = {"Authorization": f"Bearer {world.stack.issuer.mint(subject, [Role.OPERATOR])}"}
    as_customer = {"Authorization": f"Bearer {world.stack.issuer.mint(subject, [Role.CUSTOMER])}"}

    first = await world.http.post("/api/baskets", json=body, headers={**as_operator, "Idempotency-Key": key})
    again = await world.http.post("/api/baskets", json=body, headers={**as_customer, "Idempotency-Key": key})

    assert first.status_code == 200, first.text
    assert again.status_code == 403 and "idempotent-replayed" not in again.headers, again.text


# ---- another customer's payment, named inside a customer's own request -------------------------------------
async def test_a_checkout_with_another_customers_payment_is_rejected_and_leaves_that_payment_alone(
    world: World,
) -> None:
    basket, theirs = await asyncio.gather(world.fresh_basket(), world.fresh_payment(OTHER_CUSTOMER))
    checkout = Call("PUT", f"/api/baskets/{basket}/checkout", {"paymentId": theirs})

    answer = await world.send(CUSTOMER, checkout)

    assert answer.status_code in (200, 403, 404, 409), answer.text
    if answer.status_code == 200:  # the saga decides: it must not take C2's money for C1's order
        order = await world.client(CUSTOMER).wait_for_order(basket, {"approved", "rejected"})
        assert order["status"] == "rejected", order
    assert (await world.operator.get_payment(theirs))["status"] == "authorized"


async def test_a_direct_order_with_another_customers_payment_is_rejected_and_leaves_that_payment_alone(
    world: World,
) -> None:
    theirs = await world.fresh_payment(OTHER_CUSTOMER)
    body = {"paymentId": theirs, "items": [{"productId": world.product_a, "quantity": 1}]}

    answer = await world.send(CUSTOMER, Call("POST", "/api/ordering", body))

    assert answer.status_code in (200, 403, 404), answer.text
    if answer.status_code == 200:
        order = await world.client(CUSTOMER).wait_for_order(_json(answer)["id"], {"approved", "rejected"})
        assert (order["status"], order["customerId"]) == ("rejected", world.c1), order
    assert (await world.operator.get_payment(theirs))["status"] == "authorized"


# ---- a query string that names the customer twice --------------------------------------------------------------
@pytest.mark.parametrize("order", ["own first", "other first"])
async def test_naming_two_customers_in_the_query_never_shows_the_other_customers_notifications(
    world: World, order: str
) -> None:
    named = [world.c1, world.c2] if order == "own first" else [world.c2, world.c1]
    query = "&".join(f"customerId={customer}" for customer in named)

    answer = await world.http.get(
        f"/api/notifications?{query}", headers={"Authorization": f"Bearer {world.tokens[CUSTOMER]}"}
    )

    assert answer.status_code in (200, 400, 404), answer.text
    if answer.status_code == 200:
        assert {n["customerId"] for n in _json(answer)["notifications"]} <= {world.c1}
