"""How far behind each read model is: from an event's time to its projection having applied it.

Measured in the subscriber's worker, around its projection activity (``apply_*_event``), with
prometheus_client: a projection is an activity, so it runs once per attempt in real time and is never
replayed (no replay guard needed, unlike a workflow's metrics), and the subscriber's own worker is where its
lag is; the worker serves the process's default registry on MALLBOTS_METRICS_ADDRESS (``mallbots.metrics``).

The event's time is ``occurred_at``, the workflow time at which its entity committed it, so the lag includes
the wait in the subscriber's delivery queue (events of one aggregate reach a subscriber one after the other),
the task queue, the retries of a failing projection and its SQL. A duplicate delivery is measured again (it
is a delivery too); a parked poison event is not (it was not applied: ``mallbots_parked_events_total``).

Labels: the subscriber ``service`` and the ``event_family`` — the event names' common prefix, one per
aggregate (``ordering.Order`` for ``ordering.OrderApproved``…, ``stores.Product`` for ``stores.ProductAdded``…):
eight services by at most eight families, never an ID.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Histogram
from temporalio import activity
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from activities.shared.poison import PROJECTION_PREFIX
from domain.shared.events import DomainEvent

log = logging.getLogger(__name__)

# From a local projection in milliseconds to a subscriber that was down for an hour.
LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)

PROJECTION_LAG = Histogram(
    "mallbots_projection_lag_seconds",
    "From an event's time to a subscriber's read model having applied it, by subscriber and event family",
    ["service", "event_family"],
    buckets=LAG_BUCKETS,
)


def event_family(event_type: type[DomainEvent], event_name: str) -> str:
    """``ordering.Order`` for an ``OrderEvent`` named ``ordering.OrderApproved``: the service part of the name
    and the aggregate the event type is of."""
    service = event_name.partition(".")[0]
    return f"{service}.{event_type.__name__.removesuffix('Event')}"


class MeasureProjectionLag(Interceptor):
    """The worker interceptor of one service: observes the lag of every projection its worker applies.

    Put it after ``ParkPoisonEvents`` in the worker's list (inner): an event that is parked instead of
    applied then never reaches the observation."""

    def __init__(self, service: str) -> None:
        self.service = service

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _LagInbound(next, self.service)


class _LagInbound(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, service: str) -> None:
        super().__init__(next)
        self._service = service

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        result = await self.next.execute_activity(input)
        event = input.args[0] if input.args else None
        if isinstance(event, DomainEvent) and activity.info().activity_type.startswith(PROJECTION_PREFIX):
            try:
                observe_lag(self._service, event)
            except Exception:  # a metric never fails a projection that has applied its event
                log.exception("could not observe the projection lag of %s", event.name)
        return result


def observe_lag(service: str, event: DomainEvent, now: datetime | None = None) -> float:
    """Observes (and returns) how long ago ``event`` happened. The entity's clock is the server's workflow time,
    this one the worker's: a skew could make it negative."""
    occurred = event.occurred_at if event.occurred_at.tzinfo else event.occurred_at.replace(tzinfo=UTC)
    lag = max(((now or datetime.now(UTC)) - occurred).total_seconds(), 0.0)
    PROJECTION_LAG.labels(service=service, event_family=event_family(type(event), event.name)).observe(lag)
    return lag
