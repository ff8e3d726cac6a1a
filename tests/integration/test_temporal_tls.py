"""The Temporal client over real TLS and mTLS, built from the settings as every worker and API process builds it.

``temporal server start-dev`` has no TLS flags, so a small TLS-terminating proxy (asyncio + ssl, what a load
balancer in front of a Temporal frontend does) stands in front of a real dev server: Temporal speaks gRPC over
HTTP/2, and after the handshake the proxy only copies bytes. The certificates come from a throw-away CA.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client

from mallbots.bootstrap import connect_temporal, data_converter
from mallbots.codec import PayloadKey
from mallbots.devstack.temporal import LocalTemporal
from mallbots.settings import Settings
from mallbots.temporal_client import connect
from mallbots.transport import temporal_transport
from tests.tls_certificates import CertificateAuthority

SERVER_NAME = "temporal.mallbots.test"  # the only name in the server's certificate: not 127.0.0.1
KEYS = [PayloadKey.generate("tls-tests")]


@dataclass
class TlsProxy:
    """TLS (optionally requiring a client certificate) in front of a plaintext upstream."""

    upstream: str
    context: ssl.SSLContext
    handshakes: list[dict[str, Any]] = field(default_factory=list)  # what each accepted client negotiated
    address: str = ""
    _server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0, ssl=self.context)
        self.address = f"127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        tls: ssl.SSLObject = client_writer.get_extra_info("ssl_object")
        peer = client_writer.get_extra_info("peercert") or {}
        subject = {k: v for rdn in peer.get("subject", ()) for k, v in rdn}
        self.handshakes.append({"alpn": tls.selected_alpn_protocol(), "client": subject.get("commonName")})
        host, _, port = self.upstream.rpartition(":")
        upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(
            _copy(client_reader, upstream_writer), _copy(upstream_reader, client_writer), return_exceptions=True
        )


async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


def server_context(cert: Path, key: Path, client_ca: Path | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    context.set_alpn_protocols(["h2"])  # gRPC: HTTP/2 negotiated in the handshake
    if client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    return context


@dataclass(frozen=True)
class Pki:
    ca: Path
    client_cert: Path
    client_key: Path
    other_ca: Path  # a CA that signed nothing here
    stranger_cert: Path  # a client certificate from that other CA
    stranger_key: Path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[Pki, Path, Path]:
    directory = tmp_path_factory.mktemp("temporal-tls")
    ca, other = CertificateAuthority("Temporal test CA"), CertificateAuthority("Some other CA")
    server_cert, server_key = ca.issue("temporal frontend", dns=(SERVER_NAME,)).write(directory, "server")
    client_cert, client_key = ca.issue("mallbots-worker").write(directory, "client")
    stranger_cert, stranger_key = other.issue("stranger").write(directory, "stranger")
    files = Pki(
        ca.write(directory, "ca"),
        client_cert,
        client_key,
        other.write(directory, "other-ca"),
        stranger_cert,
        stranger_key,
    )
    return files, server_cert, server_key


@pytest.fixture(scope="module")
def dev_server() -> Iterator[str]:
    server = LocalTemporal(ui=False)
    address = server.start()
    try:
        yield address
    finally:
        server.stop()


@pytest.fixture(scope="module")
async def tls_proxy(dev_server: str, pki: tuple[Pki, Path, Path]) -> AsyncIterator[TlsProxy]:
    _, cert, key = pki
    proxy = TlsProxy(dev_server, server_context(cert, key))
    await proxy.start()
    yield proxy
    await proxy.stop()


@pytest.fixture(scope="module")
async def mtls_proxy(dev_server: str, pki: tuple[Pki, Path, Path]) -> AsyncIterator[TlsProxy]:
    files, cert, key = pki
    proxy = TlsProxy(dev_server, server_context(cert, key, client_ca=files.ca))
    await proxy.start()
    yield proxy
    await proxy.stop()


def settings(address: str, **values: Any) -> Settings:
    return Settings(_env_file=None, temporal_address=address, **values)


async def round_trip(client: Client) -> None:
    """A real call through the proxy to the dev server behind it: a workflow started, then found by ID."""
    workflow_id = f"tls-{uuid.uuid4().hex[:8]}"
    handle = await client.start_workflow("NoSuchWorkflow", id=workflow_id, task_queue="tls-nobody-polls")
    assert (await handle.describe()).id == workflow_id
    await handle.terminate("TLS test done")


async def refused(values: Settings) -> str:
    """Connects once (no retries, unlike ``connect_temporal``) and returns why it failed."""
    assert values.temporal_address
    with pytest.raises(RuntimeError) as failure:
        await connect(values.temporal_address, "default", data_converter(KEYS), transport=temporal_transport(values))
    return str(failure.value)


async def test_the_client_connects_over_tls_trusting_the_configured_ca_and_server_name(
    tls_proxy: TlsProxy, pki: tuple[Pki, Path, Path]
) -> None:
    files, _, _ = pki
    before = len(tls_proxy.handshakes)
    values = settings(tls_proxy.address, temporal_tls_server_ca_file=files.ca, temporal_tls_server_name=SERVER_NAME)
    client = await connect_temporal(values, tls_proxy.address, keys=KEYS)
    await round_trip(client)
    made = tls_proxy.handshakes[before:]
    assert made and all(h["alpn"] == "h2" for h in made), made


async def test_an_api_key_rides_the_tls_connection(tls_proxy: TlsProxy, pki: tuple[Pki, Path, Path]) -> None:
    files, _, _ = pki
    values = settings(
        tls_proxy.address,
        temporal_tls_server_ca_file=files.ca,
        temporal_tls_server_name=SERVER_NAME,
        temporal_api_key="test-api-key",
    )
    client = await connect_temporal(values, tls_proxy.address, keys=KEYS)
    # (The dev server checks no key; the client holds it, and sends it as a bearer token on every call.)
    assert client.api_key == "test-api-key"
    await round_trip(client)


async def test_without_the_ca_the_servers_certificate_is_refused(tls_proxy: TlsProxy) -> None:
    # TLS alone trusts the system's roots, and no public CA signed the test server's certificate.
    message = await refused(settings(tls_proxy.address, temporal_tls=True, temporal_tls_server_name=SERVER_NAME))
    assert "InvalidCertificate(UnknownIssuer)" in message, message


async def test_a_ca_that_did_not_sign_the_servers_certificate_is_refused(
    tls_proxy: TlsProxy, pki: tuple[Pki, Path, Path]
) -> None:
    files, _, _ = pki
    message = await refused(
        settings(tls_proxy.address, temporal_tls_server_ca_file=files.other_ca, temporal_tls_server_name=SERVER_NAME)
    )
    assert "InvalidCertificate(UnknownIssuer)" in message, message


async def test_without_the_server_name_the_addressed_ip_is_not_in_the_certificate(
    tls_proxy: TlsProxy, pki: tuple[Pki, Path, Path]
) -> None:
    files, _, _ = pki
    message = await refused(settings(tls_proxy.address, temporal_tls_server_ca_file=files.ca))
    assert "NotValidForName" in message and SERVER_NAME in message, message


async def test_plaintext_to_a_tls_frontend_fails(tls_proxy: TlsProxy) -> None:
    before = len(tls_proxy.handshakes)
    await refused(settings(tls_proxy.address))
    assert tls_proxy.handshakes[before:] == []


async def test_mtls_connects_with_the_client_certificate_and_the_server_sees_who(
    mtls_proxy: TlsProxy, pki: tuple[Pki, Path, Path]
) -> None:
    files, _, _ = pki
    values = settings(
        mtls_proxy.address,
        temporal_tls_server_ca_file=files.ca,
        temporal_tls_server_name=SERVER_NAME,
        temporal_tls_client_cert_file=files.client_cert,
        temporal_tls_client_key_file=files.client_key,
    )
    before = len(mtls_proxy.handshakes)
    client = await connect_temporal(values, mtls_proxy.address, keys=KEYS)
    await round_trip(client)
    made = mtls_proxy.handshakes[before:]
    assert made and {h["client"] for h in made} == {"mallbots-worker"}, made


async def test_mtls_refuses_a_client_without_a_certificate_or_with_one_from_another_ca(
    mtls_proxy: TlsProxy, pki: tuple[Pki, Path, Path]
) -> None:
    files, _, _ = pki
    trusting = {"temporal_tls_server_ca_file": files.ca, "temporal_tls_server_name": SERVER_NAME}
    before = len(mtls_proxy.handshakes)
    await refused(settings(mtls_proxy.address, **trusting))
    await refused(
        settings(
            mtls_proxy.address,
            **trusting,
            temporal_tls_client_cert_file=files.stranger_cert,
            temporal_tls_client_key_file=files.stranger_key,
        )
    )
    assert mtls_proxy.handshakes[before:] == [], "a handshake without a trusted client certificate was accepted"
