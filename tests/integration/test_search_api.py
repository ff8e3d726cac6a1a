"""Order search through the REST API of the running stack: every filter alone and combined, keyset pagination,
bad input, unknown IDs and which names an order shows after a rebrand.

The module builds its own small mall once (two stores, three products, two customers) and places 55 orders
in every final-ish state, so the expected answer of each query is computed here from what was ordered.
Queries are scoped to this module's customers, stores or products (or, for filters that cannot be scoped,
the answer is checked against every order it returns and restricted to ours for the exact comparison), so
other tests sharing the stack do not change the counts.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from api.schemas import error_body
from mallbots.stack import Stack
from mallbots.tools.client import ApiError, Json, MallbotsClient
from readmodels.search.tables import SearchOrderView

BATCH = 10  # orders placed concurrently at a time: quick, without flooding a 2-core machine
STATUSES = ["pending", "approved", "ready", "completed", "rejected", "cancelled"]
ORDER_FIELDS = {"id", "orderId", "customerId", "customerName", "items", "total", "status", "createdAt", "updatedAt"}
ITEM_FIELDS = {"productId", "productName", "storeId", "storeName", "price", "quantity"}


@dataclass
class Placed:
    """An order as this module placed it: what search should say about it."""

    id: str
    customer_id: str
    quantities: dict[str, int]
    total: Decimal
    store_ids: set[str]
    status: str
    created_at: datetime  # as search reports it


Catalog = dict[str, tuple[str, Decimal]]  # product ID → (its store ID, its price)


@dataclass
class Mall:
    """This module's stores, products and customers, and every order placed in it."""

    store_a: str
    store_b: str
    product_a1: str  # 10.00, store A
    product_a2: str  # 2.50, store A
    product_b1: str  # 7.00, store B
    customer_1: str
    customer_2: str
    catalog: Catalog
    orders: list[Placed] = field(default_factory=list)

    def of(self, customer_id: str) -> list[Placed]:
        return [o for o in self.orders if o.customer_id == customer_id]

    @property
    def ids(self) -> set[str]:
        return {o.id for o in self.orders}


# --- helpers ------------------------------------------------------------------------------------------


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _newest_first(orders: Iterable[Placed]) -> list[str]:
    return [o.id for o in sorted(orders, key=lambda o: (o.created_at, o.id), reverse=True)]


async def _poll(check: Callable[[], Awaitable[bool]], what: str, within: float = 60.0) -> None:
    """Read models are fed by workflows after the command answered: wait (bounded) for them to catch up."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{what} did not happen within {within}s")
        await asyncio.sleep(0.05)


async def _search_shows(mall: MallbotsClient, order_id: str, status: str) -> Json:
    shown: Json = {}

    async def check() -> bool:
        nonlocal shown
        try:
            shown = await mall.get_search_order(order_id)
        except ApiError as err:
            if err.status != 404:
                raise
            return False
        return bool(shown["status"] == status)

    await _poll(check, f"search showing order {order_id} {status}")
    return shown


async def _pages(
    mall: MallbotsClient, filters: Mapping[str, Any], limit: int | None = 100
) -> tuple[list[Json], list[list[Json]]]:
    """Every page of a search, following ``next`` until it is empty (bounded, so a loop cannot hang the run)."""
    pages: list[list[Json]] = []
    token: str | None = None
    for _ in range(10_000):
        page = await mall.search_orders(filters, next=token, limit=limit)
        pages.append(page["orders"])
        token = page["next"]
        if token == "":
            return [o for p in pages for o in p], pages
    raise AssertionError("the pages never ended")


async def _all(mall: MallbotsClient, filters: Mapping[str, Any]) -> list[Json]:
    return (await _pages(mall, filters))[0]


def _ids(found: Iterable[Json]) -> list[str]:
    return [o["id"] for o in found]


async def _place(
    mall: MallbotsClient,
    catalog: Catalog,
    customer_id: str,
    quantities: dict[str, int],
    *,
    end: str = "approved",
) -> Placed:
    """One direct order taken to ``end`` through the API (rejected: a payment that is too small)."""
    total = sum((catalog[p][1] * q for p, q in quantities.items()), Decimal("0.00"))
    amount = Decimal("1.00") if end == "rejected" else total + 100
    payment_id = await mall.authorize_payment(customer_id, amount)
    order_id = await mall.create_order(customer_id, payment_id, quantities)
    order = await mall.wait_for_order(order_id, {"rejected" if end == "rejected" else "approved"}, within=60)
    if end == "cancelled":
        await mall.cancel_order(order_id)
    elif end in ("ready", "completed"):
        await mall.assign_bot(order["shoppingId"], f"bot-{uuid.uuid4().hex[:4]}")
        await mall.complete_shopping_list(order["shoppingId"])
        order = await mall.wait_for_order(order_id, {"ready"}, within=60)
        if end == "completed":
            await mall.pay_invoice(order["invoiceId"])
    shown = await _search_shows(mall, order_id, end)
    return Placed(
        id=order_id,
        customer_id=customer_id,
        quantities=quantities,
        total=total,
        store_ids={catalog[p][0] for p in quantities},
        status=end,
        created_at=_when(shown["createdAt"]),
    )


async def _place_all(
    mall: MallbotsClient, catalog: Catalog, wanted: list[tuple[str, dict[str, int], str]]
) -> list[Placed]:
    placed: list[Placed] = []
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start : start + BATCH]
        placed += await asyncio.gather(*(_place(mall, catalog, c, q, end=e) for c, q, e in batch))
    return placed


async def _open_store(mall: MallbotsClient, name: str) -> str:
    store_id = await mall.create_store(name, "Level 2")
    await mall.enable_participation(store_id)
    return store_id


# --- the module's mall --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def client(stack: Stack) -> AsyncIterator[MallbotsClient]:
    async with MallbotsClient(stack.api_url, timeout=60, token=stack.token()) as mall:
        yield mall


@pytest.fixture(scope="module")
async def shop(client: MallbotsClient) -> Mall:
    """52 orders of customer 1 (45 approved, 3 rejected, 2 cancelled, 1 ready, 1 completed), 3 of customer 2."""
    tag = uuid.uuid4().hex[:6]
    store_a = await _open_store(client, f"Search Store A {tag}")
    store_b = await _open_store(client, f"Search Store B {tag}")
    a1 = await client.add_product(store_a, f"Apple {tag}", "10.00", sku=f"A1-{tag}")
    a2 = await client.add_product(store_a, f"Apricot {tag}", "2.50", sku=f"A2-{tag}")
    b1 = await client.add_product(store_b, f"Banana {tag}", "7.00", sku=f"B1-{tag}")
    shop = Mall(
        store_a=store_a,
        store_b=store_b,
        product_a1=a1,
        product_a2=a2,
        product_b1=b1,
        customer_1=await client.register_customer(f"Searcher One {tag}", "+1 555 0101"),
        customer_2=await client.register_customer(f"Searcher Two {tag}", "+1 555 0102"),
        catalog={a1: (store_a, Decimal("10.00")), a2: (store_a, Decimal("2.50")), b1: (store_b, Decimal("7.00"))},
    )
    # Five baskets' shapes, each in one, two or three times the quantity: totals from 5.00 to 72.00.
    shapes = [{a1: 1}, {a2: 2}, {b1: 1}, {a1: 1, b1: 2}, {a2: 1, b1: 1}]
    wanted: list[tuple[str, dict[str, int], str]] = [
        (shop.customer_1, {p: q * (1 + (n // 5) % 3) for p, q in shapes[n % 5].items()}, "approved") for n in range(45)
    ]
    wanted += [(shop.customer_1, {a1: 1}, "rejected")] * 3
    wanted += [(shop.customer_1, {b1: 1}, "cancelled")] * 2
    wanted += [(shop.customer_1, {a1: 1, a2: 1}, "ready"), (shop.customer_1, {a2: 3}, "completed")]
    wanted += [(shop.customer_2, {a1: 2}, "approved")] * 3
    shop.orders = await _place_all(client, shop.catalog, wanted)
    return shop


# --- the order as search shows it ---------------------------------------------------------------------


async def test_an_order_is_shown_with_its_customer_items_names_total_status_and_times(
    client: MallbotsClient, shop: Mall
) -> None:
    placed = next(o for o in shop.of(shop.customer_1) if len(o.quantities) == 2 and o.status == "approved")
    ordered = await client.get_order(placed.id)

    shown = await client.get_search_order(placed.id)

    assert set(shown) == ORDER_FIELDS
    assert (shown["id"], shown["customerId"], shown["status"]) == (placed.id, shop.customer_1, "approved")
    assert shown["customerName"].startswith("Searcher One ")
    assert isinstance(shown["total"], int | float) and Decimal(str(shown["total"])) == placed.total
    assert {i["productId"]: int(i["quantity"]) for i in shown["items"]} == placed.quantities
    assert all(isinstance(i["quantity"], str) for i in shown["items"])  # the book's int64: a JSON string
    for item in shown["items"]:
        assert set(item) == ITEM_FIELDS
        assert (item["storeId"], Decimal(str(item["price"]))) == shop.catalog[item["productId"]]
        assert item["storeName"].startswith("Search Store ")
        assert item["productName"].split()[0] in ("Apple", "Apricot", "Banana")
    assert _when(shown["createdAt"]) == _when(ordered["createdAt"])
    assert _when(shown["updatedAt"]) >= _when(shown["createdAt"])


async def test_search_finds_the_same_order_by_id_as_in_a_list(client: MallbotsClient, shop: Mall) -> None:
    listed = await _all(client, {"customerId": shop.customer_2})

    for order in listed:
        assert await client.get_search_order(order["id"]) == order


async def test_an_unknown_order_id_is_not_found(client: MallbotsClient) -> None:
    with pytest.raises(ApiError) as missing:
        await client.get_search_order(f"no-such-order-{uuid.uuid4()}")

    assert missing.value.status == 404
    assert "does not exist" in missing.value.message


# --- each filter alone --------------------------------------------------------------------------------


async def test_the_customer_filter_finds_exactly_that_customers_orders(client: MallbotsClient, shop: Mall) -> None:
    assert sorted(_ids(await _all(client, {"customerId": shop.customer_1}))) == sorted(
        o.id for o in shop.of(shop.customer_1)
    )
    assert sorted(_ids(await _all(client, {"customerId": shop.customer_2}))) == sorted(
        o.id for o in shop.of(shop.customer_2)
    )
    assert await _all(client, {"customerId": f"nobody-{uuid.uuid4()}"}) == []


@pytest.mark.parametrize(
    "stores",
    [["store_a"], ["store_b"], ["store_a", "store_b"]],
)
async def test_the_store_filter_finds_orders_with_an_item_of_any_given_store(
    client: MallbotsClient, shop: Mall, stores: list[str]
) -> None:
    store_ids = [getattr(shop, s) for s in stores]

    found = await _all(client, {"storeIds": store_ids})

    assert sorted(_ids(found)) == sorted(o.id for o in shop.orders if o.store_ids & set(store_ids))
    for order in found:
        assert {i["storeId"] for i in order["items"]} & set(store_ids)


async def test_a_store_that_nobody_bought_from_matches_no_order(client: MallbotsClient, shop: Mall) -> None:
    assert await _all(client, {"storeIds": [f"no-such-store-{uuid.uuid4()}"]}) == []
    with_unknown = await _all(client, {"storeIds": [f"no-such-store-{uuid.uuid4()}", shop.store_b]})
    assert sorted(_ids(with_unknown)) == sorted(o.id for o in shop.orders if shop.store_b in o.store_ids)


@pytest.mark.parametrize(
    "products",
    [["product_a1"], ["product_a2"], ["product_b1"], ["product_a1", "product_b1"], ["product_a2", "product_b1"]],
)
async def test_the_product_filter_finds_orders_with_any_given_product(
    client: MallbotsClient, shop: Mall, products: list[str]
) -> None:
    product_ids = [getattr(shop, p) for p in products]

    found = await _all(client, {"productIds": product_ids})

    assert sorted(_ids(found)) == sorted(o.id for o in shop.orders if set(o.quantities) & set(product_ids))
    for order in found:
        assert {i["productId"] for i in order["items"]} & set(product_ids)


@pytest.mark.parametrize(
    ("low", "high"),
    [(Decimal("20.00"), None), (None, Decimal("7.00")), (Decimal("9.50"), Decimal("21.00")), (Decimal("24"), None)],
)
async def test_the_total_filters_keep_orders_within_the_bounds_both_included(
    client: MallbotsClient, shop: Mall, low: Decimal | None, high: Decimal | None
) -> None:
    """Alone, a total filter spans every order of the stack: each one returned is checked, ours exactly."""
    filters: dict[str, Any] = {}
    if low is not None:
        filters["minTotal"] = float(low)
    if high is not None:
        filters["maxTotal"] = float(high)

    found = await _all(client, filters)

    for order in found:
        total = Decimal(str(order["total"]))
        assert (low is None or total >= low) and (high is None or total <= high)
    expected = {o.id for o in shop.orders if (low is None or o.total >= low) and (high is None or o.total <= high)}
    assert expected and {o["id"] for o in found} & shop.ids == expected


async def test_equal_minimum_and_maximum_totals_find_orders_of_exactly_that_total(
    client: MallbotsClient, shop: Mall
) -> None:
    found = await _all(client, {"customerId": shop.customer_1, "minTotal": 9.5, "maxTotal": 9.5})

    assert sorted(_ids(found)) == sorted(o.id for o in shop.of(shop.customer_1) if o.total == Decimal("9.50"))
    assert found


@pytest.mark.parametrize("status", STATUSES)
async def test_the_status_filter_finds_orders_in_that_status(client: MallbotsClient, shop: Mall, status: str) -> None:
    found = await _all(client, {"status": status})

    assert all(o["status"] == status for o in found)
    assert {o["id"] for o in found} & shop.ids == {o.id for o in shop.orders if o.status == status}


async def test_after_includes_its_instant_and_before_excludes_its_instant(client: MallbotsClient, shop: Mall) -> None:
    """The window's edges are real orders' creation times, so inclusive and exclusive are both tested."""
    ours = sorted(shop.of(shop.customer_1), key=lambda o: (o.created_at, o.id))
    start, end = ours[10].created_at, ours[40].created_at
    scope = {"customerId": shop.customer_1}

    from_start = await _all(client, {**scope, "after": start.isoformat()})
    until_end = await _all(client, {**scope, "before": end.isoformat()})
    window = await _all(client, {**scope, "after": start.isoformat(), "before": end.isoformat()})

    assert sorted(_ids(from_start)) == sorted(o.id for o in ours if o.created_at >= start)
    assert sorted(_ids(until_end)) == sorted(o.id for o in ours if o.created_at < end)
    assert sorted(_ids(window)) == sorted(o.id for o in ours if start <= o.created_at < end)
    assert ours[10].id in _ids(window) and ours[40].id not in _ids(window)


async def test_after_and_before_alone_compare_instants_whatever_the_time_zone(
    client: MallbotsClient, shop: Mall
) -> None:
    ours = sorted(shop.orders, key=lambda o: (o.created_at, o.id))
    edge = ours[len(ours) // 2].created_at
    in_tokyo = edge.astimezone(ZoneInfo("Asia/Tokyo"))

    later = await _all(client, {"after": in_tokyo.isoformat()})
    earlier = await _all(client, {"before": in_tokyo.isoformat()})

    assert all(_when(o["createdAt"]) >= edge for o in later)
    assert all(_when(o["createdAt"]) < edge for o in earlier)
    assert {o["id"] for o in later} & shop.ids == {o.id for o in ours if o.created_at >= edge}
    assert {o["id"] for o in earlier} & shop.ids == {o.id for o in ours if o.created_at < edge}


async def test_a_window_in_the_future_or_the_past_finds_nothing(client: MallbotsClient, shop: Mall) -> None:
    scope = {"customerId": shop.customer_1}
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    long_ago = datetime(2000, 1, 1, tzinfo=UTC).isoformat()

    assert await _all(client, {**scope, "after": tomorrow}) == []
    assert await _all(client, {**scope, "before": long_ago}) == []


# --- filters combined ---------------------------------------------------------------------------------


async def test_combined_filters_must_all_hold(client: MallbotsClient, shop: Mall) -> None:
    ours = sorted(shop.orders, key=lambda o: (o.created_at, o.id))
    start, end = ours[5].created_at, ours[-5].created_at

    def expected(
        customer: str | None = None,
        stores: set[str] | None = None,
        products: set[str] | None = None,
        low: Decimal | None = None,
        high: Decimal | None = None,
        status: str | None = None,
        window: bool = False,
    ) -> list[str]:
        return sorted(
            o.id
            for o in shop.orders
            if (customer is None or o.customer_id == customer)
            and (stores is None or o.store_ids & stores)
            and (products is None or set(o.quantities) & products)
            and (low is None or o.total >= low)
            and (high is None or o.total <= high)
            and (status is None or o.status == status)
            and (not window or start <= o.created_at < end)
        )

    cases: list[tuple[dict[str, Any], list[str]]] = [
        (
            {"customerId": shop.customer_1, "storeIds": [shop.store_b], "status": "approved"},
            expected(shop.customer_1, {shop.store_b}, status="approved"),
        ),
        (
            {"storeIds": [shop.store_a], "productIds": [shop.product_b1]},  # both stores' items in one order
            expected(stores={shop.store_a}, products={shop.product_b1}),
        ),
        (
            {"customerId": shop.customer_1, "minTotal": 10, "maxTotal": 30, "productIds": [shop.product_a1]},
            expected(shop.customer_1, products={shop.product_a1}, low=Decimal(10), high=Decimal(30)),
        ),
        (
            {"storeIds": [shop.store_a, shop.store_b], "status": "rejected", "maxTotal": 10},
            expected(stores={shop.store_a, shop.store_b}, status="rejected", high=Decimal(10)),
        ),
        (
            {
                "customerId": shop.customer_1,
                "after": start.isoformat(),
                "before": end.isoformat(),
                "storeIds": [shop.store_a],
                "productIds": [shop.product_a2, shop.product_b1],
                "minTotal": 5,
                "maxTotal": 50,
                "status": "approved",
            },
            expected(
                shop.customer_1,
                {shop.store_a},
                {shop.product_a2, shop.product_b1},
                Decimal(5),
                Decimal(50),
                "approved",
                window=True,
            ),
        ),
        ({"customerId": shop.customer_2, "storeIds": [shop.store_b]}, []),
        ({"customerId": shop.customer_2, "productIds": [shop.product_a1], "status": "completed"}, []),
    ]
    for filters, wanted in cases:
        found = await _all(client, filters)
        assert sorted(_ids(found)) == wanted, filters
    assert any(wanted for _, wanted in cases[:5])


# --- pagination ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 7, 26, 52, 100])
async def test_paging_walks_every_order_newest_first_without_gaps_or_duplicates(
    client: MallbotsClient, shop: Mall, limit: int
) -> None:
    ours = shop.of(shop.customer_1)

    found, pages = await _pages(client, {"customerId": shop.customer_1}, limit=limit)

    assert _ids(found) == _newest_first(ours)
    assert len(pages) == -(-len(ours) // limit)  # the last page is never an empty one
    assert all(len(page) == limit for page in pages[:-1]) and 1 <= len(pages[-1]) <= limit


async def test_a_page_has_twenty_orders_when_no_limit_is_given(client: MallbotsClient, shop: Mall) -> None:
    found, pages = await _pages(client, {"customerId": shop.customer_1}, limit=None)

    assert [len(p) for p in pages] == [20, 20, 12]
    assert _ids(found) == _newest_first(shop.of(shop.customer_1))


async def test_an_answer_that_fits_one_page_has_no_next(client: MallbotsClient, shop: Mall) -> None:
    page = await client.search_orders({"customerId": shop.customer_2}, limit=3)

    assert page["next"] == ""
    assert _ids(page["orders"]) == _newest_first(shop.of(shop.customer_2))
    assert await client.search_orders({"customerId": f"nobody-{uuid.uuid4()}"}) == {"orders": [], "next": ""}


async def test_paging_keeps_its_filters_across_pages(client: MallbotsClient, shop: Mall) -> None:
    filters = {"storeIds": [shop.store_b], "minTotal": 8}

    paged, pages = await _pages(client, filters, limit=4)

    assert len(pages) > 2
    assert _ids(paged) == _newest_first(o for o in shop.orders if shop.store_b in o.store_ids and o.total >= 8)


async def test_a_cursor_continues_where_its_page_ended_even_after_newer_orders_arrive(
    client: MallbotsClient, shop: Mall
) -> None:
    """Keyset paging: an order placed while someone pages neither shifts nor repeats the later pages."""
    tag = uuid.uuid4().hex[:6]
    store_id = await _open_store(client, f"Pager Store {tag}")  # its own store: the module's counts stay put
    product_id = await client.add_product(store_id, f"Page {tag}", "1.00", sku=f"P-{tag}")
    catalog = {product_id: (store_id, Decimal("1.00"))}
    newcomer = await client.register_customer(f"Pager {tag}", "+1 555 0103")
    older = await _place_all(client, catalog, [(newcomer, {product_id: n + 1}, "approved") for n in range(5)])

    first = await client.search_orders({"customerId": newcomer}, limit=2)
    newer = await _place(client, catalog, newcomer, {product_id: 9})
    rest, _ = await _pages_from(client, {"customerId": newcomer}, first["next"], limit=2)

    assert _ids(first["orders"]) + _ids(rest) == _newest_first(older)
    assert newer.id not in _ids(rest)
    assert _ids((await client.search_orders({"customerId": newcomer}, limit=1))["orders"]) == [newer.id]


async def _pages_from(
    mall: MallbotsClient, filters: Mapping[str, Any], token: str | None, limit: int
) -> tuple[list[Json], int]:
    found: list[Json] = []
    pages = 0
    while token and pages < 10_000:
        page = await mall.search_orders(filters, next=token, limit=limit)
        found += page["orders"]
        token = page["next"]
        pages += 1
    return found, pages


# --- bad input ----------------------------------------------------------------------------------------


def _cursor(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"limit": 0}, "limit must be between 1 and 100"),
        ({"limit": -3}, "limit must be between 1 and 100"),
        ({"limit": 101}, "limit must be between 1 and 100"),
        ({"limit": "ten"}, "limit:"),
        ({"next": "not-a-cursor"}, "next is not a cursor this API gave out"),
        ({"next": _cursor(b"[]")}, "next is not a cursor this API gave out"),
        ({"next": _cursor(b'{"c": "2026-01-01T00:00:00", "i": "x"}')}, "next is not a cursor this API gave out"),
        ({"next": 12}, "next:"),
        ({"filters": {"minTotal": 10, "maxTotal": 5}}, "minTotal cannot be more than maxTotal"),
        ({"filters": {"minTotal": -1}}, "minTotal and maxTotal must be zero or more"),
        ({"filters": {"maxTotal": "lots"}}, "filters.maxTotal:"),
        ({"filters": {"after": "2026-01-02T00:00:00Z", "before": "2026-01-01T00:00:00Z"}}, "after must be earlier"),
        ({"filters": {"after": "2026-01-01T00:00:00"}}, "after and before need a time zone"),
        ({"filters": {"before": "last tuesday"}}, "filters.before:"),
        ({"filters": {"status": "lost"}}, "filters.status:"),
        ({"filters": {"storeIds": "store-1"}}, "filters.storeIds:"),
        ({"filters": {"productIds": [1, 2]}}, "filters.productIds"),
        ({"filters": "everything"}, "filters:"),
    ],
)
async def test_a_bad_search_is_refused_with_a_400_that_says_why(
    client: MallbotsClient, body: dict[str, Any], message: str
) -> None:
    with pytest.raises(ApiError) as refused:
        await client.request("POST", "/api/search/orders", body)

    assert refused.value.status == 400
    assert refused.value.message.startswith(message)


async def test_a_search_body_that_is_not_json_is_refused(api: httpx.AsyncClient) -> None:
    answer = await api.post("/api/search/orders", content=b"{not json", headers={"content-type": "application/json"})

    assert answer.status_code == 400
    assert answer.json() == error_body(400, "the request body is not valid JSON")


async def test_a_cursor_from_another_query_still_only_moves_forward(client: MallbotsClient, shop: Mall) -> None:
    """The cursor is a position, not a query: reused with other filters it still never repeats an order."""
    first = await client.search_orders({"customerId": shop.customer_1}, limit=10)
    rest, _ = await _pages_from(client, {"customerId": shop.customer_1}, first["next"], limit=100)

    assert not set(_ids(first["orders"])) & set(_ids(rest))
    assert _ids(first["orders"]) + _ids(rest) == _newest_first(shop.of(shop.customer_1))


# --- names after a rebrand ----------------------------------------------------------------------------


async def test_search_shows_todays_store_and_product_names_while_the_order_keeps_the_names_it_was_sold_under(
    client: MallbotsClient,
) -> None:
    """The naming rule: search shows CURRENT names (people search by today's names); ordering keeps the sold ones."""
    tag = uuid.uuid4().hex[:6]
    store_id = await _open_store(client, f"Old Store {tag}")
    product_id = await client.add_product(store_id, f"Old Product {tag}", "4.00", sku=f"O-{tag}")
    customer_id = await client.register_customer(f"Renamer {tag}", "+1 555 0104")
    placed = await _place(client, {product_id: (store_id, Decimal("4.00"))}, customer_id, {product_id: 2})
    assert (await client.get_search_order(placed.id))["items"][0]["storeName"] == f"Old Store {tag}"

    await client.rebrand_store(store_id, f"New Store {tag}")
    await client.rebrand_product(product_id, f"New Product {tag}")

    shown = await client.get_search_order(placed.id)
    [listed] = await _all(client, {"storeIds": [store_id]})
    sold = (await client.get_order(placed.id))["items"][0]
    for order in (shown, listed):
        item = order["items"][0]
        assert (item["storeName"], item["productName"]) == (f"New Store {tag}", f"New Product {tag}")
        assert order["customerName"] == f"Renamer {tag}"
    assert (sold["storeName"], sold["productName"]) == (f"Old Store {tag}", f"Old Product {tag}")


async def test_search_falls_back_to_the_names_captured_in_the_order_when_it_has_not_heard_of_a_name(
    client: MallbotsClient, stack: Stack
) -> None:
    """An order whose store, product and customer never reached search's caches (e.g. events still on their way)."""
    assert stack.databases is not None
    sessions = stack.databases.sessions("search")
    ghost = uuid.uuid4().hex
    row = SearchOrderView(
        id=f"ghost-order-{ghost}",
        customer_id=f"ghost-customer-{ghost}",
        customer_name="Captured Customer",
        items=[
            {
                "product_id": f"ghost-product-{ghost}",
                "store_id": f"ghost-store-{ghost}",
                "store_name": "Captured Store",
                "product_name": "Captured Product",
                "price": "3.00",
                "quantity": 2,
            }
        ],
        store_ids=[f"ghost-store-{ghost}"],
        product_ids=[f"ghost-product-{ghost}"],
        total=Decimal("6.00"),
        status="approved",
        created_at=datetime(2001, 1, 1, tzinfo=UTC),  # far in the past: first pages of other tests stay the same
        updated_at=datetime(2001, 1, 1, tzinfo=UTC),
        version=1,
    )
    async with sessions.begin() as session:
        session.add(row)
    try:
        shown = await client.get_search_order(row.id)
        [listed] = await _all(client, {"storeIds": [f"ghost-store-{ghost}"]})
    finally:
        async with sessions.begin() as session:
            found = await session.get(SearchOrderView, row.id)
            await session.delete(found)

    for order in (shown, listed):
        assert order["customerName"] == "Captured Customer"
        assert (order["items"][0]["storeName"], order["items"][0]["productName"]) == (
            "Captured Store",
            "Captured Product",
        )
        assert order["total"] == 6.0
