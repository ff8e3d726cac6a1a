"""Retry and timeout policies shared by every workflow."""

from __future__ import annotations

from datetime import timedelta

from temporalio.common import RetryPolicy

# Transient failures (database down, worker killed) are retried with backoff for as long as it
# takes; business failures are non-retryable ApplicationErrors and stop at once.
TRANSIENT_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
)
ACTIVITY_TIMEOUT = timedelta(seconds=15)
