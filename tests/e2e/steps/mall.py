"""Running the async REST client from synchronous pytest-bdd steps, as whichever user a step speaks for."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from api.auth import Role
from mallbots.tools.client import MallbotsClient, TokenMint

T = TypeVar("T")

REQUEST_TIMEOUT = 60.0  # one request, or one bounded poll, never hangs the session
EVENTUALLY_WITHIN = 30.0  # read models fed by events catch up well within this
POLL_INTERVAL = 0.05


@dataclass
class Mall:
    """The mall's REST API as the steps see it: ``mall.run(world.customer.start_basket(...))``.

    ``api`` carries no token (a request through it is anonymous); ``acting_as`` gives the API under a token of
    the stack's issuer for a user, sharing ``api``'s connections. ``bad_tokens``: tokens the API must refuse,
    by what is wrong with them."""

    api: MallbotsClient
    loop: asyncio.AbstractEventLoop
    mint: TokenMint
    bad_tokens: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    @asynccontextmanager
    async def connect(
        cls,
        api_url: str,
        loop: asyncio.AbstractEventLoop,
        mint: TokenMint,
        bad_tokens: Mapping[str, str] | None = None,
    ) -> AsyncIterator[Mall]:
        async with MallbotsClient(api_url) as client:
            yield cls(client, loop, mint, dict(bad_tokens or {}))

    def acting_as(self, role: Role, subject: str) -> MallbotsClient:
        """The API under a token of ``subject`` with ``role``."""
        return self.api.acting_as(self.mint(role, subject))

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
