"""Integration helpers: the typed client against the running stack, and a small mall to shop in."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TypeVar

import pytest
from sqlmodel import SQLModel

from mallbots.stack import Stack
from mallbots.tools.client import MallbotsClient
from readmodels.shared.db import SessionFactory, get_row

R = TypeVar("R", bound=SQLModel)


async def row_when(
    sessions: SessionFactory, model: type[R], key: str, until: Callable[[R], bool] = lambda _: True, within: float = 30
) -> R:
    """A read model's row once it exists and ``until`` holds: the copies other than the owner's follow a
    command in the background. Bounded: a row that never gets there fails the test with what it was."""
    row: R | None = None
    async with asyncio.timeout(within):
        while True:
            row = await get_row(sessions, model, key)
            if row is not None and until(row):
                return row
            await asyncio.sleep(0.05)


@pytest.fixture
async def mall(stack: Stack) -> AsyncIterator[MallbotsClient]:
    async with MallbotsClient(stack.api_url, token=stack.token()) as client:
        yield client


@dataclass
class Shop:
    """A participating store with two products, and a registered customer."""

    store_id: str
    widget_id: str  # 19.99
    gadget_id: str  # 5.00
    customer_id: str


async def open_shop(mall: MallbotsClient) -> Shop:
    tag = uuid.uuid4().hex[:6]
    store_id = await mall.create_store(f"Store {tag}", "Level 1")
    await mall.enable_participation(store_id)
    widget_id = await mall.add_product(store_id, f"Widget {tag}", "19.99", sku=f"W-{tag}")
    gadget_id = await mall.add_product(store_id, f"Gadget {tag}", "5.00", sku=f"G-{tag}")
    customer_id = await mall.register_customer(f"Customer {tag}", "+1 555 0100")
    return Shop(store_id, widget_id, gadget_id, customer_id)


@pytest.fixture
async def shop(mall: MallbotsClient) -> Shop:
    return await open_shop(mall)
