"""Running the async REST client from synchronous pytest-bdd steps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from mallbots.tools.client import MallbotsClient

T = TypeVar("T")

REQUEST_TIMEOUT = 60.0  # one request, or one bounded poll, never hangs the session
EVENTUALLY_WITHIN = 30.0  # read models fed by events catch up well within this
POLL_INTERVAL = 0.05


@dataclass
class Mall:
    """The mall's REST API as the steps see it: ``mall.run(mall.api.create_store(...))``."""

    api: MallbotsClient
    loop: asyncio.AbstractEventLoop

    @classmethod
    @asynccontextmanager
    async def connect(cls, api_url: str, loop: asyncio.AbstractEventLoop, token: str) -> AsyncIterator[Mall]:
        async with MallbotsClient(api_url, token=token) as client:
            yield cls(client, loop)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run one call to completion on the session loop (which serves the API and the workers meanwhile)."""
        return self.loop.run_until_complete(asyncio.wait_for(coro, REQUEST_TIMEOUT))

    def eventually(self, check: Callable[[], Awaitable[T]], within: float = EVENTUALLY_WITHIN) -> T:
        """Retry ``check`` until it stops raising AssertionError: for read models that events feed a moment
        after the command answered (search, notifications). Bounded, and the last failure is reported."""

        async def poll() -> T:
            deadline = self.loop.time() + within
            while True:
                try:
                    return await check()
                except AssertionError:
                    if self.loop.time() > deadline:
                        raise
                await asyncio.sleep(POLL_INTERVAL)

        return self.loop.run_until_complete(asyncio.wait_for(poll(), within + REQUEST_TIMEOUT))
