from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter


async def connect(address: str, namespace: str = "default") -> Client:
    """Every client and worker uses the pydantic converter (Decimal, datetime and models round-trip)."""
    return await Client.connect(address, namespace=namespace, data_converter=pydantic_data_converter)
