"""Fixtures of the provider verifications: one client of the session's stack, and the provider-state server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from mallbots.stack import Stack
from mallbots.tools.client import MallbotsClient

from .states import ProviderStates


@pytest.fixture(scope="session")
async def contract_mall(stack: Stack) -> AsyncIterator[MallbotsClient]:
    async with MallbotsClient(stack.api_url, timeout=60, token=stack.token()) as client:
        yield client


@pytest.fixture(scope="session")
async def provider_states(contract_mall: MallbotsClient) -> AsyncIterator[ProviderStates]:
    states = ProviderStates(contract_mall, asyncio.get_running_loop())
    with states.serving():
        yield states
