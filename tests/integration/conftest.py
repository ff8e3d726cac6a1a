"""Integration helpers: the typed client against the running stack, and a small mall to shop in."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from mallbots.stack import Stack
from mallbots.tools.client import MallbotsClient


@pytest.fixture
async def mall(stack: Stack) -> AsyncIterator[MallbotsClient]:
    async with MallbotsClient(stack.api_url) as client:
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
