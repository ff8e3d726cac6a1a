"""A client written for the book works unchanged: its wire format, endpoint by endpoint, as the book's
grpc-gateway (v2, default marshaler) serves it — written from the book's API definitions, in our words.

What the gateway does that a client may rely on: every request field is optional (missing or null is the
zero value, and the domain rule answers), snake_case (proto) names are read as well as lowerCamelCase, a
body is JSON whatever its Content-Type and may be empty, every response field is present, int64 fields
are JSON strings, and errors are ``{"code": <gRPC code>, "message": ..., "details": [...]}``. Where our
statuses deliberately differ (404 and 409 where the book answers 400, 500 or 200), the README's table says.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from typing import Any

import httpx
import pytest

JsonType = type | tuple[type, ...]
NUMBER = (int, float)

STORE: dict[str, JsonType] = {"id": str, "name": str, "location": str, "participating": bool}
PRODUCT: dict[str, JsonType] = {"id": str, "storeId": str, "name": str, "description": str, "sku": str, "price": NUMBER}
CUSTOMER: dict[str, JsonType] = {"id": str, "name": str, "smsNumber": str, "enabled": bool}
BASKET_ITEM: dict[str, JsonType] = {
    "storeId": str,
    "productId": str,
    "storeName": str,
    "productName": str,
    "productPrice": NUMBER,
    "quantity": int,
}
ORDER_ITEM: dict[str, JsonType] = {
    "storeId": str,
    "productId": str,
    "storeName": str,
    "productName": str,
    "price": NUMBER,
    "quantity": int,
}
SEARCH_ITEM: dict[str, JsonType] = {
    "productId": str,
    "storeId": str,
    "productName": str,
    "storeName": str,
    "price": NUMBER,
    "quantity": str,
}
SEARCH_ORDER: dict[str, JsonType] = {
    "orderId": str,
    "customerId": str,
    "customerName": str,
    "total": NUMBER,
    "status": str,
}
GRPC = {400: 3, 404: 5, 409: 10}


def assert_message(value: Mapping[str, Any], shape: Mapping[str, JsonType]) -> bool:
    """Every field the book's message has is there, with the JSON type proto3 gives it (ours may add more)."""
    for name, json_type in shape.items():
        assert name in value, f"{name} is missing from {value}"
        assert isinstance(value[name], json_type) and not (json_type is int and isinstance(value[name], bool)), (
            name,
            value[name],
        )
    return True


def assert_error(response: httpx.Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body == {"code": GRPC[status], "message": message, "details": []}, body


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


async def _open_shop(api: httpx.AsyncClient) -> dict[str, str]:
    store = (await api.post("/api/stores", json={"name": unique("Book Store"), "location": "Level 2"})).json()["id"]
    await api.put(f"/api/stores/{store}/participating")
    product = (
        await api.post(f"/api/stores/{store}/products", json={"name": unique("Book"), "sku": "B-1", "price": 9.99})
    ).json()["id"]
    customer = (await api.post("/api/customers", json={"name": unique("Reader"), "smsNumber": "+1 555 0199"})).json()[
        "id"
    ]
    return {"store": store, "product": product, "customer": customer}


# --- requests: optional fields, null, snake_case, any Content-Type, empty bodies ----------------------------


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("/api/stores", {}, 400, "the store name cannot be blank"),
        ("/api/stores", {"name": None, "location": "L"}, 400, "the store name cannot be blank"),
        ("/api/stores", {"name": "Waldorf"}, 400, "the store location cannot be blank"),
        ("/api/customers", {"smsNumber": "+1 555 0100"}, 400, "the customer name cannot be blank"),
        ("/api/customers", {"name": "Ada", "smsNumber": None}, 400, "the SMS number cannot be blank"),
        ("/api/baskets", {}, 400, "the customer ID cannot be blank"),
        ("/api/payments", {"customerId": "c-1"}, 400, "the payment amount must be greater than zero"),
        ("/api/ordering", {"customerId": "c-1", "paymentId": "p-1"}, 400, "the order has no items"),
        ("/api/depot/shopping", {"items": []}, 400, "the order ID cannot be blank"),
    ],
)
async def test_a_field_left_out_or_null_is_its_zero_value_and_the_domain_rule_answers(
    api: httpx.AsyncClient, path: str, body: dict[str, Any], status: int, message: str
) -> None:
    assert_error(await api.post(path, json=body), status, message)


async def test_an_empty_body_is_an_object_of_zero_values(api: httpx.AsyncClient) -> None:
    refused = await api.post("/api/stores", content=b"", headers={"content-type": "application/json"})
    assert_error(refused, 400, "the store name cannot be blank")


async def test_snake_case_proto_names_are_read_like_camel_case(api: httpx.AsyncClient) -> None:
    shop = await _open_shop(api)
    customer = await api.post("/api/customers", json={"name": unique("Snake"), "sms_number": "+1 555 0123"})
    assert customer.status_code == 200, customer.text
    assert (await api.get(f"/api/customers/{customer.json()['id']}")).json()["customer"]["smsNumber"] == "+1 555 0123"
    basket = await api.post("/api/baskets", json={"customer_id": shop["customer"]})
    assert basket.status_code == 200, basket.text
    added = await api.put(
        f"/api/baskets/{basket.json()['id']}/addItem", json={"product_id": shop["product"], "quantity": 2}
    )
    assert added.status_code == 200, added.text
    assert [i["productId"] for i in added.json()["basket"]["items"]] == [shop["product"]]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/octet-stream", "application/x-www-form-urlencoded"]
)
async def test_a_json_body_is_read_whatever_its_content_type(api: httpx.AsyncClient, content_type: str) -> None:
    created = await api.post(
        "/api/stores",
        content=f'{{"name": "{unique("Typed")}", "location": "L"}}'.encode(),
        headers={"content-type": content_type},
    )
    assert created.status_code == 200, created.text
    assert_message(created.json(), {"id": str})


async def test_commands_without_a_body_take_none(api: httpx.AsyncClient) -> None:
    shop = await _open_shop(api)
    # the book's client sends `{}` or nothing at all for these: both work
    assert (await api.delete(f"/api/stores/{shop['store']}/participating")).status_code == 200
    assert (await api.put(f"/api/stores/{shop['store']}/participating", json={})).status_code == 200


async def _ordered(api: httpx.AsyncClient, order_id: str) -> dict[str, Any]:
    """A checkout answers once the basket is closed; the order's own read model follows its first event."""
    async with asyncio.timeout(30):
        while True:
            answer = await api.get(f"/api/ordering/{order_id}")
            if answer.status_code == 200:
                order: dict[str, Any] = answer.json()["order"]
                return order
            await asyncio.sleep(0.05)


async def _searched(api: httpx.AsyncClient, customer_id: str) -> dict[str, Any]:
    """Search follows the order's events (eventually): wait, on its answers, until it shows the order."""
    async with asyncio.timeout(30):
        while True:
            found: dict[str, Any] = (
                await api.post("/api/search/orders", json={"filters": {"customerId": customer_id}})
            ).json()
            if found["orders"]:
                return found
            await asyncio.sleep(0.05)


# --- responses: the book's fields, with proto3's JSON types ----------------------------------------------


async def test_stores_products_and_customers_answer_the_books_messages(api: httpx.AsyncClient) -> None:
    shop = await _open_shop(api)
    assert_message((await api.get(f"/api/stores/{shop['store']}")).json()["store"], STORE)
    for listing in ("/api/stores", "/api/stores/participating"):
        stores = (await api.get(listing)).json()["stores"]
        assert stores and all(assert_message(s, STORE) for s in stores)
    assert_message((await api.get(f"/api/stores/products/{shop['product']}")).json()["product"], PRODUCT)
    catalog = (await api.get(f"/api/stores/{shop['store']}/products")).json()["products"]
    assert len(catalog) == 1 and all(assert_message(p, PRODUCT) for p in catalog)
    assert_message((await api.get(f"/api/customers/{shop['customer']}")).json()["customer"], CUSTOMER)


async def test_baskets_orders_and_search_answer_the_books_messages(api: httpx.AsyncClient) -> None:
    shop = await _open_shop(api)
    payment = (await api.post("/api/payments", json={"customerId": shop["customer"], "amount": 100})).json()["id"]
    basket_id = (await api.post("/api/baskets", json={"customerId": shop["customer"]})).json()["id"]
    await api.put(f"/api/baskets/{basket_id}/addItem", json={"productId": shop["product"], "quantity": 3})

    basket = (await api.get(f"/api/baskets/{basket_id}")).json()["basket"]
    assert_message(basket, {"id": str, "items": list})
    assert [assert_message(i, BASKET_ITEM) for i in basket["items"]] == [True]
    assert basket["items"][0]["productPrice"] == 9.99 and basket["items"][0]["quantity"] == 3

    await api.put(f"/api/baskets/{basket_id}/checkout", json={"paymentId": payment})
    order = await _ordered(api, basket_id)
    assert_message(order, {"id": str, "customerId": str, "paymentId": str, "items": list, "status": str})
    assert [assert_message(i, ORDER_ITEM) for i in order["items"]] == [True]

    found = await _searched(api, shop["customer"])
    assert found["next"] == ""  # one page: proto3 writes the unset cursor as an empty string
    (view,) = found["orders"]
    assert_message(view, SEARCH_ORDER)
    assert view["orderId"] == basket_id
    assert [assert_message(i, SEARCH_ITEM) for i in view["items"]] == [True]
    assert view["items"][0]["quantity"] == "3"  # int64: a JSON string
    assert_message((await api.get(f"/api/search/orders/{basket_id}")).json()["order"], SEARCH_ORDER)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/stores", {"name": "x", "location": "y"}),
        ("/api/customers", {"name": "x", "smsNumber": "+1 555 0100"}),
    ],
)
async def test_a_create_answers_the_new_id(api: httpx.AsyncClient, path: str, body: dict[str, str]) -> None:
    created = await api.post(path, json={**body, "name": unique(body["name"])})
    assert created.status_code == 200
    assert_message(created.json(), {"id": str})


# --- errors: the gateway's body, with the gRPC code of our status --------------------------------------


async def test_errors_are_the_gateways_status_body(api: httpx.AsyncClient) -> None:
    shop = await _open_shop(api)
    assert_error(
        await api.post("/api/stores", json={"name": " ", "location": "L"}), 400, "the store name cannot be blank"
    )
    assert_error(await api.get("/api/stores/nope"), 404, "the store nope does not exist")
    assert_error(await api.put(f"/api/stores/{shop['store']}/participating"), 409, "the store is already participating")
    unknown_route = await api.get("/api/stores/a/b/c")
    assert unknown_route.status_code == 404 and set(unknown_route.json()) == {"code", "message", "details"}


# --- the book's depot endpoints, for operators ------------------------------------------------------------


async def test_an_operator_opens_and_cancels_a_shopping_list_by_hand(api: httpx.AsyncClient) -> None:
    shop = await _open_shop(api)
    order_id = f"manual-{uuid.uuid4().hex[:8]}"
    body = {"orderId": order_id, "items": [{"productId": shop["product"], "storeId": shop["store"], "quantity": 2}]}

    created = await api.post("/api/depot/shopping", json=body)
    again = await api.post("/api/depot/shopping", json=body)

    assert created.status_code == 200, created.text
    assert created.json() == again.json() == {"id": order_id}
    shopping_list = (await api.get(f"/api/depot/shopping/{order_id}")).json()["shoppingList"]
    assert (shopping_list["status"], shopping_list["stops"][0]["items"][0]["quantity"]) == ("pending", 2)

    cancelled = await api.post(f"/api/depot/shopping/{order_id}")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["shoppingList"]["status"] == "cancelled"
    assert_error(await api.post(f"/api/depot/shopping/{order_id}"), 409, "the shopping list is already cancelled")


@pytest.mark.parametrize(
    ("items", "status", "message"),
    [
        ([{"productId": "nope", "storeId": "s", "quantity": 1}], 404, "the product nope does not exist"),
        ([{"productId": "p", "storeId": "s", "quantity": 0}], 400, "the quantity must be at least 1"),
    ],
)
async def test_a_hand_made_list_for_what_the_depot_does_not_know_is_refused(
    api: httpx.AsyncClient, items: list[dict[str, Any]], status: int, message: str
) -> None:
    assert_error(await api.post("/api/depot/shopping", json={"orderId": "o-1", "items": items}), status, message)


# --- money: a float sum of whole cents is that amount; a real fraction of a cent is refused ----------------


async def test_the_books_float_totals_are_taken_as_the_cents_they_stand_for(api: httpx.AsyncClient) -> None:
    shop = await _open_shop(api)
    request = api.build_request(
        "POST",
        "/api/payments",
        content=f'{{"customerId": "{shop["customer"]}", "amount": 29.970000000000002}}'.encode(),
        headers={"content-type": "application/json"},
    )
    created = await api.send(request)
    assert created.status_code == 200, created.text
    assert (await api.get(f"/api/payments/{created.json()['id']}")).json()["payment"]["amount"] == 29.97
    half_cent = await api.post("/api/payments", json={"customerId": shop["customer"], "amount": 29.975})
    assert_error(half_cent, 400, "the payment amount cannot have fractions of a cent")
