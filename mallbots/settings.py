"""All configuration in one place: environment variables prefixed ``MALLBOTS_``."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES: tuple[str, ...] = (
    "stores",
    "customers",
    "baskets",
    "ordering",
    "depot",
    "payments",
    "notifications",
    "search",
)


class Settings(BaseSettings):
    """Typed settings. Every service has its own database URL; all default to one server, one schema each."""

    model_config = SettingsConfigDict(env_prefix="MALLBOTS_", env_file=".env", extra="ignore")

    temporal_address: str | None = Field(
        default=None, description="host:port of an existing Temporal frontend; unset = start a dev server"
    )
    temporal_namespace: str = "default"
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL used by every service without its own; unset = local Postgres",
    )
    stores_database_url: str | None = None
    customers_database_url: str | None = None
    baskets_database_url: str | None = None
    ordering_database_url: str | None = None
    depot_database_url: str | None = None
    payments_database_url: str | None = None
    notifications_database_url: str | None = None
    search_database_url: str | None = None

    api_host: str = "127.0.0.1"
    api_port: int = 8080
    data_dir: Path = Path(".mallbots")
    temporal_port: int = 7233
    temporal_ui_port: int = 8233
    temporal_ui_url: str | None = Field(
        default=None, description="the Temporal web UI `mallbots ops` links to (default: 127.0.0.1:temporal_ui_port)"
    )
    basket_ttl: timedelta = timedelta(hours=24)
    payment_ttl: timedelta = timedelta(days=7)
    continue_as_new_after: int = Field(default=1000, description="events before an entity continues-as-new")
    request_timeout: timedelta = Field(
        default=timedelta(seconds=10), description="an API request not answered by then is a 503 with Retry-After"
    )
    otlp_endpoint: str | None = Field(default=None, description="OTLP/HTTP collector, e.g. http://127.0.0.1:4318")
    temporal_metrics_address: str | None = Field(
        default=None, description="host:port to serve the Temporal SDK's Prometheus metrics on"
    )
    workflow_sandbox: bool = Field(
        default=False,
        description="run workflows in the SDK's default determinism sandbox, as the workflow tests and replays do",
    )
    # Each service's worker keeps this many workflow runs in memory (the SDK's sticky cache); one evicted is
    # replayed from its history at its next task. Bounded so that memory stays flat however many baskets, orders
    # and payments are open: the cache is the only per-entity memory a worker holds.
    workflow_cache: int = Field(
        default=250, ge=0, description="workflow runs each service's worker keeps in memory (0 = none, replay always)"
    )
    # Worker Deployment Versioning (mallbots.versioning): the workers register <deployment_name>.<build_id>; pinned
    # workflows end on the build they started on, entities move to the current build at continue-as-new.
    worker_versioning: bool = Field(
        default=False,
        description="register the workers as a deployment version (Helm and Compose turn it on); off = unversioned",
    )
    deployment_name: str = Field(
        default="mallbots", pattern=r"^[^.\s]+$", description="the Worker Deployment of every service's workers"
    )
    build_id: str | None = Field(
        default=None,
        pattern=r"^\S+$",
        description="this build's ID (the image tag in Helm and Compose); unset = a hash of the loaded code",
    )
    worker_shutdown_grace: timedelta = Field(
        default=timedelta(0),
        description="on shutdown, how long running activities may finish before they are cancelled (a rollout "
        "scales an old build down: Helm and Compose give 30 s, under the pod's termination grace); 0 = at once",
    )
    # Payload privacy (mallbots.codec): every payload exchanged with Temporal is encrypted with AES-GCM.
    payload_encryption: bool = Field(
        default=True, description="encrypt Temporal payloads; off (false) only on purpose: logged as a WARNING"
    )
    payload_keys: SecretStr | None = Field(
        default=None, description="'id=base64key,id2=base64key' (32-byte keys): the first encrypts, all decrypt"
    )
    payload_keys_file: Path | None = Field(
        default=None, description="a mounted file, one 'id=base64key' a line, the first line the current key"
    )
    codec_token: SecretStr | None = Field(
        default=None, description="bearer secret of the codec endpoint (/codec/decode, /codec/encode)"
    )
    codec_cors_origins: str | None = Field(
        default=None, description="comma-separated browser origins allowed to call the codec endpoint"
    )
    # Transport security (mallbots.transport): TLS to a Temporal cluster and to Postgres. Files are read at start;
    # one that cannot be read stops the process naming its setting.
    temporal_tls: bool = Field(
        default=False, description="TLS to Temporal (system roots); implied by any temporal_tls_* file or an API key"
    )
    temporal_tls_server_ca_file: Path | None = Field(
        default=None, description="PEM CA the Temporal server's certificate must chain to; unset = the system roots"
    )
    temporal_tls_server_name: str | None = Field(
        default=None, description="name the server certificate is checked against (and SNI), if not the address's"
    )
    temporal_tls_client_cert_file: Path | None = Field(
        default=None, description="PEM client certificate for mTLS; needs temporal_tls_client_key_file"
    )
    temporal_tls_client_key_file: Path | None = Field(
        default=None, description="PEM private key of the mTLS client certificate (unencrypted)"
    )
    temporal_api_key: SecretStr | None = Field(
        default=None, description="Temporal Cloud API key, sent as a bearer token; turns TLS on"
    )
    database_sslmode: Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"] | None = Field(
        default=None,
        description="libpq sslmode of every database connection (an sslmode in a URL wins); "
        "unset = libpq's prefer, or verify-full when database_sslrootcert is set",
    )
    database_sslrootcert: Path | None = Field(
        default=None, description="PEM CA the Postgres server's certificate must chain to ('system' = system roots)"
    )
    database_sslcert: Path | None = Field(default=None, description="PEM client certificate for Postgres")
    database_sslkey: Path | None = Field(default=None, description="its private key (mode 0600, or 0640 owned by root)")
    # Metrics (mallbots.metrics): the API serves GET /metrics; a worker process serves its own here, and the Temporal
    # SDK's (with the workflows' domain metrics) on temporal_metrics_address.
    metrics_address: str | None = Field(
        default=None,
        description="host:port where a process running workers serves its metrics for Prometheus "
        "(projection lag, parked events, process); unset = not served",
    )
    # Authentication (api.auth, api.access): a bearer JWT on every route but health, readiness and the OpenAPI.
    auth: bool = Field(
        default=True, description="require a bearer JWT; off (false) only on purpose (the book's clients): a WARNING"
    )
    auth_issuer: str | None = Field(
        default=None, description="OIDC issuer URL (its discovery document names the JWKS); unset = the local issuer"
    )
    auth_jwks_url: str | None = Field(default=None, description="the issuer's JWKS URL, if not the discovered one")
    auth_audience: str = Field(default="mallbots", description="the audience (aud) a token must be issued for")
    auth_roles_claim: str = Field(
        default="roles", description="the claim with the caller's roles, a dotted path (e.g. realm_access.roles)"
    )
    auth_signing_key_file: Path | None = Field(
        default=None, description="the local issuer's private key (PEM); unset = one in the data dir (dev stack)"
    )
    metrics_public: bool = Field(default=True, description="false = /metrics needs an operator token")
    log_level: str = "INFO"
    # The process layout of `mallbots up` and the bench (mallbots.processes): the Python side on every core.
    worker_processes: int = Field(
        default=2, ge=0, description="worker processes beside the API's; 0 = the workers and the API in one process"
    )
    api_processes: int = Field(default=1, ge=1, description="API processes, sharing one listening socket")

    def cors_origins(self) -> list[str] | None:
        """The configured codec CORS origins; None = the default (the dev stack's UI origin)."""
        if self.codec_cors_origins is None:
            return None
        return [o.strip().rstrip("/") for o in self.codec_cors_origins.split(",") if o.strip()]

    def database_url_for(self, service: str) -> str:
        """The service's own URL, else the shared one. Raises if neither is known yet."""
        url = getattr(self, f"{service}_database_url") or self.database_url
        if url is None:
            raise RuntimeError(f"no database URL for service {service!r}: set MALLBOTS_DATABASE_URL")
        return str(url)
