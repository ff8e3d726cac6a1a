"""Retries are safe and honest: an Idempotency-Key answers a retry as the first call was answered and never
applies anything twice, also for commands (addItem, checkout, …), and it is good for one request only."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Message

from api.auth import ANONYMOUS
from api.idempotency import Idempotency
from api.schemas import error_body
from mallbots.stack import Stack
from readmodels.stores.tables import IDEMPOTENCY_KEYS
from tests.integration.conftest import Shop


def _key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def _basket(api: httpx.AsyncClient, shop: Shop) -> str:
    started = await api.post("/api/baskets", json={"customerId": shop.customer_id})
    assert started.status_code == 200, started.text
    basket_id: str = started.json()["id"]
    return basket_id


async def test_the_same_key_with_another_body_is_a_422_and_creates_nothing(api: httpx.AsyncClient) -> None:
    key = _key()
    name = f"Keyed {uuid.uuid4().hex[:6]}"
    first = await api.post("/api/stores", json={"name": name, "location": "L1"}, headers=key)
    before = (await api.get("/api/stores")).json()["stores"]

    other = await api.post("/api/stores", json={"name": name + " 2", "location": "L1"}, headers=key)

    assert first.status_code == 200, first.text
    assert other.status_code == 422, other.text
    assert other.json() == error_body(
        422,
        f"the Idempotency-Key {key['Idempotency-Key']!r} was first used for POST /api/stores with another "
        "body; use a new key for a new request",
    )
    assert (await api.get("/api/stores")).json()["stores"] == before


async def test_the_same_key_and_body_in_another_json_spelling_is_the_same_request(api: httpx.AsyncClient) -> None:
    key = _key()
    name = f"Spelled {uuid.uuid4().hex[:6]}"
    first = await api.post("/api/stores", json={"name": name, "location": "L1"}, headers=key)
    again = await api.post(
        "/api/stores",
        content=f'{{ "location" : "L1",  "name": "{name}" }}'.encode(),
        headers={**key, "content-type": "application/json"},
    )

    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers


async def test_the_answer_is_stored_before_its_last_byte_reaches_the_client(stack: Stack) -> None:
    """A client may retry the moment it has the answer: if the middleware stored it only after sending, the
    retry could overtake the write and run the request again (seen once in CI: a 200 without the replayed
    header). So the table must hold the answer when the last body chunk is sent, and a retry replays it."""

    async def endpoint(request: Request) -> JSONResponse:
        return JSONResponse({"id": "store-1"})

    databases = stack.databases
    assert databases is not None
    inner = Starlette(routes=[Route("/api/stores", endpoint, methods=["POST"])])
    middleware = Idempotency(inner, sessions=lambda: databases.sessions)
    key = uuid.uuid4().hex
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/stores",
        "headers": [(b"idempotency-key", key.encode()), (b"content-type", b"application/json")],
        "query_string": b"",
        "state": {"principal": ANONYMOUS},
        "app": inner,
    }
    stored_when_sent: list[object] = []
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b'{"name": "S"}', "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body"):
            async with databases.sessions("stores").begin() as session:
                row = (
                    await (await session.connection()).execute(
                        select(IDEMPOTENCY_KEYS).where(IDEMPOTENCY_KEYS.c.key == key)
                    )
                ).one()
            stored_when_sent.append(row.status_code)
        sent.append(message)

    await middleware({**scope}, receive, send)
    first_body = sent[-1]["body"]
    sent.clear()
    await middleware({**scope}, receive, send)

    assert stored_when_sent == [200, 200]
    assert sent[0]["status"] == 200 and (b"idempotent-replayed", b"true") in sent[0]["headers"]
    assert sent[-1]["body"] == first_body


async def test_a_retried_add_item_adds_once_and_answers_as_the_first_time(api: httpx.AsyncClient, shop: Shop) -> None:
    basket_id = await _basket(api, shop)
    key = _key()
    body = {"productId": shop.widget_id, "quantity": 2}

    first = await api.put(f"/api/baskets/{basket_id}/addItem", json=body, headers=key)
    retried = await api.put(f"/api/baskets/{basket_id}/addItem", json=body, headers=key)
    unkeyed = await api.put(f"/api/baskets/{basket_id}/addItem", json=body)

    assert first.status_code == retried.status_code == 200, [first.text, retried.text]
    assert retried.json() == first.json()
    assert [i["quantity"] for i in first.json()["basket"]["items"]] == [2]
    assert [i["quantity"] for i in unkeyed.json()["basket"]["items"]] == [4]  # without a key, a new request
    stored = (await api.get(f"/api/baskets/{basket_id}")).json()["basket"]
    assert [i["quantity"] for i in stored["items"]] == [4]


@pytest.mark.parametrize("round_", range(5))
async def test_two_identical_keyed_commands_at_once_apply_once(api: httpx.AsyncClient, shop: Shop, round_: int) -> None:
    basket_id = await _basket(api, shop)
    key = _key()
    body = {"productId": shop.gadget_id, "quantity": 3}

    answers = await asyncio.gather(
        *(api.put(f"/api/baskets/{basket_id}/addItem", json=body, headers=key) for _ in range(2))
    )

    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    stored = (await api.get(f"/api/baskets/{basket_id}")).json()["basket"]
    assert [i["quantity"] for i in stored["items"]] == [3]


async def test_a_checkout_retried_after_a_lost_answer_is_the_same_order_not_a_409(
    api: httpx.AsyncClient, shop: Shop
) -> None:
    payment = await api.post("/api/payments", json={"customerId": shop.customer_id, "amount": 100})
    basket_id = await _basket(api, shop)
    await api.put(f"/api/baskets/{basket_id}/addItem", json={"productId": shop.widget_id, "quantity": 1})
    key = _key()
    body = {"paymentId": payment.json()["id"]}

    first = await api.put(f"/api/baskets/{basket_id}/checkout", json=body, headers=key)  # its answer "is lost"
    retried = await api.put(f"/api/baskets/{basket_id}/checkout", json=body, headers=key)
    unkeyed = await api.put(f"/api/baskets/{basket_id}/checkout", json=body)

    assert first.status_code == retried.status_code == 200, [first.text, retried.text]
    assert retried.json() == first.json() and first.json()["basket"]["status"] == "checked_out"
    assert unkeyed.status_code == 409 and unkeyed.json() == error_body(409, "the basket is checked out")
    assert (await api.get(f"/api/ordering/{basket_id}")).status_code == 200  # one order, the basket's


async def test_a_key_used_for_one_command_is_refused_for_another(api: httpx.AsyncClient, shop: Shop) -> None:
    basket_id = await _basket(api, shop)
    key = _key()
    body = {"productId": shop.widget_id, "quantity": 1}
    added = await api.put(f"/api/baskets/{basket_id}/addItem", json=body, headers=key)

    removed = await api.put(f"/api/baskets/{basket_id}/removeItem", json=body, headers=key)

    assert added.status_code == 200
    assert removed.status_code == 422
    assert removed.json()["message"] == (
        f"the Idempotency-Key {key['Idempotency-Key']!r} was first used for PUT /api/baskets/{basket_id}/addItem; "
        "use a new key for a new request"
    )
    assert [i["quantity"] for i in (await api.get(f"/api/baskets/{basket_id}")).json()["basket"]["items"]] == [1]


async def test_a_refusal_is_answered_again_to_its_retry(api: httpx.AsyncClient) -> None:
    key = _key()
    first = await api.post("/api/stores", json={"name": " ", "location": "L"}, headers=key)
    retried = await api.post("/api/stores", json={"name": " ", "location": "L"}, headers=key)
    assert first.status_code == retried.status_code == 400
    assert retried.json() == first.json() == error_body(400, "the store name cannot be blank")


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "the Idempotency-Key cannot be blank"),
        ("k" * 201, "the Idempotency-Key cannot be longer than 200 characters"),
        ("k\x01y", "the Idempotency-Key cannot contain control characters"),
    ],
)
async def test_a_malformed_key_is_a_400(api: httpx.AsyncClient, key: str, message: str) -> None:
    request = api.build_request("POST", "/api/stores", json={"name": "Keyless", "location": "L"})
    request.headers["Idempotency-Key"] = key
    refused = await api.send(request)
    assert (refused.status_code, refused.json()) == (400, error_body(400, message))
