"""Fixtures of the provider verifications: one client of the session's stack (with no token of its own), and the
provider-state server, whose states act as the mall's users under tokens of the stack's issuer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from mallbots.stack import Stack
from mallbots.tools.client import MallbotsClient

from .states import ProviderStates


@pytest.fixture(scope="session")
async def contract_mall(stack: Stack) -> AsyncIterator[MallbotsClient]:
    async with MallbotsClient(stack.api_url, timeout=60) as client:
        yield client


@pytest.fixture(scope="session")
async def provider_states(contract_mall: MallbotsClient, stack: Stack) -> AsyncIterator[ProviderStates]:
    states = ProviderStates(contract_mall, asyncio.get_running_loop(), stack.token)
    with states.serving():
        yield states
