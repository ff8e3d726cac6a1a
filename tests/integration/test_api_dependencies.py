"""The API's dependencies are FastAPI dependencies: a test (or another deployment) swaps one with
``app.dependency_overrides`` and the routers follow, without touching the composition root."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from api.deps import stores_read_model
from api.schemas import error_body
from mallbots import bootstrap
from mallbots.devstack.ports import free_port
from mallbots.stack import Stack
from mallbots.tools.client import MallbotsClient
from readmodels.shared.db import SessionFactory


@pytest.fixture
async def app_client(stack: Stack) -> AsyncIterator[tuple[httpx.AsyncClient, dict[object, object]]]:
    """The stack's own wiring, served in-process, with its overrides table handed to the test."""
    assert stack.client is not None and stack.databases is not None
    app = bootstrap.build_app(stack.settings, stack.client, stack.databases, ["stores"], verifier=stack.verifier)
    headers = {"Authorization": f"Bearer {stack.token()}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mall", headers=headers) as http:
        yield http, app.dependency_overrides  # type: ignore[misc]


def _unreachable() -> tuple[SessionFactory, object]:
    engine = create_async_engine(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/nothing")
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False), engine


async def test_a_router_reads_the_read_model_its_dependency_gives(
    stack: Stack, app_client: tuple[httpx.AsyncClient, dict[object, object]]
) -> None:
    http, overrides = app_client
    async with MallbotsClient(stack.api_url, token=stack.token()) as mall:
        store_id = await mall.create_store("Dependency Depot", "Aisle 9")

    found = await http.get(f"/api/stores/{store_id}")
    assert found.status_code == 200 and found.json()["store"]["name"] == "Dependency Depot"

    sessions, engine = _unreachable()
    overrides[stores_read_model] = lambda: sessions
    try:
        down = await http.get(f"/api/stores/{store_id}")
    finally:
        overrides.clear()
        await engine.dispose()  # type: ignore[attr-defined]

    assert down.status_code == 503, down.text
    assert down.headers["Retry-After"] == "1"
    assert down.json() == error_body(503, "the database is unavailable; try again shortly")
    assert (await http.get(f"/api/stores/{store_id}")).status_code == 200
