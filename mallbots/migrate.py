"""Schema migrations with Alembic, one history per service (``readmodels/<service>/migrations``)."""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from psycopg.errors import InsufficientPrivilege
from sqlalchemy import MetaData
from sqlalchemy.exc import ProgrammingError
from sqlmodel import SQLModel

from mallbots.transport import DatabaseTls

ROOT = Path(__file__).resolve().parent.parent
SCRIPT_LOCATION = Path(__file__).resolve().parent / "migrations"


def versions_dir(service: str) -> Path:
    return ROOT / "readmodels" / service / "migrations"


def metadata_for(service: str) -> MetaData:
    """Only this service's tables: its migrations never touch another schema."""
    importlib.import_module(f"readmodels.{service}.tables")
    metadata = MetaData()
    for table in SQLModel.metadata.tables.values():
        if table.schema == service:
            table.to_metadata(metadata)
    return metadata


def _config(service: str, url: str, tls: DatabaseTls | None = None) -> Config:
    if tls is not None:
        url = tls.apply(url)  # the same TLS as the services' own engines (mallbots.db)
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", str(versions_dir(service)))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["service"] = service
    return cfg


def migrated_services() -> list[str]:
    from mallbots.settings import SERVICES

    return [s for s in SERVICES if versions_dir(s).is_dir()]


class MigrationRightsError(RuntimeError):
    """A schema behind this version, and a database user without the right to bring it to head."""


def upgrade(service: str, url: str, tls: DatabaseTls | None = None) -> None:
    """At head this changes nothing, so the services (with DML rights only, in a deployment) run it at start too:
    a schema left behind then stops the start, instead of the code running against tables it does not know."""
    try:
        command.upgrade(_config(service, url, tls), "head")
    except ProgrammingError as err:
        if not isinstance(err.orig, InsufficientPrivilege):
            raise
        reason = str(err.orig).splitlines()[0]
        raise MigrationRightsError(
            f"the {service} schema is not at this version's head and this database user may not migrate it "
            f"({reason}): run `mallbots migrate` as the migrations user first (the Helm chart's migrate Job does)"
        ) from err


def upgrade_all(urls: dict[str, str], tls: DatabaseTls | None = None) -> None:
    for service in migrated_services():
        upgrade(service, urls[service], tls)


def check(service: str, url: str, tls: DatabaseTls | None = None) -> None:
    """Raises if the tables in code and the migrations disagree (a migration is missing)."""
    command.check(_config(service, url, tls))


def new_revision(service: str, url: str, message: str) -> None:
    """Autogenerate a migration from the difference between the tables in code and the database."""
    versions_dir(service).mkdir(parents=True, exist_ok=True)
    upgrade(service, url) if any(versions_dir(service).glob("*.py")) else None
    command.revision(_config(service, url), message=message, autogenerate=True)
