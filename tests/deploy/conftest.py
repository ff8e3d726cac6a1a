"""What the deployment artifacts are checked against: the real CLI, settings and service registry."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import typer.main
from fastapi.routing import APIRoute
from typer.core import TyperGroup

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def registered_services() -> list[str]:
    """Every service that has workers, from the one registry a new service is added to."""
    from mallbots.services import DEFINITIONS

    return list(DEFINITIONS)


def cli_group() -> TyperGroup:
    from mallbots.cli import app

    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    return group


def parse_cli(args: Sequence[str]) -> dict[str, object]:
    """Parse ``mallbots <args>`` with the real CLI, without running it; returns the parsed parameters.

    Fails the calling test when the subcommand or an option does not exist, or a value does not parse.
    """
    assert args, "an empty command runs `mallbots --help`, which is no role"
    group = cli_group()
    name, *rest = args
    command = group.commands.get(name)
    assert command is not None, f"`mallbots {shlex.join(args)}`: no command {name!r}; have {sorted(group.commands)}"
    try:
        with command.make_context(f"mallbots {name}", list(rest)) as ctx:
            return dict(ctx.params)
    except typer.Exit:
        raise AssertionError(f"`mallbots {shlex.join(args)}` only prints help") from None
    except Exception as err:  # typer's vendored click raises its UsageError family
        raise AssertionError(f"`mallbots {shlex.join(args)}` is refused by the CLI: {err}") from err


def services_of(args: Sequence[str]) -> list[str]:
    """The services a ``mallbots worker``/``api`` command line serves, as the CLI resolves them."""
    from mallbots.cli import _services

    params = parse_cli(args)
    service = params.get("service")
    assert service is None or isinstance(service, list | tuple)
    return _services(list(service) if service else None)


def settings_env_names() -> set[str]:
    """Every environment variable the Settings class reads (prefix + field name, as pydantic-settings does)."""
    from mallbots.settings import Settings

    prefix = str(Settings.model_config.get("env_prefix", ""))
    return {f"{prefix}{name}".upper() for name in Settings.model_fields}


def unknown_settings(names: Iterable[str]) -> list[str]:
    known = settings_env_names()
    return sorted(n for n in names if n.upper().startswith("MALLBOTS_") and n.upper() not in known)


def api_get_routes() -> set[str]:
    """GET paths of the FastAPI app every ``mallbots api`` serves (all routers, health, metrics)."""
    from api.app import create_app

    app = create_app(context=None)  # type: ignore[arg-type]  # routes only; nothing is served
    return {route.path for route in app.routes if isinstance(route, APIRoute) and "GET" in (route.methods or ())}
