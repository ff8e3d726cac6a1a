from __future__ import annotations

from collections.abc import Sequence

from temporalio.client import Client, Interceptor
from temporalio.converter import DataConverter
from temporalio.runtime import Runtime

from mallbots.transport import PLAINTEXT, TemporalTransport


async def connect(
    address: str,
    namespace: str,
    data_converter: DataConverter,
    interceptors: Sequence[Interceptor] = (),
    runtime: Runtime | None = None,
    transport: TemporalTransport = PLAINTEXT,
) -> Client:
    """A client with the composition root's converter (``mallbots.bootstrap.data_converter``: pydantic, and
    every payload encrypted): never one of its own, which would write personal data to Temporal in clear.
    ``transport`` (``mallbots.transport.temporal_transport``) is TLS and the API key, if the cluster wants them."""
    return await Client.connect(
        address,
        namespace=namespace,
        data_converter=data_converter,
        interceptors=interceptors,
        runtime=runtime,
        tls=transport.tls,
        api_key=transport.api_key,
    )
