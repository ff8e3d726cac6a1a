"""With the Temporal service unreachable, a command is answered 503 with Retry-After (a client can retry
it), and /readiness says why the API is not ready; nothing is written."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlmodel import select
from temporalio.client import Client

from api.app import create_app
from api.deps import ApiContext
from mallbots.bootstrap import data_converter
from mallbots.devstack.temporal import LocalTemporal
from mallbots.stack import Stack
from readmodels.stores.tables import StoreRow


@pytest.fixture
async def api_without_temporal(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    """The real app and read models, its Temporal client connected to a server that is then stopped."""
    assert stack.databases is not None
    server = LocalTemporal(ui=False)
    client = await Client.connect(server.start(), data_converter=data_converter(stack.payload_keys))
    server.stop()
    app = create_app(
        ApiContext(client=client, sessions=stack.databases.sessions, verifier=stack.verifier),
        readiness=stack.databases.ping,
    )
    headers = {"Authorization": f"Bearer {stack.token()}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mallbots", headers=headers
    ) as http:
        yield http


async def test_a_command_while_temporal_is_unreachable_is_a_503_to_retry(
    api_without_temporal: httpx.AsyncClient, stack: Stack
) -> None:
    name = "Unreachable Books"
    created = await api_without_temporal.post("/api/stores", json={"name": name, "location": "Level 9"})

    assert created.status_code == 503, created.text
    # Which 503 depends on how long the client's reconnection attempts take on the machine: the service's
    # refusal, or the request deadline passing first (seen once in a full run on a loaded machine). Both say retry.
    assert created.json()["message"] in (
        "the workflow service is unavailable; try again shortly",
        "the request did not finish within 10 s; a command still takes effect: read its result, "
        "or retry it with the same Idempotency-Key",
    ), created.text
    assert created.headers["Retry-After"] == "1"
    assert stack.databases is not None
    async with stack.databases.sessions("stores")() as session:
        assert (await session.exec(select(StoreRow).where(StoreRow.name == name))).all() == []


async def test_readiness_reports_an_unreachable_temporal(api_without_temporal: httpx.AsyncClient) -> None:
    ready = await api_without_temporal.get("/readiness")

    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert ready.json()["message"]
