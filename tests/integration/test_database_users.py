"""The deployment's two database users, made by deploy/database-users.sql on a real Postgres: the migrations user
brings every schema to head; the services' user reads and writes rows, changes no schema, and still starts (its
start-time migration is a no-op at head), but refuses to start against a schema behind head.

Its own server: the session's stack connects as the superuser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from mallbots import migrate
from mallbots.devstack.postgres import LocalPostgres
from mallbots.settings import SERVICES, Settings
from mallbots.stack import Stack, StackOptions

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
USERS_SQL = REPO / "deploy" / "database-users.sql"
MIGRATIONS_USER, APP_USER = "mallbots_migrations", "mallbots_app"


@dataclass(frozen=True)
class Database:
    postgres: LocalPostgres

    def url(self, user: str) -> str:
        return self.postgres.url.replace("://postgres@", f"://{user}@")

    def connect(self, user: str) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url(user).replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A server on which an administrator ran deploy/database-users.sql, then the migrations user migrated."""
    postgres = LocalPostgres(tmp_path_factory.mktemp("database-users") / "data", ephemeral=True)
    postgres.start()
    db = Database(postgres)
    try:
        with db.connect("postgres") as admin:
            admin.execute(USERS_SQL.read_text())  # a whole script, as psql -f runs it
        migrate.upgrade_all({s: db.url(MIGRATIONS_USER) for s in SERVICES})
        yield db
    finally:
        postgres.destroy()


def tables(db: Database) -> list[tuple[str, str]]:
    with db.connect("postgres") as admin:
        rows = admin.execute(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY(%s) ORDER BY 1, 2", (list(SERVICES),)
        ).fetchall()
    return [(str(schema), str(table)) for schema, table in rows]


def test_the_script_covers_exactly_the_services_schemas() -> None:
    text = USERS_SQL.read_text()
    created = re.findall(r"CREATE SCHEMA IF NOT EXISTS (\w+) AUTHORIZATION mallbots_migrations;", text)
    assert created == list(SERVICES)
    for listed in re.findall(r"(?:SCHEMA|IN SCHEMA) ((?:\w+, )+\w+)", text):
        assert listed.split(", ") == list(SERVICES), listed


def test_the_migrations_user_owns_every_schema_and_table(database: Database) -> None:
    with database.connect("postgres") as admin:
        owners = {
            str(schema): str(owner)
            for schema, owner in admin.execute(
                "SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = ANY(%s)", (list(SERVICES),)
            )
        }
        table_owners = {
            row[0]
            for row in admin.execute(
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = ANY(%s)", (list(SERVICES),)
            )
        }
    assert owners == dict.fromkeys(SERVICES, MIGRATIONS_USER)
    assert table_owners == {MIGRATIONS_USER}


def test_the_app_user_may_read_and_write_every_table_and_do_nothing_else(database: Database) -> None:
    found = tables(database)
    assert {schema for schema, _ in found} == set(SERVICES), "a service without tables: nothing to check there"
    with database.connect("postgres") as admin:
        for schema, table in found:
            name = f'"{schema}"."{table}"'
            for right, granted in [("SELECT", True), ("INSERT", True), ("UPDATE", True), ("DELETE", True),
                                   ("TRUNCATE", False), ("REFERENCES", False), ("TRIGGER", False)]:  # fmt: skip
                held = admin.execute("SELECT has_table_privilege(%s, %s, %s)", (APP_USER, name, right)).fetchone()
                assert held == (granted,), f"{APP_USER} {'lacks' if granted else 'has'} {right} on {name}"
        for schema in SERVICES:
            may_create = admin.execute("SELECT has_schema_privilege(%s, %s, 'CREATE')", (APP_USER, schema)).fetchone()
            assert may_create == (False,), schema
        may_create_schemas = admin.execute(
            "SELECT has_database_privilege(%s, current_database(), 'CREATE')", (APP_USER,)
        ).fetchone()
        assert may_create_schemas == (False,)


@pytest.mark.parametrize(
    "statement",
    [
        "CREATE TABLE stores.intruder (id int)",
        "ALTER TABLE ordering.orders ADD COLUMN intruder int",
        "DROP TABLE search.orders",
        "CREATE SCHEMA intruder",
    ],
)
def test_the_app_user_is_refused_ddl(database: Database, statement: str) -> None:
    with database.connect(APP_USER) as app, pytest.raises(psycopg.errors.InsufficientPrivilege):
        app.execute(statement)


def test_a_table_a_later_migration_adds_is_the_app_users_to_use_at_once(database: Database) -> None:
    with database.connect(MIGRATIONS_USER) as owner:
        owner.execute("CREATE TABLE stores.added_later (id bigserial PRIMARY KEY, note text)")
    try:
        with database.connect(APP_USER) as app:
            app.execute("INSERT INTO stores.added_later (note) VALUES ('written by the app')")
            assert app.execute("SELECT note FROM stores.added_later").fetchall() == [("written by the app",)]
            app.execute("UPDATE stores.added_later SET note = 'changed'")
            app.execute("DELETE FROM stores.added_later")
    finally:
        with database.connect(MIGRATIONS_USER) as owner:
            owner.execute(sql.SQL("DROP TABLE stores.added_later"))


async def test_a_stack_as_the_app_user_starts_against_migrated_schemas(database: Database, tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url=database.url(APP_USER), temporal_address=None)
    options = StackOptions(settings=settings, persistent=False, ui=False, run_api=False, run_workers=False)
    async with Stack(options) as stack:
        assert stack.databases is not None
        await stack.databases.ping()


def test_the_app_user_refuses_to_start_against_a_schema_behind_head(database: Database) -> None:
    # A fresh database the migrations user never reached: the services' user may not make the schema.
    with database.connect("postgres") as admin:
        admin.execute("CREATE DATABASE behind")
        admin.execute(sql.SQL("GRANT CONNECT ON DATABASE behind TO {}").format(sql.Identifier(APP_USER)))
    url = database.url(APP_USER).rsplit("/", 1)[0] + "/behind"
    with pytest.raises(migrate.MigrationRightsError, match=r"the stores schema is not at this version's head .*"
                       r"permission denied .* run `mallbots migrate` as the migrations user first"):  # fmt: skip
        migrate.upgrade("stores", url)


def test_deploy_readme_shows_the_script_as_it_is() -> None:
    readme = (REPO / "deploy" / "README.md").read_text()
    assert f"```sql\n{USERS_SQL.read_text()}```" in readme, "deploy/README.md and deploy/database-users.sql differ"
