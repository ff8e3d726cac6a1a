"""A customer's and an operator's steps with order search: a customer searches its own orders; an operator
searches everyone's.

The search view is fed by events, a moment after a command answers: the step that places the orders waits
(bounded) until search shows each of them in its final state, so the searches after it are exact."""

from __future__ import annotations

import re
from typing import Any

from pytest_bdd import given, parsers, then, when

from mallbots.tools.client import ApiError, MallbotsClient
from tests.e2e.steps.common import quoted
from tests.e2e.steps.mall import Mall
from tests.e2e.steps.ordering import place_order
from tests.e2e.steps.world import World, money

_CLAUSES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"status (?P<v>\w+)"), "status"),
    (re.compile(r'store "?(?P<v>[^"]+?)"?'), "storeIds"),
    (re.compile(r'product "?(?P<v>[^"]+?)"?'), "productIds"),
    (re.compile(r"a minimum total of (?P<v>-?[0-9.]+)"), "minTotal"),
    (re.compile(r"a maximum total of (?P<v>-?[0-9.]+)"), "maxTotal"),
    (re.compile(r"created after (?P<v>\S+)"), "after"),
    (re.compile(r"created before (?P<v>\S+)"), "before"),
    (re.compile(r"a limit of (?P<v>-?\d+)"), "limit"),
    (re.compile(r'the page token "(?P<v>[^"]*)"'), "next"),
]


def search_request(world: World, text: str) -> dict[str, Any]:
    """``store Waldorf and status approved`` → the body of ``POST /api/search/orders``."""
    filters: dict[str, Any] = {}
    body: dict[str, Any] = {"filters": filters}
    if text == "no other filter":
        return body
    for clause in text.split(" and "):
        for pattern, field in _CLAUSES:
            if match := pattern.fullmatch(clause):
                value = match["v"]
                if field == "storeIds":
                    filters[field] = [world.store_id(value)]
                elif field == "productIds":
                    filters[field] = [world.product_id(value)]
                elif field in ("minTotal", "maxTotal"):
                    filters[field] = float(value)
                elif field == "limit":
                    body["limit"] = int(value)
                elif field == "next":
                    body["next"] = value
                else:
                    filters[field] = value
                break
        else:
            raise AssertionError(f"no search clause reads {clause!r}")
    return body


def _labels(text: str) -> list[str]:
    return [] if text == "nothing" else [label.strip() for label in text.split(",")]


@given("the customer has placed these orders:")
def placed_orders(mall: Mall, world: World, datatable: list[list[str]]) -> None:
    for label, wanted, state in datatable[1:]:
        world.orders[label] = place_order(mall, world, wanted, state, direct=True)

    async def all_shown() -> None:
        for label, _, state in datatable[1:]:
            try:
                shown = await world.customer_of(world.orders[label]).get_search_order(world.orders[label])
            except ApiError as err:
                raise AssertionError(f"search does not show order {label} yet") from err
            assert shown["status"] == state, f"search shows order {label} {shown['status']}, not {state} yet"

    mall.eventually(all_shown)


def _search(mall: Mall, world: World, api: MallbotsClient, body: dict[str, Any]) -> None:
    world.attempt(mall, api.search_orders(body["filters"], next=body.get("next"), limit=body.get("limit")))


@when(parsers.re(r"the customer searches their orders with (?P<filters>.+)"))
def customer_searches(mall: Mall, world: World, filters: str) -> None:
    body = search_request(world, filters)
    body["filters"]["customerId"] = world.customer_id
    _search(mall, world, world.customer, body)


@when(parsers.re(r"an operator searches the orders with (?P<filters>.+)"))
def operator_searches(mall: Mall, world: World, filters: str) -> None:
    _search(mall, world, world.operator, search_request(world, filters))


@when(parsers.re(r"the customer pages through their orders (?P<size>\d+) at a time"))
def page_through(mall: Mall, world: World, size: str) -> None:
    pages: list[list[str]] = []
    token: str | None = None
    while True:
        page = mall.run(world.customer.search_orders({"customerId": world.customer_id}, next=token, limit=int(size)))
        pages.append([order["id"] for order in page["orders"]])
        token = page["next"]
        if not token or len(pages) > 10:
            break
    world.answer = pages


@when("an operator looks up an order that does not exist in search")
def look_up_no_order(mall: Mall, world: World) -> None:
    world.order_id = f"no-such-order-{world.tag}"
    world.attempt(mall, world.operator.get_search_order(world.order_id))


# ---- what search shows ----------------------------------------------------------------------------------------


@then(parsers.re(r"the search finds (?P<found>.+)"))
def the_search_finds(world: World, found: str) -> None:
    """``E, D, C``: those orders, newest first, on one page; or ``nothing``."""
    assert world.answer["next"] == ""
    expected = [world.orders[label] for label in _labels(found)]
    named = {order_id: label for label, order_id in world.orders.items()}
    shown = [order["id"] for order in world.answer["orders"]]
    assert [named.get(i, i) for i in shown] == [named.get(i, i) for i in expected]


@then(parsers.re(r"the pages hold (?P<sizes>[\d, and]+) orders"))
def the_pages_hold(world: World, sizes: str) -> None:
    assert [len(page) for page in world.answer] == [int(n) for n in re.findall(r"\d+", sizes)]


@then(parsers.re(r"together the pages hold (?P<found>[A-Z, ]+)"))
def together_they_are(world: World, found: str) -> None:
    assert [order_id for page in world.answer for order_id in page] == [world.orders[x] for x in _labels(found)]


@then(parsers.re(rf"order (?P<label>\w+) was placed by {quoted('customer')} for (?P<total>[0-9.]+)"))
def placed_by(mall: Mall, world: World, label: str, customer: str, total: str) -> None:
    shown = mall.run(world.customer_of(world.orders[label]).get_search_order(world.orders[label]))
    assert (shown["customerId"], shown["customerName"], money(shown["total"])) == (
        world.customers[customer],
        world.unique(customer),
        money(total),
    )


def _names(order: dict[str, Any]) -> list[tuple[str, str]]:
    return [(item["productName"], item["storeName"]) for item in order["items"]]


@then(parsers.re(rf"search shows order (?P<label>\w+) with {quoted('product')} from {quoted('store')}"))
def search_shows_names(mall: Mall, world: World, label: str, product: str, store: str) -> None:
    async def renamed() -> None:
        shown = await world.customer_of(world.orders[label]).get_search_order(world.orders[label])
        assert _names(shown) == [(world.unique(product), world.unique(store))]

    mall.eventually(renamed)


@then(parsers.re(rf"order (?P<label>\w+) lists {quoted('product')} from {quoted('store')} as sold"))
def order_shows_names_as_sold(mall: Mall, world: World, label: str, product: str, store: str) -> None:
    order = mall.run(world.customer_of(world.orders[label]).get_order(world.orders[label]))
    assert _names(order) == [(world.unique(product), world.unique(store))]
