"""What a hostile client sends — control characters, huge or binary text, malformed IDs, numbers a float
cannot hold, broken JSON, wrong methods, oversized bodies — is refused with a clear 4xx in the one error
shape, writes nothing, and never jams the entity it was aimed at: its next command still answers."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from api.schemas import error_body
from mallbots.stack import Stack
from tests.integration.conftest import Shop

CONTROLS = ["\x00", "\x07", "\x1b[2J", "\x7f", "\x9b", "\ud800"]


def _raw(api: httpx.AsyncClient, method: str, path: str, text: str, **headers: str) -> httpx.Request:
    """A request with exactly this body text (json= would escape or refuse some of it)."""
    return api.build_request(
        method,
        path,
        content=text.encode("utf-8", "surrogatepass"),
        headers={"content-type": "application/json", **headers},
    )


async def _store(api: httpx.AsyncClient, name: str = "Hostile Harbour") -> str:
    created = await api.post("/api/stores", json={"name": f"{name} {uuid.uuid4().hex[:6]}", "location": "Pier 1"})
    assert created.status_code == 200, created.text
    store_id: str = created.json()["id"]
    return store_id


async def _product(api: httpx.AsyncClient, store_id: str) -> str:
    added = await api.post(f"/api/stores/{store_id}/products", json={"name": "Rope", "price": 3.5})
    assert added.status_code == 200, added.text
    product_id: str = added.json()["id"]
    return product_id


# --- control characters: every text field, and the entity still answers ---------------------------------


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: f"U+{ord(c[0]):04X}")
@pytest.mark.parametrize(
    ("field", "what"), [("name", "store name"), ("location", "store location")], ids=["name", "location"]
)
async def test_a_store_with_a_control_character_is_refused_and_nothing_is_created(
    api: httpx.AsyncClient, control: str, field: str, what: str
) -> None:
    body = {"name": "Corner Shop", "location": "Level 1", field: f"Corner{control}Shop"}
    before = len((await api.get("/api/stores")).json()["stores"])

    refused = await api.send(_raw(api, "POST", "/api/stores", json.dumps(body, ensure_ascii=False)))

    assert refused.status_code == 400, refused.text
    assert refused.json() == error_body(400, f"the {what} cannot contain control characters")
    assert len((await api.get("/api/stores")).json()["stores"]) == before


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: f"U+{ord(c[0]):04X}")
async def test_a_rebrand_with_a_control_character_is_refused_and_the_store_goes_on(
    api: httpx.AsyncClient, control: str
) -> None:
    store_id = await _store(api)

    refused = await api.send(
        _raw(api, "PUT", f"/api/stores/{store_id}/rebrand", json.dumps({"name": f"A{control}"}, ensure_ascii=False))
    )
    renamed = await api.put(f"/api/stores/{store_id}/rebrand", json={"name": "Clean Name"})

    assert refused.status_code == 400 and refused.json() == error_body(
        400, "the store name cannot contain control characters"
    )
    assert renamed.status_code == 200, renamed.text
    assert (await api.get(f"/api/stores/{store_id}")).json()["store"]["name"] == "Clean Name"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "Rope\x00", "price": 1}, "the product name cannot contain control characters"),
        (
            {"name": "Rope", "description": "a\x00b", "price": 1},
            "the product description cannot contain control characters",
        ),
        ({"name": "Rope", "sku": "R\t1", "price": 1}, "the SKU cannot contain control characters"),
        ({"name": "R" * 101, "price": 1}, "the product name cannot be longer than 100 characters"),
        (
            {"name": "Rope", "description": "d" * 2001, "price": 1},
            "the product description cannot be longer than 2000 characters",
        ),
        ({"name": "Rope", "sku": "S" * 65, "price": 1}, "the SKU cannot be longer than 64 characters"),
    ],
)
async def test_a_product_with_bad_text_is_refused_and_the_catalog_is_unchanged(
    api: httpx.AsyncClient, body: dict[str, object], message: str
) -> None:
    store_id = await _store(api)

    refused = await api.post(f"/api/stores/{store_id}/products", json=body)

    assert (refused.status_code, refused.json()) == (400, error_body(400, message))
    assert (await api.get(f"/api/stores/{store_id}/products")).json()["products"] == []


async def test_a_multiline_description_keeps_its_lines(api: httpx.AsyncClient) -> None:
    store_id = await _store(api)
    added = await api.post(
        f"/api/stores/{store_id}/products", json={"name": "Rope", "description": "10 m\n\tbraided", "price": 1}
    )
    assert added.status_code == 200, added.text
    assert (await api.get(f"/api/stores/products/{added.json()['id']}")).json()["product"]["description"] == (
        "10 m\n\tbraided"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "Ada\x00", "smsNumber": "+1 555 0100"}, "the customer name cannot contain control characters"),
        ({"name": "Ada", "smsNumber": "555\x000100"}, "the SMS number cannot contain control characters"),
        ({"name": "A" * 5000, "smsNumber": "+1 555 0100"}, "the customer name cannot be longer than 100 characters"),
        ({"name": "Ada", "smsNumber": "5" * 40}, "the SMS number cannot be longer than 32 characters"),
    ],
)
async def test_a_customer_with_bad_text_is_refused(api: httpx.AsyncClient, body: dict[str, str], message: str) -> None:
    refused = await api.post("/api/customers", json=body)
    assert (refused.status_code, refused.json()) == (400, error_body(400, message))


async def test_a_bot_id_with_a_control_character_is_refused(api: httpx.AsyncClient, shop: Shop) -> None:
    refused = await api.put("/api/depot/shopping/some-list/assign", json={"botId": "bot\x00"})
    assert (refused.status_code, refused.json()) == (400, error_body(400, "the bot ID is not a valid ID"))


# --- bounds that keep Temporal's limits out of reach ------------------------------------------------------


async def test_a_5000_character_store_name_is_refused(api: httpx.AsyncClient) -> None:
    refused = await api.post("/api/stores", json={"name": "x" * 5000, "location": "Level 1"})
    assert (refused.status_code, refused.json()) == (
        400,
        error_body(400, "the store name cannot be longer than 100 characters"),
    )


async def test_the_longest_names_in_four_byte_characters_fit_temporals_summary(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    assert stack.client is not None
    created = await api.post("/api/stores", json={"name": "🛒" * 100, "location": "🏬" * 200})

    assert created.status_code == 200, created.text
    described = await stack.client.get_workflow_handle(f"store:{created.json()['id']}").describe()
    summary = await described.static_summary()
    assert summary is not None and len(summary.encode()) <= 400 and summary.startswith("Store 🛒")


async def test_an_order_of_more_lines_than_its_search_attribute_holds_is_refused(api: httpx.AsyncClient) -> None:
    items = [{"productId": f"p-{i}", "quantity": 1} for i in range(41)]
    refused = await api.post("/api/ordering", json={"customerId": "c-1", "paymentId": "p-1", "items": items})
    assert refused.status_code == 400, refused.text
    assert "items" in refused.json()["message"] and "40" in refused.json()["message"]


async def test_a_search_naming_too_many_stores_is_refused(api: httpx.AsyncClient) -> None:
    refused = await api.post("/api/search/orders", json={"filters": {"storeIds": [f"s-{i}" for i in range(51)]}})
    assert refused.status_code == 400, refused.text
    assert "50" in refused.json()["message"]


# --- IDs --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/stores/a%00b",
        "/api/stores/%20spaced",
        "/api/stores/" + "x" * 65,
        "/api/stores/products/a%1Bb",
        "/api/baskets/%E2%98%83",
        "/api/ordering/a%20b",
        "/api/payments/invoices/a%00",
        "/api/depot/shopping/a%09b",
        "/api/search/orders/a%00",
    ],
)
async def test_a_malformed_id_in_a_path_is_a_400_never_a_500(api: httpx.AsyncClient, path: str) -> None:
    refused = await api.get(path)
    assert refused.status_code == 400, refused.text
    assert refused.json()["message"].endswith("is not a valid ID")


async def test_a_path_that_climbs_out_of_its_resource_is_no_route(api: httpx.AsyncClient) -> None:
    missing = await api.get("/api/customers/..%2F..")
    assert missing.status_code == 404 and set(missing.json()) == {"code", "message", "details"}


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        ("POST", "/api/baskets", {"customerId": "c\x00"}, "the customer ID is not a valid ID"),
        ("POST", "/api/payments", {"customerId": "c/../x", "amount": 1}, "the customer ID is not a valid ID"),
        (
            "POST",
            "/api/ordering",
            {"customerId": "c", "paymentId": "p", "items": [{"productId": "x\x00"}]},
            "the product ID is not a valid ID",
        ),
        ("PUT", "/api/baskets/b-1/addItem", {"productId": "x\x00", "quantity": 1}, "the product ID is not a valid ID"),
        ("PUT", "/api/baskets/b-1/checkout", {"paymentId": "p" * 65}, "the payment ID is not a valid ID"),
        ("GET", "/api/notifications?customerId=a%00b", None, "the customer ID is not a valid ID"),
        ("POST", "/api/search/orders", {"filters": {"customerId": "c\x00"}}, "the customer ID is not a valid ID"),
        (
            "POST",
            "/api/search/orders",
            {"filters": {"productIds": ["ok", "bad id"]}},
            "the product ID is not a valid ID",
        ),
    ],
)
async def test_a_malformed_id_in_a_body_or_query_is_a_400_naming_it(
    api: httpx.AsyncClient, method: str, path: str, body: object, message: str
) -> None:
    refused = await api.request(method, path, json=body)
    assert (refused.status_code, refused.json()) == (400, error_body(400, message))


# --- money and numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw_price", "message"),
    [
        ("19.990000000000000001", "the product price cannot have fractions of a cent"),
        ("0.001", "the product price cannot have fractions of a cent"),
        ("1e400", "the product price cannot be more than 1000000.00"),
        ("-0.01", "the product price cannot be negative"),
        ("100000000000000000000000000000000000000000", "the product price cannot be more than 1000000.00"),
    ],
)
async def test_a_price_a_float_would_round_is_refused_exactly(
    api: httpx.AsyncClient, raw_price: str, message: str
) -> None:
    store_id = await _store(api)
    refused = await api.send(
        _raw(api, "POST", f"/api/stores/{store_id}/products", f'{{"name": "Rope", "price": {raw_price}}}')
    )
    assert (refused.status_code, refused.json()) == (400, error_body(400, message))


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
async def test_nan_and_infinity_are_not_json_numbers(api: httpx.AsyncClient, constant: str) -> None:
    refused = await api.send(_raw(api, "POST", "/api/payments", f'{{"customerId": "c", "amount": {constant}}}'))
    assert (refused.status_code, refused.json()) == (400, error_body(400, "the request body is not valid JSON"))


async def test_an_exact_price_with_many_digits_is_stored_exactly(api: httpx.AsyncClient) -> None:
    store_id = await _store(api)
    added = await api.send(
        _raw(api, "POST", f"/api/stores/{store_id}/products", '{"name": "Rope", "price": 19.990000}')
    )
    assert added.status_code == 200, added.text
    product = (await api.get(f"/api/stores/products/{added.json()['id']}")).json()["product"]
    assert Decimal(str(product["price"])) == Decimal("19.99")


# --- one error shape --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ['{"name": "A", ', "not json", "\xff\xfe", "[1, 2]", '"just a string"'])
async def test_a_body_that_is_not_a_json_object_is_a_400_in_the_error_shape(api: httpx.AsyncClient, text: str) -> None:
    refused = await api.send(_raw(api, "POST", "/api/stores", text))
    assert refused.status_code == 400, refused.text
    assert set(refused.json()) == {"code", "message", "details"}
    assert refused.json()["message"] in {"the request body is not valid JSON", "the request body must be a JSON object"}


async def test_an_unknown_route_is_a_404_in_the_error_shape(api: httpx.AsyncClient) -> None:
    missing = await api.get("/api/nowhere/at/all")
    assert (missing.status_code, missing.json()) == (404, error_body(404, "there is no /api/nowhere/at/all"))


async def test_a_wrong_method_is_a_405_with_allow_in_the_error_shape(api: httpx.AsyncClient) -> None:
    wrong = await api.patch("/api/stores")
    assert wrong.status_code == 405, wrong.text
    allowed = {m.strip() for m in wrong.headers["allow"].split(",")}
    assert {"GET", "POST"} <= allowed
    assert wrong.json()["message"].startswith("PATCH is not allowed on /api/stores; allowed: ")


async def test_a_body_over_the_limit_is_a_413_and_nothing_is_created(api: httpx.AsyncClient) -> None:
    before = len((await api.get("/api/stores")).json()["stores"])
    huge = await api.post("/api/stores", json={"name": "x" * 70_000, "location": "L"})

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit counts what arrives
        yield b'{"name": "'
        for _ in range(70):
            yield b"x" * 1000
        yield b'", "location": "L"}'

    streamed = await api.post("/api/stores", content=chunks(), headers={"content-type": "application/json"})
    for response in (huge, streamed):
        assert response.status_code == 413, response.text
        assert response.json() == error_body(413, "the request body is larger than 65536 bytes")
    assert len((await api.get("/api/stores")).json()["stores"]) == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
async def test_a_json_body_is_read_whatever_its_content_type(api: httpx.AsyncClient, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    body = json.dumps({"name": f"Typed {uuid.uuid4().hex[:6]}", "location": "L"}).encode()
    request = api.build_request("POST", "/api/stores", content=body, headers=headers)
    assert request.headers.get("content-type") == content_type
    created = await api.send(request)
    assert created.status_code == 200, created.text


async def test_every_error_status_the_api_answers_is_declared_in_the_openapi(api: httpx.AsyncClient) -> None:
    document = (await api.get("/openapi.json")).json()
    for path, operations in document["paths"].items():
        if not path.startswith("/api/"):
            continue  # health
        for method, operation in operations.items():
            declared = set(operation["responses"])
            assert {"400", "404", "409", "413", "422", "503"} <= declared, (method, path, declared)
            for status in ("400", "413", "503"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorResponse"}


async def test_the_openapi_declares_the_bounds_the_api_enforces(api: httpx.AsyncClient) -> None:
    schemas = (await api.get("/openapi.json")).json()["components"]["schemas"]
    name = schemas["CreateStoreRequest"]["properties"]["name"]
    assert (name["minLength"], name["maxLength"]) == (1, 100) and "pattern" in name
    assert schemas["AddProductRequest"]["properties"]["price"]["maximum"] == 1000000
    assert schemas["CreateOrderRequest"]["properties"]["items"]["maxItems"] == 40
    assert schemas["ItemRequest"]["properties"]["quantity"]["minimum"] == 1
    assert schemas["StartBasketRequest"]["properties"]["customerId"]["pattern"].startswith("^[A-Za-z0-9]")
