from __future__ import annotations

import httpx


async def test_the_stack_answers_liveness_and_readiness(api: httpx.AsyncClient) -> None:
    assert (await api.get("/liveness")).json() == {"status": "ok"}
    ready = await api.get("/readiness")
    assert ready.status_code == 200, ready.text
