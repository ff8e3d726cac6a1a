"""``/api/customers`` through the real REST API → Temporal dev server → workers → Postgres read models."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from sqlmodel import SQLModel
from temporalio.service import RPCError, RPCStatusCode

from mallbots.stack import Stack
from readmodels.customers.tables import CustomerRow
from readmodels.notifications.tables import NotificationCustomerCache
from readmodels.search.tables import SearchCustomerCache
from tests.ids import created_id
from workflows.customers.messages import customer_workflow_id

pytestmark = pytest.mark.integration

# Who keeps a copy of customers (SPEC §3), by service.
CUSTOMER_READ_MODELS: dict[str, type[SQLModel]] = {
    "customers": CustomerRow,
    "notifications": NotificationCustomerCache,
    "search": SearchCustomerCache,
}

Rows = dict[str, dict[str, Any] | None]


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


async def read_models(stack: Stack, customer_id: str) -> Rows:
    """The row of the customer in each subscriber's read model (None where it is missing)."""
    assert stack.databases is not None
    found: Rows = {}
    for service, table in CUSTOMER_READ_MODELS.items():
        async with stack.databases.sessions(service)() as session:
            row = await session.get(table, customer_id)
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


async def register(api: httpx.AsyncClient, name: str | None = None, sms: str = "+1 555 0100") -> str:
    response = await api.post("/api/customers", json={"name": name or unique("Customer"), "smsNumber": sms})
    assert response.status_code == 200, response.text
    customer_id: str = response.json()["id"]
    return customer_id


async def get_customer(api: httpx.AsyncClient, customer_id: str) -> dict[str, Any]:
    response = await api.get(f"/api/customers/{customer_id}")
    assert response.status_code == 200, response.text
    customer: dict[str, Any] = response.json()["customer"]
    return customer


def assert_error(response: httpx.Response, status: int, phrase: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert phrase in body["message"], body


def versions(rows: Rows) -> dict[str, int | None]:
    return {service: None if row is None else row["version"] for service, row in rows.items()}


# --- success paths --------------------------------------------------------------------------------------


async def test_a_registered_customer_is_answered_with_its_id_and_read_back_in_lower_camel_case(
    api: httpx.AsyncClient,
) -> None:
    name = unique("Ada")

    created = await api.post("/api/customers", json={"name": f"  {name} ", "smsNumber": " +1 (555) 010-0100 "})

    assert created.status_code == 200, created.text
    assert set(created.json()) == {"id"}
    customer_id = created.json()["id"]
    got = await api.get(f"/api/customers/{customer_id}")
    assert got.status_code == 200, got.text
    assert got.json() == {
        "customer": {"id": customer_id, "name": name, "smsNumber": "+1 (555) 010-0100", "enabled": True}
    }


async def test_a_registered_customer_reaches_every_subscriber_read_model(stack: Stack, api: httpx.AsyncClient) -> None:
    name = unique("Grace")
    customer_id = await register(api, name=name, sms="5550001111")

    assert await read_models(stack, customer_id) == {
        "customers": {"id": customer_id, "name": name, "sms_number": "5550001111", "enabled": True, "version": 1},
        "notifications": {"id": customer_id, "name": name, "sms_number": "5550001111", "version": 1},
        "search": {"id": customer_id, "name": name, "version": 1},
    }


async def test_a_changed_sms_number_is_visible_at_once_and_reaches_notifications(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    customer_id = await register(api, sms="5550001111")

    changed = await api.put(f"/api/customers/{customer_id}/change-sms", json={"smsNumber": " +44 20 7946 0000 "})

    assert changed.status_code == 200, changed.text
    assert changed.json()["customer"]["smsNumber"] == "+44 20 7946 0000"
    assert (await get_customer(api, customer_id))["smsNumber"] == "+44 20 7946 0000"
    rows = await read_models(stack, customer_id)
    assert rows["customers"] is not None and rows["customers"]["sms_number"] == "+44 20 7946 0000"
    assert rows["notifications"] is not None and rows["notifications"]["sms_number"] == "+44 20 7946 0000"
    assert versions(rows) == dict.fromkeys(CUSTOMER_READ_MODELS, 2)


async def test_a_customer_is_disabled_and_enabled_again_and_every_copy_follows(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    customer_id = await register(api)

    disabled = await api.put(f"/api/customers/{customer_id}/disable")

    assert disabled.status_code == 200, disabled.text
    assert disabled.json()["customer"]["enabled"] is False
    assert (await get_customer(api, customer_id))["enabled"] is False
    rows = await read_models(stack, customer_id)
    assert rows["customers"] is not None and rows["customers"]["enabled"] is False
    assert versions(rows) == dict.fromkeys(CUSTOMER_READ_MODELS, 2)

    enabled = await api.put(f"/api/customers/{customer_id}/enable")

    assert enabled.status_code == 200, enabled.text
    assert set(enabled.json()) == {"customer"}
    assert enabled.json()["customer"]["enabled"] is True
    assert (await get_customer(api, customer_id))["enabled"] is True
    rows = await read_models(stack, customer_id)
    assert rows["customers"] is not None and rows["customers"]["enabled"] is True
    assert versions(rows) == dict.fromkeys(CUSTOMER_READ_MODELS, 3)


# --- refusals -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "phrase"),
    [
        ({"name": "", "smsNumber": "5550001111"}, "the customer name cannot be blank"),
        ({"name": " \t ", "smsNumber": "5550001111"}, "the customer name cannot be blank"),
        ({"name": "Ada", "smsNumber": "  "}, "the SMS number cannot be blank"),
        ({"name": "Ada", "smsNumber": "call me maybe"}, "is not a phone number"),
        ({"name": "Ada", "smsNumber": "12"}, "is not a phone number"),
        ({"name": "Ada"}, "the SMS number cannot be blank"),  # proto3: left out is blank, the rule answers
        ({"smsNumber": "5550001111"}, "name"),
        ({"name": "Ada", "smsNumber": 5550001111}, "smsNumber"),
    ],
    ids=[
        "empty name",
        "blank name",
        "blank SMS number",
        "SMS number of words",
        "SMS number too short",
        "missing SMS number",
        "missing name",
        "SMS number not text",
    ],
)
async def test_a_customer_with_invalid_input_is_refused_with_400_and_nothing_is_created(
    stack: Stack, api: httpx.AsyncClient, body: dict[str, Any], phrase: str
) -> None:
    key = str(uuid.uuid4())

    response = await api.post("/api/customers", json=body, headers={"Idempotency-Key": key})

    assert_error(response, 400, phrase)
    would_be_id = created_id("customers", key)
    assert (await api.get(f"/api/customers/{would_be_id}")).status_code == 404
    assert not await workflow_exists(stack, customer_workflow_id(would_be_id))
    assert await read_models(stack, would_be_id) == dict.fromkeys(CUSTOMER_READ_MODELS)


@pytest.mark.parametrize(
    ("setup", "path", "json", "status", "phrase"),
    [
        ([], "change-sms", {"smsNumber": " "}, 400, "the SMS number cannot be blank"),
        ([], "change-sms", {"smsNumber": "not a number"}, 400, "is not a phone number"),
        ([], "change-sms", {}, 400, "the SMS number cannot be blank"),
        ([], "enable", None, 409, "the customer is already enabled"),
        (["disable"], "disable", None, 409, "the customer is already disabled"),
        (["disable", "enable"], "enable", None, 409, "the customer is already enabled"),
    ],
    ids=[
        "blank SMS number",
        "SMS number not a phone number",
        "SMS number missing",
        "enable when enabled",
        "disable twice",
        "enable twice",
    ],
)
async def test_a_refused_customer_command_answers_its_status_and_writes_nothing(
    stack: Stack,
    api: httpx.AsyncClient,
    setup: list[str],
    path: str,
    json: dict[str, Any] | None,
    status: int,
    phrase: str,
) -> None:
    customer_id = await register(api)
    for step in setup:
        assert (await api.put(f"/api/customers/{customer_id}/{step}")).status_code == 200
    before_get = await get_customer(api, customer_id)
    before_rows = await read_models(stack, customer_id)

    response = await api.put(f"/api/customers/{customer_id}/{path}", json=json)

    assert_error(response, status, phrase)
    assert await get_customer(api, customer_id) == before_get
    assert await read_models(stack, customer_id) == before_rows


@pytest.mark.parametrize(
    ("method", "path", "json"),
    [
        ("GET", "", None),
        ("PUT", "/change-sms", {"smsNumber": "5550001111"}),
        ("PUT", "/enable", None),
        ("PUT", "/disable", None),
    ],
    ids=["get", "change SMS number", "enable", "disable"],
)
async def test_an_unknown_customer_is_answered_with_404_and_nothing_is_created(
    stack: Stack, api: httpx.AsyncClient, method: str, path: str, json: dict[str, Any] | None
) -> None:
    customer_id = str(uuid.uuid4())

    response = await api.request(method, f"/api/customers/{customer_id}{path}", json=json)

    assert_error(response, 404, f"the customer {customer_id} does not exist")
    assert not await workflow_exists(stack, customer_workflow_id(customer_id))
    assert await read_models(stack, customer_id) == dict.fromkeys(CUSTOMER_READ_MODELS)


# --- idempotency ----------------------------------------------------------------------------------------


async def test_the_same_idempotency_key_registers_one_customer_and_returns_the_same_id(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    key = str(uuid.uuid4())
    body = {"name": unique("Once"), "smsNumber": "5550001111"}

    first = await api.post("/api/customers", json=body, headers={"Idempotency-Key": key})
    second = await api.post("/api/customers", json=body, headers={"Idempotency-Key": key})

    assert first.status_code == second.status_code == 200, [first.text, second.text]
    assert first.json() == second.json()
    customer_id = first.json()["id"]
    assert customer_id == created_id("customers", key)
    assert versions(await read_models(stack, customer_id)) == dict.fromkeys(CUSTOMER_READ_MODELS, 1)


async def test_a_repeated_registration_after_a_change_returns_the_same_id_and_changes_nothing(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    key = str(uuid.uuid4())
    body = {"name": unique("Later"), "smsNumber": "5550001111"}
    customer_id = (await api.post("/api/customers", json=body, headers={"Idempotency-Key": key})).json()["id"]
    assert (await api.put(f"/api/customers/{customer_id}/disable")).status_code == 200
    before = await read_models(stack, customer_id)

    again = await api.post("/api/customers", json=body, headers={"Idempotency-Key": key})

    assert again.status_code == 200, again.text
    assert again.json() == {"id": customer_id}
    assert (await get_customer(api, customer_id))["enabled"] is False
    assert await read_models(stack, customer_id) == before


async def test_two_concurrent_registrations_with_one_idempotency_key_register_one_customer(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    key = str(uuid.uuid4())
    body = {"name": unique("Concurrent"), "smsNumber": "5550001111"}

    responses = await asyncio.gather(
        api.post("/api/customers", json=body, headers={"Idempotency-Key": key}),
        api.post("/api/customers", json=body, headers={"Idempotency-Key": key}),
    )

    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
    assert responses[0].json() == responses[1].json()
    customer_id = responses[0].json()["id"]
    assert versions(await read_models(stack, customer_id)) == dict.fromkeys(CUSTOMER_READ_MODELS, 1)


async def test_registrations_without_or_with_different_keys_register_different_customers(
    api: httpx.AsyncClient,
) -> None:
    body = {"name": unique("Twin"), "smsNumber": "5550001111"}
    ids = {
        (await api.post("/api/customers", json=body, headers=headers)).json()["id"]
        for headers in ({}, {}, {"Idempotency-Key": str(uuid.uuid4())}, {"Idempotency-Key": str(uuid.uuid4())})
    }
    assert len(ids) == 4


async def test_an_idempotency_key_longer_than_200_characters_is_refused_with_400(
    stack: Stack, api: httpx.AsyncClient
) -> None:
    key = uuid.uuid4().hex + "k" * 169

    response = await api.post(
        "/api/customers", json={"name": "Ada", "smsNumber": "5550001111"}, headers={"Idempotency-Key": key}
    )

    assert_error(response, 400, "200")
    assert not await workflow_exists(stack, customer_workflow_id(created_id("customers", key)))
