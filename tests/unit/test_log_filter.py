"""A failed activity attempt is logged as one line, not a traceback (mallbots/logs.py).

The records are made by the SDK's own activity logger (``temporalio.activity.logger``) inside a real activity
context, exactly as its worker logs ``Completing activity as failed``; the filter is installed on that logger as
``mallbots`` installs it, and removed again after each test.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator

import pytest
from temporalio import activity
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from domain.shared.errors import Conflict
from mallbots.logs import ACTIVITY_LOGGER, OneLineActivityFailures, install_activity_failure_filter
from workflows.shared.errors import business_failure


class Captured(logging.Handler):
    """Formats each record as a stream handler would, traceback included."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


@pytest.fixture
def captured() -> Iterator[Captured]:
    logger = logging.getLogger(ACTIVITY_LOGGER)
    handler = Captured()
    level, propagate, filters = logger.level, logger.propagate, list(logger.filters)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    install_activity_failure_filter()
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
        logger.filters[:] = filters


def a_failed_attempt(err: BaseException, *, attempt: int = 3, level: int = logging.WARNING) -> None:
    """What the SDK's activity worker does when an attempt fails: log from the except block, in the activity's
    context (its logger adds the activity's details to the message and to ``extra``)."""
    env = ActivityEnvironment()
    env.info = dataclasses.replace(
        env.info, activity_type="apply_store_event", attempt=attempt, workflow_id="store:s-1", task_queue="search"
    )

    def attempt_fails() -> None:
        try:
            raise err
        except BaseException:
            activity.logger.log(
                level,
                "Completing activity as failed",
                exc_info=True,
                extra={"__temporal_error_identifier": "ActivityFailure"},
            )

    env.run(attempt_fails)


def test_a_failed_attempt_is_one_warning_line_naming_the_activity_the_attempt_and_the_error(
    captured: Captured,
) -> None:
    a_failed_attempt(ConnectionError("search database unreachable"))

    (line,) = captured.lines
    assert line == (
        "WARNING temporalio.activity: activity apply_store_event (workflow store:s-1, queue search) "
        "failed (attempt 3): ConnectionError: search database unreachable"
    )
    assert "Traceback" not in line and "\n" not in line


def test_a_business_failure_is_one_info_line_named_by_its_kind(captured: Captured) -> None:
    try:
        raise business_failure(Conflict("the customer is disabled")) from Conflict("the customer is disabled")
    except ApplicationError as err:
        failure = err

    a_failed_attempt(failure, attempt=1)

    (record,) = captured.records
    assert record.levelno == logging.INFO
    assert captured.lines == [
        "INFO temporalio.activity: activity apply_store_event (workflow store:s-1, queue search) "
        "failed (attempt 1): Conflict: the customer is disabled"
    ]


def test_a_retryable_application_error_is_not_a_business_failure(captured: Captured) -> None:
    a_failed_attempt(ApplicationError("try again", type="Conflict"))

    (record,) = captured.records
    assert record.levelno == logging.WARNING
    assert record.getMessage().endswith("failed (attempt 3): Conflict: try again")


def test_a_multi_line_error_keeps_its_first_line_and_names_its_cause(captured: Captured) -> None:
    try:
        try:
            raise KeyError("location")
        except KeyError as cause:
            raise RuntimeError(
                "(psycopg.OperationalError) connection failed\n[SQL: INSERT ...]\n(Background)"
            ) from cause
    except RuntimeError as err:
        failure = err

    a_failed_attempt(failure)

    (line,) = captured.lines
    assert line.endswith("RuntimeError: (psycopg.OperationalError) connection failed ← KeyError: 'location'")


def test_a_business_failure_is_dropped_when_the_logger_wants_warnings_only(captured: Captured) -> None:
    logging.getLogger(ACTIVITY_LOGGER).setLevel(logging.WARNING)

    a_failed_attempt(business_failure(Conflict("the customer is disabled")))
    a_failed_attempt(ConnectionError("unreachable"))

    assert [r.levelno for r in captured.records] == [logging.WARNING]


def test_a_failure_the_sdk_logs_at_debug_stays_at_debug(captured: Captured) -> None:
    logging.getLogger(ACTIVITY_LOGGER).setLevel(logging.DEBUG)

    a_failed_attempt(ConnectionError("unreachable"), level=logging.DEBUG)

    assert [r.levelno for r in captured.records if "failed (attempt" in r.getMessage()] == [logging.DEBUG]


def test_other_records_pass_unchanged(captured: Captured) -> None:
    logger = logging.getLogger(ACTIVITY_LOGGER)
    try:
        raise ValueError("boom")
    except ValueError:
        logger.warning("Activity task raised during worker shutdown", exc_info=True)
    logger.info("Completing activity as failed, but without an exception")

    first, second = captured.lines
    assert first.startswith("WARNING temporalio.activity: Activity task raised during worker shutdown\nTraceback")
    assert second == "INFO temporalio.activity: Completing activity as failed, but without an exception"


def test_installing_twice_installs_one_filter(captured: Captured) -> None:
    install_activity_failure_filter()
    install_activity_failure_filter()

    filters = logging.getLogger(ACTIVITY_LOGGER).filters
    assert sum(isinstance(f, OneLineActivityFailures) for f in filters) == 1
