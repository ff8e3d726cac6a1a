"""``/api/stores`` through the real REST API → Temporal dev server → workers → Postgres read models."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlmodel import SQLModel
from temporalio.service import RPCError, RPCStatusCode

from api.schemas import error_body
from mallbots.stack import Stack
from readmodels.baskets.tables import BasketProductCache, BasketStoreCache
from readmodels.depot.tables import DepotProductCache, DepotStoreCache
from readmodels.search.tables import SearchProductCache, SearchStoreCache
from readmodels.stores.tables import ProductRow, StoreRow
from tests.ids import created_id
from workflows.stores.messages import product_workflow_id, store_workflow_id

pytestmark = pytest.mark.integration

# Who keeps a copy of stores and products (SPEC §3), by service.
STORE_READ_MODELS: dict[str, type[SQLModel]] = {
    "stores": StoreRow,
    "baskets": BasketStoreCache,
    "depot": DepotStoreCache,
    "search": SearchStoreCache,
}
PRODUCT_READ_MODELS: dict[str, type[SQLModel]] = {
    "stores": ProductRow,
    "baskets": BasketProductCache,
    "depot": DepotProductCache,
    "search": SearchProductCache,
}

Rows = dict[str, dict[str, Any] | None]


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


async def read_models(stack: Stack, tables: dict[str, type[SQLModel]], entity_id: str) -> Rows:
    """The row of ``entity_id`` in each subscriber's read model (None where it is missing)."""
    assert stack.databases is not None
    found: Rows = {}
    for service, table in tables.items():
        async with stack.databases.sessions(service)() as session:
            row = await session.get(table, entity_id)
            found[service] = None if row is None else row.model_dump()
    return found


async def workflow_exists(stack: Stack, workflow_id: str) -> bool:
    assert stack.client is not None
    try:
        await stack.client.get_workflow_handle(workflow_id).describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return True


async def create_store(api: httpx.AsyncClient, name: str | None = None, location: str = "Level 1") -> str:
    response = await api.post("/api/stores", json={"name": name or unique("Store"), "location": location})
    assert response.status_code == 200, response.text
    store_id: str = response.json()["id"]
    return store_id


async def add_product(
    api: httpx.AsyncClient, store_id: str, name: str | None = None, price: float = 10.0, **extra: Any
) -> str:
    body = {"name": name or unique("Product"), "description": "desc", "sku": "SKU-1", "price": price, **extra}
    response = await api.post(f"/api/stores/{store_id}/products", json=body)
    assert response.status_code == 200, response.text
    product_id: str = response.json()["id"]
    return product_id


def assert_error(response: httpx.Response, status: int, phrase: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert phrase in body["message"], body


# --- stores: success paths ------------------------------------------------------------------------------


async def test_a_created_store_is_answered_with_its_id_and_read_back_in_lower_camel_case(
    api: httpx.AsyncClient,
) -> None:
    name = unique("Corner Shop")

    created = await api.post("/api/stores", json={"name": f"  {name} ", "location": " Level 2 "})

    assert created.status_code == 200, created.text
    assert set(created.json()) == {"id"}
    store_id = created.json()["id"]
    assert isinstance(store_id, str) and store_id
    got = await api.get(f"/api/stores/{store_id}")
    assert got.status_code == 200, got.text
    assert got.json() == {"store": {"id": store_id, "name": name, "location": "Level 2", "participating": False}}


async def test_a_created_store_reaches_every_subscriber_read_model(stack: Stack, api: httpx.AsyncClient) -> None:
    name = unique("Store")
    store_id = await create_store(api, name=name, location="West Wing")

    rows = await read_models(stack, STORE_READ_MODELS, store_id)

    assert rows == {
        # Its owner is the subject of the token that created it (here the operator of ``stack.token()``).
        "stores": {
            "id": store_id,
            "name": name,
            "location": "West Wing",
            "participating": False,
            "owner": "operator-1",
            "version": 1,
        },
        "baskets": {"id": store_id, "name": name, "participating": False, "version": 1},
        "depot": {"id": store_id, "name": name, "location": "West Wing", "participating": False, "version": 1},
        "search": {"id": store_id, "name": name, "version": 1},
    }


async def test_the_store_list_shows_a_new_store_at_once(api: httpx.AsyncClient) -> None:
    name = unique("Listed")
    store_id = await create_store(api, name=name)

    listed = await api.get("/api/stores")

    assert listed.status_code == 200
    assert set(listed.json()) == {"stores"}
    mine = [s for s in listed.json()["stores"] if s["id"] == store_id]
    assert mine == [{"id": store_id, "name": name, "location": "Level 1", "participating": False}]


async def test_participation_is_enabled_and_disabled_and_the_participating_list_follows(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    store_id = await create_store(api)

    def participating_ids(response: httpx.Response) -> set[str]:
        assert response.status_code == 200, response.text
        return {s["id"] for s in response.json()["stores"]}

    assert store_id not in participating_ids(await api.get("/api/stores/participating"))

    enabled = await api.put(f"/api/stores/{store_id}/participating")
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["store"]["participating"] is True
    assert (await api.get(f"/api/stores/{store_id}")).json()["store"]["participating"] is True
    assert store_id in participating_ids(await api.get("/api/stores/participating"))
    rows = await read_models(stack, STORE_READ_MODELS, store_id)
    assert rows["stores"] is not None and rows["stores"]["participating"] is True
    assert rows["baskets"] is not None and rows["baskets"]["participating"] is True
    assert rows["depot"] is not None and rows["depot"]["participating"] is True
    assert {service: row["version"] for service, row in rows.items() if row} == dict.fromkeys(rows, 2)

    disabled = await api.delete(f"/api/stores/{store_id}/participating")
    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["store"]["participating"] is False
    assert (await api.get(f"/api/stores/{store_id}")).json()["store"]["participating"] is False
    assert store_id not in participating_ids(await api.get("/api/stores/participating"))
    rows = await read_models(stack, STORE_READ_MODELS, store_id)
    assert rows["baskets"] is not None and rows["baskets"]["participating"] is False
    assert rows["depot"] is not None and rows["depot"]["participating"] is False
    assert {service: row["version"] for service, row in rows.items() if row} == dict.fromkeys(rows, 3)


async def test_a_rebranded_store_shows_its_new_name_everywhere_at_once(stack: Stack, api: httpx.AsyncClient) -> None:
    store_id = await create_store(api, location="East")
    new_name = unique("Rebranded")

    rebranded = await api.put(f"/api/stores/{store_id}/rebrand", json={"name": f" {new_name} "})

    assert rebranded.status_code == 200, rebranded.text
    assert rebranded.json() == {"store": {"id": store_id, "name": new_name, "location": "East", "participating": False}}
    assert (await api.get(f"/api/stores/{store_id}")).json()["store"]["name"] == new_name
    rows = await read_models(stack, STORE_READ_MODELS, store_id)
    assert {service: (row or {}).get("name") for service, row in rows.items()} == dict.fromkeys(rows, new_name)
    assert {service: (row or {}).get("version") for service, row in rows.items()} == dict.fromkeys(rows, 2)


# --- stores: refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "phrase"),
    [
        ({"name": "", "location": "L1"}, "the store name cannot be blank"),
        ({"name": "   ", "location": "L1"}, "the store name cannot be blank"),
        ({"name": "Shop", "location": " \t "}, "the store location cannot be blank"),
        ({"location": "L1"}, "name"),
        ({"name": "Shop"}, "location"),
        ({"name": 5, "location": "L1"}, "name"),
        ({}, "name"),
    ],
    ids=["empty name", "blank name", "blank location", "missing name", "missing location", "name not text", "empty"],
)
async def test_a_store_with_invalid_input_is_refused_with_400_and_nothing_is_created(
    stack: Stack, api: httpx.AsyncClient, body: dict[str, Any], phrase: str
) -> None:
    key = str(uuid.uuid4())

    response = await api.post("/api/stores", json=body, headers={"Idempotency-Key": key})

    assert_error(response, 400, phrase)
    would_be_id = created_id("stores", key)
    assert (await api.get(f"/api/stores/{would_be_id}")).status_code == 404
    assert not await workflow_exists(stack, store_workflow_id(would_be_id))
    assert await read_models(stack, STORE_READ_MODELS, would_be_id) == dict.fromkeys(STORE_READ_MODELS)


async def test_a_body_that_is_not_json_is_refused_with_400(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/stores", content=b"{not json", headers={"Content-Type": "application/json"})
    assert_error(response, 400, "JSON")


@pytest.mark.parametrize(
    ("setup", "method", "path", "json", "status", "phrase"),
    [
        (["participating"], "PUT", "participating", None, 409, "the store is already participating"),
        ([], "DELETE", "participating", None, 409, "the store is not participating"),
        ([], "PUT", "rebrand", {"name": "  "}, 400, "the store name cannot be blank"),
        ([], "PUT", "rebrand", {}, 400, "name"),
    ],
    ids=["enable participation twice", "disable when not participating", "blank rebrand", "rebrand without name"],
)
async def test_a_refused_store_command_answers_its_status_and_writes_nothing(
    stack: Stack,
    api: httpx.AsyncClient,
    setup: list[str],
    method: str,
    path: str,
    json: dict[str, Any] | None,
    status: int,
    phrase: str,
) -> None:
    store_id = await create_store(api)
    for step in setup:
        assert (await api.put(f"/api/stores/{store_id}/{step}")).status_code == 200
    before_get = (await api.get(f"/api/stores/{store_id}")).json()
    before_rows = await read_models(stack, STORE_READ_MODELS, store_id)

    response = await api.request(method, f"/api/stores/{store_id}/{path}", json=json)

    assert_error(response, status, phrase)
    assert (await api.get(f"/api/stores/{store_id}")).json() == before_get
    assert await read_models(stack, STORE_READ_MODELS, store_id) == before_rows


@pytest.mark.parametrize(
    ("method", "path", "json"),
    [
        ("GET", "", None),
        ("PUT", "/participating", None),
        ("DELETE", "/participating", None),
        ("PUT", "/rebrand", {"name": "New"}),
        ("GET", "/products", None),
    ],
    ids=["get", "enable participation", "disable participation", "rebrand", "catalog"],
)
async def test_an_unknown_store_is_answered_with_404(
    stack: Stack, api: httpx.AsyncClient, method: str, path: str, json: dict[str, Any] | None
) -> None:
    store_id = str(uuid.uuid4())

    response = await api.request(method, f"/api/stores/{store_id}{path}", json=json)

    assert_error(response, 404, f"the store {store_id} does not exist")
    assert not await workflow_exists(stack, store_workflow_id(store_id))
    assert await read_models(stack, STORE_READ_MODELS, store_id) == dict.fromkeys(STORE_READ_MODELS)


# --- stores: idempotency --------------------------------------------------------------------------------


async def test_the_same_idempotency_key_creates_one_store_and_returns_the_same_id(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    key = str(uuid.uuid4())
    name = unique("Once")
    body = {"name": name, "location": "L1"}

    first = await api.post("/api/stores", json=body, headers={"Idempotency-Key": key})
    second = await api.post("/api/stores", json=body, headers={"Idempotency-Key": key})

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    store_id = first.json()["id"]
    listed = (await api.get("/api/stores")).json()["stores"]
    assert [s["id"] for s in listed if s["name"] == name] == [store_id]
    rows = await read_models(stack, STORE_READ_MODELS, store_id)
    assert {service: (row or {}).get("version") for service, row in rows.items()} == dict.fromkeys(rows, 1)


async def test_two_concurrent_creates_with_one_idempotency_key_create_one_store(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    key = str(uuid.uuid4())
    name = unique("Concurrent")
    body = {"name": name, "location": "L1"}

    responses = await asyncio.gather(
        api.post("/api/stores", json=body, headers={"Idempotency-Key": key}),
        api.post("/api/stores", json=body, headers={"Idempotency-Key": key}),
    )

    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
    assert responses[0].json() == responses[1].json()
    store_id = responses[0].json()["id"]
    listed = (await api.get("/api/stores")).json()["stores"]
    assert [s["id"] for s in listed if s["name"] == name] == [store_id]
    rows = await read_models(stack, STORE_READ_MODELS, store_id)
    assert {service: (row or {}).get("version") for service, row in rows.items()} == dict.fromkeys(rows, 1)


async def test_different_idempotency_keys_create_different_stores(api: httpx.AsyncClient) -> None:
    body = {"name": unique("Twin"), "location": "L1"}
    first = await api.post("/api/stores", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    second = await api.post("/api/stores", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
    without = await api.post("/api/stores", json=body)
    assert len({first.json()["id"], second.json()["id"], without.json()["id"]}) == 3


# --- products: success paths ----------------------------------------------------------------------------


async def test_an_added_product_is_read_back_in_lower_camel_case_with_its_price_as_a_number(
    api: httpx.AsyncClient,
) -> None:
    store_id = await create_store(api)
    name = unique("Widget")

    added = await api.post(
        f"/api/stores/{store_id}/products",
        json={"name": f" {name} ", "description": " Blue ", "sku": " W-1 ", "price": 19.99},
    )

    assert added.status_code == 200, added.text
    assert set(added.json()) == {"id"}
    product_id = added.json()["id"]
    got = await api.get(f"/api/stores/products/{product_id}")
    assert got.status_code == 200, got.text
    assert got.json() == {
        "product": {
            "id": product_id,
            "storeId": store_id,
            "name": name,
            "description": "Blue",
            "sku": "W-1",
            "price": 19.99,
        }
    }


async def test_an_added_product_reaches_every_subscriber_read_model_with_an_exact_price(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    store_id = await create_store(api)
    name = unique("Exact")
    product_id = await add_product(api, store_id, name=name, price=12.5)

    rows = await read_models(stack, PRODUCT_READ_MODELS, product_id)

    assert rows == {
        "stores": {
            "id": product_id,
            "store_id": store_id,
            "name": name,
            "description": "desc",
            "sku": "SKU-1",
            "price": Decimal("12.50"),
            "removed": False,
            "version": 1,
        },
        "baskets": {
            "id": product_id,
            "store_id": store_id,
            "name": name,
            "price": Decimal("12.50"),
            "removed": False,
            "version": 1,
        },
        "depot": {"id": product_id, "store_id": store_id, "name": name, "removed": False, "version": 1},
        "search": {"id": product_id, "store_id": store_id, "name": name, "version": 1},
    }
    assert (await api.get(f"/api/stores/products/{product_id}")).json()["product"]["price"] == 12.5


async def test_a_product_may_be_added_without_description_or_sku(api: httpx.AsyncClient) -> None:
    store_id = await create_store(api)
    response = await api.post(f"/api/stores/{store_id}/products", json={"name": "Plain", "price": 0})
    assert response.status_code == 200, response.text
    product = (await api.get(f"/api/stores/products/{response.json()['id']}")).json()["product"]
    assert (product["description"], product["sku"], product["price"]) == ("", "", 0)


async def test_the_catalog_lists_the_live_products_of_its_store_only_sorted_by_name(api: httpx.AsyncClient) -> None:
    store_id = await create_store(api)
    other_store = await create_store(api)
    b = await add_product(api, store_id, name="B product", price=2)
    a = await add_product(api, store_id, name="A product", price=1)
    await add_product(api, other_store, name="Elsewhere")

    catalog = await api.get(f"/api/stores/{store_id}/products")

    assert catalog.status_code == 200, catalog.text
    assert set(catalog.json()) == {"products"}
    assert [(p["id"], p["name"], p["storeId"]) for p in catalog.json()["products"]] == [
        (a, "A product", store_id),
        (b, "B product", store_id),
    ]
    empty_store = await create_store(api)
    assert (await api.get(f"/api/stores/{empty_store}/products")).json() == {"products": []}


async def test_a_rebranded_product_shows_its_new_name_everywhere_at_once(stack: Stack, api: httpx.AsyncClient) -> None:
    store_id = await create_store(api)
    product_id = await add_product(api, store_id)
    new_name = unique("Gadget")

    rebranded = await api.put(
        f"/api/stores/products/{product_id}/rebrand", json={"name": new_name, "description": "New desc"}
    )

    assert rebranded.status_code == 200, rebranded.text
    assert set(rebranded.json()) == {"product"}
    assert rebranded.json()["product"]["name"] == new_name
    got = (await api.get(f"/api/stores/products/{product_id}")).json()["product"]
    assert (got["name"], got["description"]) == (new_name, "New desc")
    rows = await read_models(stack, PRODUCT_READ_MODELS, product_id)
    assert {s: (r or {}).get("name") for s, r in rows.items()} == dict.fromkeys(rows, new_name)
    assert {s: (r or {}).get("version") for s, r in rows.items()} == dict.fromkeys(rows, 2)
    assert rows["stores"] is not None and rows["stores"]["description"] == "New desc"


@pytest.mark.parametrize(
    ("path", "start", "new", "stored"),
    [
        ("increasePrice", 10.0, 12.25, Decimal("12.25")),
        ("decreasePrice", 10.0, 7.5, Decimal("7.50")),
        ("decreasePrice", 10.0, 0, Decimal("0.00")),
    ],
    ids=["increase", "decrease", "decrease to free"],
)
async def test_a_price_change_is_visible_at_once_and_in_the_baskets_copy(
    stack: Stack, api: httpx.AsyncClient, path: str, start: float, new: float, stored: Decimal
) -> None:
    store_id = await create_store(api)
    product_id = await add_product(api, store_id, price=start)

    changed = await api.put(f"/api/stores/products/{product_id}/{path}", json={"price": new})

    assert changed.status_code == 200, changed.text
    assert changed.json()["product"]["price"] == new
    assert (await api.get(f"/api/stores/products/{product_id}")).json()["product"]["price"] == new
    rows = await read_models(stack, PRODUCT_READ_MODELS, product_id)
    assert rows["stores"] is not None and rows["stores"]["price"] == stored
    assert rows["baskets"] is not None and rows["baskets"]["price"] == stored
    assert {s: (r or {}).get("version") for s, r in rows.items()} == dict.fromkeys(rows, 2)


async def test_a_removed_product_is_gone_from_the_api_and_marked_removed_in_every_copy(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    store_id = await create_store(api)
    product_id = await add_product(api, store_id)

    removed = await api.delete(f"/api/stores/products/{product_id}")

    assert removed.status_code == 200, removed.text
    assert removed.json()["product"]["id"] == product_id
    assert_error(await api.get(f"/api/stores/products/{product_id}"), 404, "does not exist")
    catalog = (await api.get(f"/api/stores/{store_id}/products")).json()["products"]
    assert product_id not in [p["id"] for p in catalog]
    rows = await read_models(stack, PRODUCT_READ_MODELS, product_id)
    assert rows["stores"] is not None and rows["stores"]["removed"] is True
    assert rows["baskets"] is not None and rows["baskets"]["removed"] is True
    assert rows["depot"] is not None and rows["depot"]["removed"] is True
    assert {s: (r or {}).get("version") for s, r in rows.items()} == dict.fromkeys(rows, 2)


@pytest.mark.parametrize(
    ("method", "path", "json"),
    [
        ("DELETE", "", None),
        ("PUT", "/rebrand", {"name": "Again"}),
        ("PUT", "/increasePrice", {"price": 99}),
        ("PUT", "/decreasePrice", {"price": 1}),
    ],
    ids=["remove again", "rebrand", "increase price", "decrease price"],
)
async def test_a_command_on_a_removed_product_is_answered_with_404_and_writes_nothing(
    stack: Stack, api: httpx.AsyncClient, method: str, path: str, json: dict[str, Any] | None
) -> None:
    store_id = await create_store(api)
    product_id = await add_product(api, store_id)
    assert (await api.delete(f"/api/stores/products/{product_id}")).status_code == 200
    before = await read_models(stack, PRODUCT_READ_MODELS, product_id)

    response = await api.request(method, f"/api/stores/products/{product_id}{path}", json=json)

    assert_error(response, 404, f"the product {product_id} does not exist")
    assert await read_models(stack, PRODUCT_READ_MODELS, product_id) == before


# --- products: refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "phrase"),
    [
        ({"name": " ", "price": 1}, 400, "the product name cannot be blank"),
        ({"name": "Thing", "price": -0.01}, 400, "the product price cannot be negative"),
        ({"name": "Thing", "price": -100}, 400, "the product price cannot be negative"),
        ({"price": 1}, 400, "the product name cannot be blank"),
        ({"name": "Thing", "price": "cheap"}, 400, "price: Value error, must be a JSON number"),
    ],
    ids=["blank name", "negative price", "very negative price", "missing name", "price not a number"],
)
async def test_a_product_with_invalid_input_is_refused_with_400_and_nothing_is_created(
    stack: Stack, api: httpx.AsyncClient, body: dict[str, Any], status: int, phrase: str
) -> None:
    store_id = await create_store(api)
    key = str(uuid.uuid4())

    response = await api.post(f"/api/stores/{store_id}/products", json=body, headers={"Idempotency-Key": key})

    assert_error(response, status, phrase)
    would_be_id = created_id(f"products:{store_id}", key)
    assert not await workflow_exists(stack, product_workflow_id(would_be_id))
    assert await read_models(stack, PRODUCT_READ_MODELS, would_be_id) == dict.fromkeys(PRODUCT_READ_MODELS)
    assert (await api.get(f"/api/stores/{store_id}/products")).json() == {"products": []}


async def test_a_product_sent_without_a_price_is_free_as_proto3_reads_it(api: httpx.AsyncClient) -> None:
    store_id = await create_store(api)
    added = await api.post(f"/api/stores/{store_id}/products", json={"name": "Leaflet"})
    assert added.status_code == 200, added.text
    assert (await api.get(f"/api/stores/products/{added.json()['id']}")).json()["product"]["price"] == 0


async def test_a_product_of_an_unknown_store_is_refused_with_404_and_nothing_is_created(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    store_id = str(uuid.uuid4())
    key = str(uuid.uuid4())

    response = await api.post(
        f"/api/stores/{store_id}/products", json={"name": "Orphan", "price": 1}, headers={"Idempotency-Key": key}
    )

    assert_error(response, 404, f"the store {store_id} does not exist")
    would_be_id = created_id(f"products:{store_id}", key)
    assert not await workflow_exists(stack, product_workflow_id(would_be_id))
    assert await read_models(stack, PRODUCT_READ_MODELS, would_be_id) == dict.fromkeys(PRODUCT_READ_MODELS)


@pytest.mark.parametrize(
    ("path", "json", "phrase"),
    [
        ("rebrand", {"name": "  ", "description": "x"}, "the product name cannot be blank"),
        ("rebrand", {"description": "x"}, "name"),
        ("increasePrice", {"price": 10}, "the new price must be higher than the current price 10.00"),
        ("increasePrice", {"price": 9.99}, "the new price must be higher than the current price 10.00"),
        ("increasePrice", {"price": -1}, "the product price cannot be negative"),
        ("increasePrice", {}, "price"),
        ("decreasePrice", {"price": 10}, "the new price must be lower than the current price 10.00"),
        ("decreasePrice", {"price": 10.01}, "the new price must be lower than the current price 10.00"),
        ("decreasePrice", {"price": -1}, "the product price cannot be negative"),
        ("decreasePrice", {"price": "less"}, "price"),
    ],
    ids=[
        "blank rebrand",
        "rebrand without name",
        "increase to the same price",
        "increase to a lower price",
        "increase to a negative price",
        "increase without price",
        "decrease to the same price",
        "decrease to a higher price",
        "decrease to a negative price",
        "decrease to a non-number",
    ],
)
async def test_a_refused_product_command_answers_400_and_writes_nothing(
    stack: Stack, api: httpx.AsyncClient, path: str, json: dict[str, Any], phrase: str
) -> None:
    store_id = await create_store(api)
    product_id = await add_product(api, store_id, price=10)
    before_get = (await api.get(f"/api/stores/products/{product_id}")).json()
    before_rows = await read_models(stack, PRODUCT_READ_MODELS, product_id)

    response = await api.put(f"/api/stores/products/{product_id}/{path}", json=json)

    assert_error(response, 400, phrase)
    assert (await api.get(f"/api/stores/products/{product_id}")).json() == before_get
    assert await read_models(stack, PRODUCT_READ_MODELS, product_id) == before_rows


@pytest.mark.parametrize(
    ("method", "path", "json"),
    [
        ("GET", "", None),
        ("DELETE", "", None),
        ("PUT", "/rebrand", {"name": "New"}),
        ("PUT", "/increasePrice", {"price": 99}),
        ("PUT", "/decreasePrice", {"price": 1}),
    ],
    ids=["get", "remove", "rebrand", "increase price", "decrease price"],
)
async def test_an_unknown_product_is_answered_with_404(
    stack: Stack, api: httpx.AsyncClient, method: str, path: str, json: dict[str, Any] | None
) -> None:
    product_id = str(uuid.uuid4())

    response = await api.request(method, f"/api/stores/products/{product_id}{path}", json=json)

    assert_error(response, 404, f"the product {product_id} does not exist")
    assert not await workflow_exists(stack, product_workflow_id(product_id))


# --- products: idempotency ------------------------------------------------------------------------------


async def test_the_same_idempotency_key_adds_one_product_and_returns_the_same_id(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    store_id = await create_store(api)
    key = str(uuid.uuid4())
    body = {"name": unique("Once"), "price": 3}

    first = await api.post(f"/api/stores/{store_id}/products", json=body, headers={"Idempotency-Key": key})
    second = await api.post(f"/api/stores/{store_id}/products", json=body, headers={"Idempotency-Key": key})

    assert first.status_code == second.status_code == 200, [first.text, second.text]
    assert first.json() == second.json()
    product_id = first.json()["id"]
    catalog = (await api.get(f"/api/stores/{store_id}/products")).json()["products"]
    assert [p["id"] for p in catalog] == [product_id]
    rows = await read_models(stack, PRODUCT_READ_MODELS, product_id)
    assert {s: (r or {}).get("version") for s, r in rows.items()} == dict.fromkeys(rows, 1)


async def test_two_concurrent_adds_with_one_idempotency_key_add_one_product(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    store_id = await create_store(api)
    key = str(uuid.uuid4())
    body = {"name": unique("Concurrent"), "price": 3}

    responses = await asyncio.gather(
        api.post(f"/api/stores/{store_id}/products", json=body, headers={"Idempotency-Key": key}),
        api.post(f"/api/stores/{store_id}/products", json=body, headers={"Idempotency-Key": key}),
    )

    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
    assert responses[0].json() == responses[1].json()
    product_id = responses[0].json()["id"]
    catalog = (await api.get(f"/api/stores/{store_id}/products")).json()["products"]
    assert [p["id"] for p in catalog] == [product_id]
    rows = await read_models(stack, PRODUCT_READ_MODELS, product_id)
    assert {s: (r or {}).get("version") for s, r in rows.items()} == dict.fromkeys(rows, 1)


async def test_replaying_the_add_of_a_removed_product_returns_its_id_and_does_not_revive_it(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    store_id = await create_store(api)
    key = str(uuid.uuid4())
    body = {"name": unique("Gone"), "price": 3}
    product_id = (
        await api.post(f"/api/stores/{store_id}/products", json=body, headers={"Idempotency-Key": key})
    ).json()["id"]
    assert (await api.delete(f"/api/stores/products/{product_id}")).status_code == 200
    before = await read_models(stack, PRODUCT_READ_MODELS, product_id)

    again = await api.post(f"/api/stores/{store_id}/products", json=body, headers={"Idempotency-Key": key})

    assert again.status_code == 200, again.text
    assert again.json() == {"id": product_id}
    assert (await api.get(f"/api/stores/products/{product_id}")).status_code == 404
    assert (await api.get(f"/api/stores/{store_id}/products")).json() == {"products": []}
    assert await read_models(stack, PRODUCT_READ_MODELS, product_id) == before


async def test_one_idempotency_key_is_for_one_request_so_another_store_refuses_it(api: httpx.AsyncClient) -> None:
    key = str(uuid.uuid4())
    first_store, second_store = await create_store(api), await create_store(api)
    body = {"name": "Same", "price": 1}

    first = await api.post(f"/api/stores/{first_store}/products", json=body, headers={"Idempotency-Key": key})
    second = await api.post(f"/api/stores/{second_store}/products", json=body, headers={"Idempotency-Key": key})

    assert first.status_code == 200, first.text
    assert second.status_code == 422, second.text
    assert second.json() == error_body(
        422,
        f"the Idempotency-Key {key!r} was first used for POST /api/stores/{first_store}/products; "
        "use a new key for a new request",
    )
    first_catalog = (await api.get(f"/api/stores/{first_store}/products")).json()["products"]
    assert [p["id"] for p in first_catalog] == [first.json()["id"]]
    assert (await api.get(f"/api/stores/{second_store}/products")).json()["products"] == []


# --- bounds ---------------------------------------------------------------------------------------------


async def test_the_highest_allowed_price_is_accepted_and_stored_exactly(stack: Stack, api: httpx.AsyncClient) -> None:
    store_id = await create_store(api)

    product_id = await add_product(api, store_id, price=999999.99)
    raised = await api.put(f"/api/stores/products/{product_id}/increasePrice", json={"price": 1000000})

    assert raised.status_code == 200, raised.text
    assert raised.json()["product"]["price"] == 1000000
    rows = await read_models(stack, PRODUCT_READ_MODELS, product_id)
    assert rows["stores"] is not None and rows["stores"]["price"] == Decimal("1000000.00")
    assert rows["baskets"] is not None and rows["baskets"]["price"] == Decimal("1000000.00")


@pytest.mark.parametrize("price", [1000000.01, 1e10, 1e30], ids=["a cent too dear", "1e10", "1e30"])
async def test_a_price_above_the_highest_allowed_is_refused_with_400_and_nothing_is_written(
    stack: Stack, api: httpx.AsyncClient, price: float
) -> None:
    store_id = await create_store(api)
    product_id = await add_product(api, store_id, price=10)
    before = await read_models(stack, PRODUCT_READ_MODELS, product_id)
    key = str(uuid.uuid4())

    added = await api.post(
        f"/api/stores/{store_id}/products", json={"name": "Dear", "price": price}, headers={"Idempotency-Key": key}
    )
    raised = await api.put(f"/api/stores/products/{product_id}/increasePrice", json={"price": price})

    assert_error(added, 400, "the product price cannot be more than 1000000.00")
    assert_error(raised, 400, "the product price cannot be more than 1000000.00")
    assert not await workflow_exists(stack, product_workflow_id(created_id(f"products:{store_id}", key)))
    assert await read_models(stack, PRODUCT_READ_MODELS, product_id) == before


async def test_an_idempotency_key_of_200_characters_is_accepted_and_a_longer_one_refused_with_400(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    body = {"name": unique("Keyed"), "location": "L1"}
    longest, too_long = uuid.uuid4().hex + "k" * 168, uuid.uuid4().hex + "k" * 169

    accepted = await api.post("/api/stores", json=body, headers={"Idempotency-Key": longest})
    refused = await api.post("/api/stores", json=body, headers={"Idempotency-Key": too_long})

    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["id"] == created_id("stores", longest)
    assert_error(refused, 400, "200")
    assert not await workflow_exists(stack, store_workflow_id(created_id("stores", too_long)))
