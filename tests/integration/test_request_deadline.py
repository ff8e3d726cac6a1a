"""No request hangs: a command that cannot finish within the request deadline is answered 503 with
Retry-After, and its effect still completes; retried with its Idempotency-Key it then answers the outcome."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
from temporalio import activity
from temporalio.worker import Worker

from api.app import create_app
from api.deps import ApiContext, new_id
from domain.stores.events import StoreEvent
from mallbots.services import activity_methods
from mallbots.stack import Stack, ephemeral_options
from readmodels.baskets.projections import BasketsProjections
from workflows.shared.spec import CATCH_UP

TIMEOUT = 1.0


class HeldBaskets(BasketsProjections):
    """Baskets' copy of store events waits until the test lets it go: a copy the next command reads is slow,
    so the command waits for it (up to ``CATCH_UP``, longer than the request deadline here)."""

    held = asyncio.Event()
    entered = asyncio.Event()

    @activity.defn
    async def apply_store_event(self, event: StoreEvent) -> None:
        HeldBaskets.entered.set()
        await HeldBaskets.held.wait()
        await super().apply_store_event(event)


async def test_a_command_past_its_deadline_is_a_503_and_still_takes_effect(tmp_path: Path) -> None:
    async with Stack(ephemeral_options(tmp_path, run_api=False)) as stack:
        assert stack.client is not None and stack.databases is not None
        assert CATCH_UP.total_seconds() > TIMEOUT
        baskets = next(w for w in stack.workers if w.task_queue == "baskets")
        await baskets.shutdown()
        held = Worker(
            stack.client,
            task_queue="baskets",
            activities=activity_methods([HeldBaskets(stack.databases.sessions("baskets"))]),
        )
        app = create_app(
            ApiContext(
                client=stack.client,
                sessions=stack.databases.sessions,
                verifier=None,  # about deadlines only: authentication off
                request_timeout_seconds=TIMEOUT,
            )
        )
        transport = httpx.ASGITransport(app=app)
        async with held, httpx.AsyncClient(transport=transport, base_url="http://mall") as api:
            key = str(uuid.uuid4())
            body = {"name": f"Slow {key[:6]}", "location": "L"}

            late = await asyncio.wait_for(api.post("/api/stores", json=body, headers={"Idempotency-Key": key}), 30)

            assert late.status_code == 503, late.text
            assert late.headers["retry-after"] == "1"
            assert late.json()["message"].startswith("the request did not finish within 1 s; a command still takes")
            await asyncio.wait_for(HeldBaskets.entered.wait(), 30)
            HeldBaskets.held.set()
            store_id = new_id("stores", key)
            async with asyncio.timeout(30):
                while True:
                    if (await api.get(f"/api/stores/{store_id}")).status_code == 200:
                        break
                    await asyncio.sleep(0.05)
            retried = await api.post("/api/stores", json=body, headers={"Idempotency-Key": key})
            assert (retried.status_code, retried.json()) == (200, {"id": store_id})
            assert (await api.get(f"/api/stores/{store_id}")).json()["store"]["name"] == body["name"]
