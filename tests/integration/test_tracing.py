"""One trace from the HTTP request through the workflow to its activities, received over real OTLP/HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path

from oteltap import OtelTapHttpProtobufReceiver, OtelTapHttpProtobufReceiverSettings

from mallbots.devstack.ports import free_port
from mallbots.stack import Stack, ephemeral_options
from mallbots.tools.client import MallbotsClient


async def test_a_request_is_traced_through_its_workflow_and_activities(tmp_path: Path) -> None:
    port = free_port()
    async with OtelTapHttpProtobufReceiver(OtelTapHttpProtobufReceiverSettings(http_port=port)) as tap:
        options = ephemeral_options(tmp_path)
        options.settings = options.settings.model_copy(update={"otlp_endpoint": f"http://127.0.0.1:{port}"})
        async with Stack(options) as stack, MallbotsClient(stack.api_url, token=stack.token()) as mall:
            http_span = asyncio.ensure_future(tap.await_trace(lambda s: s.name.startswith("POST /api/stores"), 30))
            activity_span = asyncio.ensure_future(
                tap.await_trace(lambda s: s.name == "RunActivity:apply_store_event", 30)
            )
            await mall.create_store("Traced Books", "Level 0")
            assert stack.tracer_provider is not None
            stack.tracer_provider.force_flush()
            request, activity = await http_span, await activity_span

    assert request.trace_id == activity.trace_id  # one trace: HTTP → update → workflow → activity
