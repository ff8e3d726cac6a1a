"""Transport security: the settings' TLS options turned into what the Temporal client and libpq are given.

Pure functions of the settings (they only read the files named there), so that what a process will connect
with can be checked, and is checked, before anything connects: a file that cannot be read, a client certificate
without its key, or a PEM that is none stops the start with the setting's name instead of a TLS error later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from sqlalchemy.engine import make_url
from temporalio.service import TLSConfig

from mallbots.settings import Settings

# The sslmodes under which libpq refuses a connection that is not encrypted.
ENCRYPTED_SSLMODES = frozenset({"require", "verify-ca", "verify-full"})
# libpq (16+) reads this sslrootcert value as "the system's trusted roots", not as a file name.
SYSTEM_ROOTS = "system"


class TransportConfigError(RuntimeError):
    """A transport setting the process cannot start with; the message names the setting and what to fix."""


@dataclass(frozen=True)
class TemporalTransport:
    """The ``tls`` and ``api_key`` arguments of ``temporalio.client.Client.connect``."""

    tls: TLSConfig | bool = False
    api_key: str | None = field(default=None, repr=False)

    @property
    def secured(self) -> bool:
        return self.tls is not False


PLAINTEXT = TemporalTransport()


def _env_name(setting: str) -> str:
    return f"MALLBOTS_{setting.upper()}"


def _read(path: Path, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise TransportConfigError(f"{_env_name(setting)}: cannot read {path}: {err.strerror or err}") from None


def _certificates(path: Path, setting: str) -> bytes:
    data = _read(path, setting)
    try:
        x509.load_pem_x509_certificates(data)
    except ValueError:
        raise TransportConfigError(f"{_env_name(setting)}: {path} holds no PEM certificate") from None
    return data


def _private_key(path: Path, setting: str) -> bytes:
    data = _read(path, setting)
    try:
        load_pem_private_key(data, password=None)
    except TypeError:  # the key is encrypted: Temporal's client takes no passphrase
        raise TransportConfigError(f"{_env_name(setting)}: {path} is encrypted; give it unencrypted") from None
    except (ValueError, UnsupportedAlgorithm) as err:
        raise TransportConfigError(f"{_env_name(setting)}: {path} holds no PEM private key ({err})") from None
    return data


def _pair(settings: Settings, cert: str, key: str) -> tuple[Path, Path] | None:
    """Both files of a client certificate, or neither: one alone is a mistake, never a quieter mode."""
    cert_file, key_file = getattr(settings, cert), getattr(settings, key)
    if (cert_file is None) != (key_file is None):
        given, missing = (cert, key) if cert_file is not None else (key, cert)
        raise TransportConfigError(
            f"{_env_name(given)} is set but {_env_name(missing)} is not: a client certificate needs both its "
            "certificate and its private key"
        )
    return None if cert_file is None else (cert_file, key_file)


def temporal_transport(settings: Settings) -> TemporalTransport:
    """TLS (and the API key) for the Temporal client. Any TLS setting or an API key turns TLS on: a key or a client
    certificate sent in clear would be given away, and Temporal Cloud accepts TLS only."""
    api_key = settings.temporal_api_key.get_secret_value() if settings.temporal_api_key is not None else None
    if api_key is not None and not api_key.strip():
        raise TransportConfigError("MALLBOTS_TEMPORAL_API_KEY is empty: unset it, or give the key")
    client = _pair(settings, "temporal_tls_client_cert_file", "temporal_tls_client_key_file")
    ca_file, server_name = settings.temporal_tls_server_ca_file, settings.temporal_tls_server_name
    if not (settings.temporal_tls or ca_file or server_name or client or api_key):
        return PLAINTEXT
    tls = TLSConfig(
        server_root_ca_cert=_certificates(ca_file, "temporal_tls_server_ca_file") if ca_file else None,
        domain=server_name or None,
        client_cert=_certificates(client[0], "temporal_tls_client_cert_file") if client else None,
        client_private_key=_private_key(client[1], "temporal_tls_client_key_file") if client else None,
    )
    return TemporalTransport(tls=tls, api_key=api_key)


@dataclass(frozen=True)
class DatabaseTls:
    """libpq's TLS parameters for every database connection; a URL's own parameters win over these."""

    sslmode: str | None = None
    sslrootcert: str | None = None
    sslcert: str | None = None
    sslkey: str | None = None

    def parameters(self) -> dict[str, str]:
        return {name: value for name, value in vars(self).items() if value is not None}

    def apply(self, url: str) -> str:
        """``url`` with these parameters in its query, except those it names itself: a URL made for one database
        (e.g. sslmode=disable for a local one) keeps what it says."""
        parsed = make_url(url)
        missing = {name: value for name, value in self.parameters().items() if name not in parsed.query}
        if not missing:
            return url
        return parsed.update_query_dict(missing).render_as_string(hide_password=False)


def database_tls(settings: Settings) -> DatabaseTls | None:
    """The database TLS settings, checked; None when none is set (libpq's defaults then apply)."""
    client = _pair(settings, "database_sslcert", "database_sslkey")
    root = settings.database_sslrootcert
    if settings.database_sslmode is None and root is None and client is None:
        return None
    if root is not None and str(root) != SYSTEM_ROOTS:
        _certificates(root, "database_sslrootcert")
    if client is not None:
        _certificates(client[0], "database_sslcert")
        _read(client[1], "database_sslkey")  # libpq itself checks the key's format and its file mode
    # A CA given without an sslmode means "check the server": libpq's default (prefer) would not even use it.
    sslmode = settings.database_sslmode or ("verify-full" if root is not None else None)
    if sslmode in ("disable", "allow", "prefer") and root is not None:
        raise TransportConfigError(
            f"MALLBOTS_DATABASE_SSLMODE={sslmode} never checks the server against MALLBOTS_DATABASE_SSLROOTCERT: "
            "use verify-full (or verify-ca), or unset the CA"
        )
    return DatabaseTls(
        sslmode=sslmode,
        sslrootcert=str(root) if root is not None else None,
        sslcert=str(client[0]) if client else None,
        sslkey=str(client[1]) if client else None,
    )


def stack_transport(
    settings: Settings, *, embedded_temporal: bool, embedded_postgres: bool
) -> tuple[TemporalTransport, DatabaseTls | None]:
    """Both transports, checked before a stack starts anything. The embedded dev servers speak no TLS: transport
    settings meant for a deployment, given while the stack starts its own server instead, are a mistake to name,
    not a plaintext connection to make quietly."""
    temporal, database = temporal_transport(settings), database_tls(settings)
    if embedded_temporal and temporal.secured:
        raise TransportConfigError(
            "Temporal TLS or an API key is configured but MALLBOTS_TEMPORAL_ADDRESS is not: the embedded dev server "
            "has no TLS. Set MALLBOTS_TEMPORAL_ADDRESS, or unset MALLBOTS_TEMPORAL_TLS* and MALLBOTS_TEMPORAL_API_KEY"
        )
    if embedded_postgres and database is not None and database.sslmode in ENCRYPTED_SSLMODES:
        raise TransportConfigError(
            f"MALLBOTS_DATABASE_SSLMODE={database.sslmode} but not every service has a database URL: the embedded "
            "Postgres started for the others has no TLS. Set MALLBOTS_DATABASE_URL, or unset MALLBOTS_DATABASE_SSL*"
        )
    return temporal, database
