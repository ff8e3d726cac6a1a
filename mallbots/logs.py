"""Logging for the processes ``mallbots`` runs: one line per failed activity attempt instead of a traceback.

The Temporal SDK logs every failed attempt of an activity as ``Completing activity as failed`` with the full
traceback (logger ``temporalio.activity``). A step retried against a database that is down then fills the log
with a traceback every few seconds, and a refused business rule (a disabled customer, too little money) reads
like a crash. ``OneLineActivityFailures`` turns each such record into one line — which activity, which attempt,
the error's type and message — at INFO for a business failure (a refusal the saga handles) and WARNING for
anything else.

``install_trace_ids`` puts ``trace_id=<32 hex>`` on each line logged while a span is current (a request, an
activity), so a log line leads to its trace and a trace to its log lines. Without tracing no span is ever
current and the lines stay as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from opentelemetry import trace
from temporalio.exceptions import ApplicationError

from workflows.shared.errors import business_error_in

ACTIVITY_LOGGER = "temporalio.activity"
_FAILED = "Completing activity as failed"
_MESSAGE_LIMIT = 300


def _error_summary(err: BaseException) -> str:
    """``Type: first line of the message``; an ApplicationError is named by its own type (``Conflict``)."""
    name = err.type if isinstance(err, ApplicationError) and err.type else type(err).__name__
    message = err.message if isinstance(err, ApplicationError) else str(err)
    lines = message.strip().splitlines()
    first = lines[0] if lines else ""
    if len(first) > _MESSAGE_LIMIT:
        first = first[:_MESSAGE_LIMIT] + "…"
    return f"{name}: {first}" if first else name


def one_line(details: Mapping[str, Any], err: BaseException) -> str:
    """``activity apply_store_event (workflow store:…, queue search) failed (attempt 3): Type: message``."""
    labels = (("workflow_id", "workflow"), ("task_queue", "queue"))
    where = ", ".join(f"{label} {details[key]}" for key, label in labels if details.get(key))
    activity = details.get("activity_type", "?")
    text = f"activity {activity}" + (f" ({where})" if where else "")
    summary = _error_summary(err)
    text += f" failed (attempt {details.get('attempt', '?')}): {summary}"
    # The cause says what an SDK wrapper ("Failed decoding arguments") or a re-raise hides, when it adds something.
    cause = err.__cause__
    if cause is not None and cause is not err and (cause_summary := _error_summary(cause)) != summary:
        text += f" ← {cause_summary}"
    return text


class OneLineActivityFailures(logging.Filter):
    """Rewrites the SDK's ``Completing activity as failed`` records in place; lets every other record by."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.msg, str) or not record.msg.startswith(_FAILED) or not record.exc_info:
            return True
        err = record.exc_info[1]
        if err is None:
            return True
        wanted = logging.INFO if business_error_in(err) is not None else logging.WARNING
        level = min(record.levelno, wanted)  # never louder than the SDK chose (it logs benign errors at DEBUG)
        if level != record.levelno and not logging.getLogger(record.name).isEnabledFor(level):
            return False
        details = getattr(record, "temporal_activity", None)
        record.msg = one_line(details if isinstance(details, Mapping) else {}, err)
        record.args = ()
        record.levelno, record.levelname = level, logging.getLevelName(level)
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        return True


def install_activity_failure_filter(logger_name: str = ACTIVITY_LOGGER) -> None:
    """Idempotent: one filter per logger however often a process sets up its logging."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, OneLineActivityFailures) for f in logger.filters):
        logger.addFilter(OneLineActivityFailures())


class TraceIds(logging.Filter):
    """Sets ``record.trace_id``: the 32 hex digits of the current span's trace, or "" when no span is current.
    A handler's filter (a logger's would miss what its children propagate), so every formatter can use it."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        record.trace_id = trace.format_trace_id(context.trace_id) if context.is_valid else ""
        return True


class TraceIdFormatter(logging.Formatter):
    """Another formatter's line with `` trace_id=<32 hex>`` at the end of its first line (before a traceback)."""

    def __init__(self, inner: logging.Formatter | None = None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        text = self.inner.format(record)
        trace_id = getattr(record, "trace_id", "")
        if not trace_id:
            return text
        first, newline, rest = text.partition("\n")
        return f"{first} trace_id={trace_id}{newline}{rest}"


def install_trace_ids(handlers: Iterable[logging.Handler] | None = None) -> None:
    """On ``handlers`` (default: the root logger's, as ``logging.basicConfig`` made them). Idempotent."""
    for handler in logging.getLogger().handlers if handlers is None else handlers:
        if not any(isinstance(f, TraceIds) for f in handler.filters):
            handler.addFilter(TraceIds())
        if not isinstance(handler.formatter, TraceIdFormatter):
            handler.setFormatter(TraceIdFormatter(handler.formatter))
