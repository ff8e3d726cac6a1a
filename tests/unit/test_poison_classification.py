"""Which projection failures are parked (retrying cannot fix them) and which are retried (activities/shared/poison.py),
and how a parked event is kept so that it can be applied again byte for byte."""

from __future__ import annotations

import asyncio

import psycopg
import psycopg.errors
import pytest
import sqlalchemy.exc
from pydantic import BaseModel, ValidationError
from temporalio.exceptions import ApplicationError

from activities.shared.poison import column_text, delivered_event, describe, is_poison, storable_event


def _validation_error() -> ValidationError:
    class Strict(BaseModel):
        number: int

    try:
        Strict.model_validate({"number": "not a number"})
    except ValidationError as err:
        return err
    raise AssertionError("the model accepted a bad number")


def _unicode_error() -> UnicodeError:
    try:
        "\ud800".encode()
    except UnicodeError as err:
        return err
    raise AssertionError("a lone surrogate was encoded")


def _sql(cls: type[sqlalchemy.exc.DBAPIError], orig: Exception) -> sqlalchemy.exc.DBAPIError:
    """What SQLAlchemy raises around a driver error (the statement and parameters as it reports them)."""
    return cls("INSERT INTO search.stores (id, name, version) VALUES (%(id)s, %(name)s, %(version)s)", {}, orig)


NUL = "PostgreSQL text fields cannot contain NUL (0x00) bytes"

POISON: list[tuple[str, BaseException]] = [
    ("a NUL in a text column", _sql(sqlalchemy.exc.DataError, psycopg.DataError(NUL))),
    ("a character Postgres cannot store", _sql(sqlalchemy.exc.DataError, psycopg.errors.UntranslatableCharacter())),
    ("a constraint", _sql(sqlalchemy.exc.IntegrityError, psycopg.errors.UniqueViolation("duplicate key"))),
    ("a missing table", _sql(sqlalchemy.exc.ProgrammingError, psycopg.errors.UndefinedTable("no such table"))),
    ("an unsupported feature", _sql(sqlalchemy.exc.NotSupportedError, psycopg.errors.FeatureNotSupported())),
    ("the driver's data error, unwrapped", psycopg.DataError(NUL)),
    ("the driver's constraint error, unwrapped", psycopg.errors.UniqueViolation("duplicate key")),
    ("the driver's programming error, unwrapped", psycopg.errors.UndefinedColumn("no such column")),
    ("the driver's not-supported error, unwrapped", psycopg.errors.FeatureNotSupported()),
    (
        "a value SQLAlchemy could not bind",
        sqlalchemy.exc.StatementError("could not bind", "INSERT ...", {}, ValueError("bad decimal")),
    ),
    ("an event that does not validate", _validation_error()),
    ("text that cannot be encoded", _unicode_error()),
    ("a bad value", ValueError("invalid literal")),
    ("a type mix-up", TypeError("unsupported operand")),
    ("a missing key (a bug)", KeyError("location")),
    ("a missing attribute (a bug)", AttributeError("'Store' object has no attribute 'owner'")),
]

TRANSIENT: list[tuple[str, BaseException]] = [
    ("the database unreachable", _sql(sqlalchemy.exc.OperationalError, psycopg.OperationalError("connection refused"))),
    ("the connection broken", _sql(sqlalchemy.exc.InterfaceError, psycopg.InterfaceError("the connection is closed"))),
    ("a serialization failure", _sql(sqlalchemy.exc.OperationalError, psycopg.errors.SerializationFailure())),
    ("a deadlock", _sql(sqlalchemy.exc.OperationalError, psycopg.errors.DeadlockDetected())),
    ("a statement timeout", _sql(sqlalchemy.exc.OperationalError, psycopg.errors.QueryCanceled())),
    ("the server shutting down", _sql(sqlalchemy.exc.OperationalError, psycopg.errors.AdminShutdown())),
    ("an aborted transaction", _sql(sqlalchemy.exc.InternalError, psycopg.errors.InFailedSqlTransaction())),
    ("a generic driver error", _sql(sqlalchemy.exc.DBAPIError, psycopg.Error("something"))),
    ("the driver's operational error, unwrapped", psycopg.OperationalError("connection refused")),
    ("the driver's interface error, unwrapped", psycopg.InterfaceError("the connection is closed")),
    ("the pool exhausted", sqlalchemy.exc.TimeoutError("QueuePool limit reached")),
    (
        "a bind that lost its connection",
        sqlalchemy.exc.StatementError("could not bind", "INSERT ...", {}, ConnectionError("reset")),
    ),
    ("connection refused", ConnectionRefusedError(111, "Connection refused")),
    ("a timeout", TimeoutError()),
    ("an OS error", OSError("no route to host")),
    ("a cancel", asyncio.CancelledError()),
    ("a business failure", ApplicationError("the store does not exist", type="NotFound", non_retryable=True)),
    ("an unclassified error", RuntimeError("something else")),
]


@pytest.mark.parametrize("err", [e for _, e in POISON], ids=[name for name, _ in POISON])
def test_an_error_retrying_cannot_fix_is_poison(err: BaseException) -> None:
    assert is_poison(err)


@pytest.mark.parametrize("err", [e for _, e in TRANSIENT], ids=[name for name, _ in TRANSIENT])
def test_an_error_that_may_pass_is_retried(err: BaseException) -> None:
    assert not is_poison(err)


def test_an_error_is_described_in_one_line_by_its_class_and_first_line() -> None:
    err = _sql(sqlalchemy.exc.DataError, psycopg.DataError(NUL))

    assert describe(err) == f"DataError: (psycopg.DataError) {NUL}"
    assert describe(KeyError("location")) == "KeyError: 'location'"
    assert describe(TimeoutError()) == "TimeoutError"


EVENT = {"name": "stores.StoreCreated", "aggregate_id": "s-1", "number": 1, "store": {"id": "s-1", "name": "Corner"}}


def test_an_event_jsonb_can_hold_is_stored_as_it_is() -> None:
    assert storable_event(EVENT) == EVENT
    assert delivered_event(EVENT) == EVENT
    unicode = {**EVENT, "store": {"id": "s-1", "name": "Café 🛒"}}
    assert storable_event(unicode) == unicode


@pytest.mark.parametrize("name", ["Corner\x00Shop", "Corner \ud800"], ids=["a NUL", "a lone surrogate"])
def test_an_event_jsonb_refuses_is_stored_encoded_and_delivered_back_unchanged(name: str) -> None:
    event = {**EVENT, "store": {"id": "s-1", "name": name}}

    stored = storable_event(event)

    assert stored != event
    assert "\x00" not in repr(stored) and "\\ud800" not in repr(stored)
    assert delivered_event(stored) == event


def test_text_for_a_column_spells_out_what_postgres_refuses() -> None:
    assert column_text("Corner\x00Shop \ud800 Café") == "Corner\\x00Shop \\ud800 Café"
    assert column_text("plain") == "plain"
