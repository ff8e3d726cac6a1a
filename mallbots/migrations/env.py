"""Alembic environment shared by every service: each service migrates its own schema, in its own
database, with its own version table (``<service>.alembic_version``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, text

from mallbots.migrate import metadata_for

config = context.config
service: str = config.attributes["service"]
target_metadata = metadata_for(service)


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    return name == service if type_ == "schema" else True


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as connection:
        # Only when it is missing: CREATE SCHEMA needs the right to create in the database even for a schema that
        # exists, and a deployment's services run this at start (a no-op at head) as a user with DML rights only.
        if not connection.dialect.has_schema(connection, service):
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{service}"'))
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=service,
            include_schemas=True,
            include_name=include_name,
            compare_type=True,
        )
        context.run_migrations()
    engine.dispose()


run_migrations_online()
