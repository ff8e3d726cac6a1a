"""What the transport settings turn into: the Temporal client's TLS config and API key, libpq's TLS parameters.

``temporal server start-dev`` has no TLS, so the configuration built is checked here byte for byte (a real TLS
connection through a proxy is tests/integration/test_temporal_tls.py; Postgres TLS for real is
tests/integration/test_postgres_tls.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from temporalio.service import TLSConfig

from mallbots.settings import Settings
from mallbots.transport import (
    PLAINTEXT,
    DatabaseTls,
    TransportConfigError,
    database_tls,
    stack_transport,
    temporal_transport,
)
from tests.tls_certificates import CertificateAuthority


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return CertificateAuthority()


@pytest.fixture
def files(tmp_path: Path, ca: CertificateAuthority) -> dict[str, Path]:
    client_cert, client_key = ca.issue("worker").write(tmp_path, "client")
    return {"ca": ca.write(tmp_path), "cert": client_cert, "key": client_key}


def setting_names() -> set[str]:
    return {f"MALLBOTS_{name.upper()}" for name in Settings.model_fields}


def named_settings(message: str) -> set[str]:
    return set(re.findall(r"MALLBOTS_[A-Z_]+[A-Z]", message))


# ------------------------------------------------------------------------------------------------ Temporal


def test_without_transport_settings_the_client_connects_in_plaintext_without_a_key() -> None:
    transport = temporal_transport(settings())
    assert transport == PLAINTEXT
    assert transport.tls is False and transport.api_key is None and not transport.secured


def test_tls_alone_trusts_the_system_roots_and_the_addressed_name() -> None:
    transport = temporal_transport(settings(temporal_tls=True))
    assert transport.tls == TLSConfig()
    assert transport.api_key is None


def test_the_server_ca_and_name_are_what_the_client_verifies_against(files: dict[str, Path]) -> None:
    transport = temporal_transport(
        settings(temporal_tls_server_ca_file=files["ca"], temporal_tls_server_name="temporal.internal")
    )
    assert transport.tls == TLSConfig(server_root_ca_cert=files["ca"].read_bytes(), domain="temporal.internal")


@pytest.mark.parametrize("setting", ["temporal_tls_server_ca_file", "temporal_tls_server_name"])
def test_any_tls_setting_turns_tls_on(setting: str, files: dict[str, Path]) -> None:
    value: object = files["ca"] if setting.endswith("_file") else "temporal.internal"
    transport = temporal_transport(settings(**{setting: value}))
    assert isinstance(transport.tls, TLSConfig) and transport.secured


def test_a_client_certificate_and_key_make_mtls(files: dict[str, Path]) -> None:
    transport = temporal_transport(
        settings(temporal_tls_client_cert_file=files["cert"], temporal_tls_client_key_file=files["key"])
    )
    assert isinstance(transport.tls, TLSConfig)
    assert transport.tls.client_cert == files["cert"].read_bytes()
    assert transport.tls.client_private_key == files["key"].read_bytes()
    assert transport.tls.server_root_ca_cert is None, "no CA given: the system roots"


@pytest.mark.parametrize("given", ["cert", "key"])
def test_a_client_certificate_without_its_key_or_a_key_alone_is_refused(given: str, files: dict[str, Path]) -> None:
    with pytest.raises(TransportConfigError) as refused:
        temporal_transport(settings(**{f"temporal_tls_client_{given}_file": files[given]}))
    names = named_settings(str(refused.value))
    assert names == {"MALLBOTS_TEMPORAL_TLS_CLIENT_CERT_FILE", "MALLBOTS_TEMPORAL_TLS_CLIENT_KEY_FILE"}
    assert names <= setting_names()


def test_an_api_key_turns_tls_on_and_is_sent_but_never_shown() -> None:
    transport = temporal_transport(settings(temporal_api_key="cloud-key-0123456789"))
    assert transport.api_key == "cloud-key-0123456789"
    assert transport.tls == TLSConfig(), "an API key never travels in clear"
    assert "cloud-key-0123456789" not in repr(transport)


def test_an_empty_api_key_is_refused() -> None:
    with pytest.raises(TransportConfigError, match="MALLBOTS_TEMPORAL_API_KEY is empty"):
        temporal_transport(settings(temporal_api_key=" "))


@pytest.mark.parametrize(
    "setting", ["temporal_tls_server_ca_file", "temporal_tls_client_cert_file", "temporal_tls_client_key_file"]
)
def test_a_missing_file_is_an_error_naming_its_setting_and_path(
    setting: str, files: dict[str, Path], tmp_path: Path
) -> None:
    values: dict[str, object] = {
        "temporal_tls_client_cert_file": files["cert"],
        "temporal_tls_client_key_file": files["key"],
    }
    missing = tmp_path / "nowhere" / "file.pem"
    values[setting] = missing
    with pytest.raises(TransportConfigError) as refused:
        temporal_transport(settings(**values))
    message = str(refused.value)
    assert message.startswith(f"MALLBOTS_{setting.upper()}: cannot read {missing}"), message
    assert "No such file" in message


def test_a_file_that_is_no_pem_certificate_is_named(tmp_path: Path, files: dict[str, Path]) -> None:
    wrong = tmp_path / "ca.crt"
    wrong.write_text("not a certificate\n")
    with pytest.raises(
        TransportConfigError, match=r"MALLBOTS_TEMPORAL_TLS_SERVER_CA_FILE: .* holds no PEM certificate"
    ):
        temporal_transport(settings(temporal_tls_server_ca_file=wrong))
    # A key where the certificate belongs, and the other way round.
    with pytest.raises(TransportConfigError, match="MALLBOTS_TEMPORAL_TLS_CLIENT_CERT_FILE"):
        temporal_transport(
            settings(temporal_tls_client_cert_file=files["key"], temporal_tls_client_key_file=files["key"])
        )
    with pytest.raises(
        TransportConfigError, match=r"MALLBOTS_TEMPORAL_TLS_CLIENT_KEY_FILE: .* holds no PEM private key"
    ):
        temporal_transport(
            settings(temporal_tls_client_cert_file=files["cert"], temporal_tls_client_key_file=files["cert"])
        )


def test_an_encrypted_client_key_is_refused(tmp_path: Path, files: dict[str, Path]) -> None:
    key = serialization.load_pem_private_key(files["key"].read_bytes(), password=None)
    encrypted = tmp_path / "encrypted.key"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    with pytest.raises(TransportConfigError, match=r"MALLBOTS_TEMPORAL_TLS_CLIENT_KEY_FILE: .* is encrypted"):
        temporal_transport(
            settings(temporal_tls_client_cert_file=files["cert"], temporal_tls_client_key_file=encrypted)
        )


def test_the_settings_are_read_from_their_environment_variables(
    monkeypatch: pytest.MonkeyPatch, files: dict[str, Path]
) -> None:
    monkeypatch.setenv("MALLBOTS_TEMPORAL_TLS_SERVER_CA_FILE", str(files["ca"]))
    monkeypatch.setenv("MALLBOTS_TEMPORAL_TLS_SERVER_NAME", "temporal.internal")
    monkeypatch.setenv("MALLBOTS_TEMPORAL_TLS_CLIENT_CERT_FILE", str(files["cert"]))
    monkeypatch.setenv("MALLBOTS_TEMPORAL_TLS_CLIENT_KEY_FILE", str(files["key"]))
    monkeypatch.setenv("MALLBOTS_TEMPORAL_API_KEY", "k")
    transport = temporal_transport(Settings(_env_file=None))
    assert transport.tls == TLSConfig(
        server_root_ca_cert=files["ca"].read_bytes(),
        domain="temporal.internal",
        client_cert=files["cert"].read_bytes(),
        client_private_key=files["key"].read_bytes(),
    )
    assert transport.api_key == "k"


# ------------------------------------------------------------------------------------------------ Postgres


def test_without_database_tls_settings_libpq_keeps_its_defaults() -> None:
    assert database_tls(settings()) is None


def test_sslmode_takes_only_libpqs_values() -> None:
    for mode in ("disable", "allow", "prefer", "require", "verify-ca", "verify-full"):
        assert settings(database_sslmode=mode).database_sslmode == mode
    with pytest.raises(ValidationError, match="verify-full"):
        settings(database_sslmode="verify_full")


def test_a_ca_without_an_sslmode_means_verify_full(files: dict[str, Path]) -> None:
    assert database_tls(settings(database_sslrootcert=files["ca"])) == DatabaseTls(
        sslmode="verify-full", sslrootcert=str(files["ca"])
    )


@pytest.mark.parametrize("mode", ["disable", "allow", "prefer"])
def test_a_ca_with_an_sslmode_that_never_checks_it_is_refused(mode: str, files: dict[str, Path]) -> None:
    with pytest.raises(TransportConfigError, match=f"MALLBOTS_DATABASE_SSLMODE={mode} never checks"):
        database_tls(settings(database_sslmode=mode, database_sslrootcert=files["ca"]))


def test_the_system_roots_need_no_file() -> None:
    tls = database_tls(settings(database_sslmode="verify-full", database_sslrootcert="system"))
    assert tls == DatabaseTls(sslmode="verify-full", sslrootcert="system")


def test_a_client_certificate_for_postgres_needs_both_files(files: dict[str, Path], tmp_path: Path) -> None:
    tls = database_tls(
        settings(database_sslmode="require", database_sslcert=files["cert"], database_sslkey=files["key"])
    )
    assert tls == DatabaseTls(sslmode="require", sslcert=str(files["cert"]), sslkey=str(files["key"]))
    with pytest.raises(TransportConfigError, match="MALLBOTS_DATABASE_SSLCERT is set but MALLBOTS_DATABASE_SSLKEY"):
        database_tls(settings(database_sslcert=files["cert"]))
    with pytest.raises(TransportConfigError, match="MALLBOTS_DATABASE_SSLROOTCERT: cannot read"):
        database_tls(settings(database_sslrootcert=tmp_path / "missing.crt"))


def test_the_parameters_join_every_url_but_never_override_what_a_url_says() -> None:
    tls = DatabaseTls(sslmode="verify-full", sslrootcert="/run/secrets/ca.crt")
    plain = make_url(tls.apply("postgresql+psycopg://app:p%40ss%2Fw@db.internal:5432/mallbots"))
    assert dict(plain.query) == {"sslmode": "verify-full", "sslrootcert": "/run/secrets/ca.crt"}
    assert (plain.username, plain.password, plain.host, plain.database) == ("app", "p@ss/w", "db.internal", "mallbots")
    local = make_url(tls.apply("postgresql+psycopg://app@127.0.0.1/mallbots?sslmode=disable&application_name=x"))
    assert dict(local.query) == {"sslmode": "disable", "application_name": "x", "sslrootcert": "/run/secrets/ca.crt"}
    url = "postgresql+psycopg://app@db/mallbots?sslmode=require&sslrootcert=/etc/ca.pem"
    assert tls.apply(url) == url


# ------------------------------------------------------------------------------------------------ the stack


def test_tls_settings_with_an_embedded_server_stop_the_start(files: dict[str, Path]) -> None:
    with pytest.raises(TransportConfigError, match="MALLBOTS_TEMPORAL_ADDRESS is not"):
        stack_transport(settings(temporal_api_key="k"), embedded_temporal=True, embedded_postgres=False)
    with pytest.raises(TransportConfigError, match="the embedded Postgres"):
        stack_transport(settings(database_sslmode="require"), embedded_temporal=False, embedded_postgres=True)
    # Modes that also connect without TLS are harmless there; against given servers everything goes.
    stack_transport(settings(database_sslmode="prefer"), embedded_temporal=True, embedded_postgres=True)
    temporal, database = stack_transport(
        settings(temporal_api_key="k", database_sslrootcert=files["ca"]),
        embedded_temporal=False,
        embedded_postgres=False,
    )
    assert temporal.api_key == "k" and database is not None and database.sslmode == "verify-full"
