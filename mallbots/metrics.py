"""Where each process serves its metrics for Prometheus, and what is there.

========================================  ======================================================================
endpoint                                  what it serves
========================================  ======================================================================
the API's ``GET /metrics``                its HTTP metrics (``mallbots_http_*``, ``api.http``), then the process's
                                          prometheus_client default registry (in one process with workers, as
                                          under ``mallbots up``, theirs too)
MALLBOTS_METRICS_ADDRESS (a process       the default registry: projection lag (``activities.shared.projection_lag``),
running workers)                          parked poison events (``activities.shared.poison``), ``process_*``,
                                          ``python_*``
MALLBOTS_TEMPORAL_METRICS_ADDRESS (any    the Temporal SDK runtime of the process's client: the SDK's own
process with a Temporal client)           ``temporal_*`` metrics (task latencies, schedule-to-start, slots,
                                          pollers, failures; histograms in milliseconds) and the workflows' domain
                                          metrics (``workflows.shared.metrics``: orders, rejections, compensations,
                                          saga latencies in seconds, baskets)
========================================  ======================================================================

Two endpoints per worker process because the workflows' metrics must be replay-safe, which only the SDK's
workflow meter is (it is exported by the SDK runtime, not by prometheus_client); everything else is plain
prometheus_client.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import start_http_server
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from activities.shared.poison import PARKED_EVENTS, PROJECTION_PREFIX
from activities.shared.projection_lag import PROJECTION_LAG, event_family
from domain.ordering.rejections import RejectionCategory
from mallbots.services import DEFINITIONS
from workflows.baskets.basket_workflow import BasketWorkflow
from workflows.baskets.messages import TASK_QUEUE as BASKETS_QUEUE
from workflows.ordering.messages import TASK_QUEUE as ORDERING_QUEUE
from workflows.ordering.order_workflow import OrderWorkflow
from workflows.shared import metrics as domain
from workflows.shared.spec import EntitySpec

log = logging.getLogger(__name__)

# The workflows' latency histograms (seconds): from a local projection to a saga held up for minutes.
SAGA_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class MetricsAddressError(RuntimeError):
    """A metrics address this process cannot serve on (taken, or not this host's): a start-up error that names
    the setting, not a traceback from deep in the SDK."""


def sdk_runtime(bind_address: str) -> Runtime:
    """The SDK runtime of a process's client, serving its metrics on ``bind_address``: the SDK's own (names and
    units as the SDK makes them, which the dashboards use) and the workflows' domain metrics, whose histograms
    get buckets in seconds (the SDK's default buckets are for milliseconds)."""
    buckets = {name: list(SAGA_BUCKETS) for name in domain.SECONDS_HISTOGRAMS}
    prometheus = PrometheusConfig(bind_address=bind_address, histogram_bucket_overrides=buckets)
    try:
        return Runtime(telemetry=TelemetryConfig(metrics=prometheus))
    except ValueError as err:  # the SDK's "Failed starting Prometheus exporter: Address already in use"
        raise MetricsAddressError(f"MALLBOTS_TEMPORAL_METRICS_ADDRESS={bind_address}: {err}") from err


def split_address(address: str) -> tuple[str, int]:
    """``host:port`` (``[::]:9465`` for IPv6) → (host, port); raises ValueError naming the setting."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"MALLBOTS_METRICS_ADDRESS must be host:port, not {address!r}")
    return host.strip("[]"), int(port)


@dataclass
class MetricsServer:
    """prometheus_client's default registry served over HTTP (``/metrics``, any path) in a daemon thread."""

    server: WSGIServer
    thread: threading.Thread

    @classmethod
    def start(cls, address: str) -> MetricsServer:
        host, port = split_address(address)
        try:
            server, thread = start_http_server(port, addr=host)
        except OSError as err:
            raise MetricsAddressError(f"MALLBOTS_METRICS_ADDRESS={address}: {err.strerror or err}") from err
        log.info("worker metrics on http://%s:%s/metrics", host, server.server_port)
        return cls(server, thread)

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    @property
    def url(self) -> str:
        host = str(self.server.server_address[0])
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}/metrics"

    def stop(self) -> str | None:
        self.server.shutdown()
        self.server.server_close()
        return None


def subscribed_families(service: str) -> list[str]:
    """The event families whose events ``service``'s read models apply (its entities' and the copies it keeps)."""
    specs: list[EntitySpec[Any, Any]] = [
        spec
        for definition in DEFINITIONS.values()
        for workflow in definition.workflows
        if isinstance(spec := getattr(workflow, "ENTITY", None), EntitySpec)
    ]
    return sorted({event_family(spec.event_type, spec.event_names[0]) for spec in specs if service in spec.subscribers})


def initialize_worker_series(service: str) -> None:
    """Every series a service's worker may report in the default registry, made now at zero: Prometheus sees a
    counter's first increase only from a sample before it, and a dashboard can tell "none" from "not reporting"."""
    for projection in DEFINITIONS[service].activity_names():
        if projection.startswith(PROJECTION_PREFIX):
            PARKED_EVENTS.labels(service=service, projection=projection)
    for family in subscribed_families(service):
        PROJECTION_LAG.labels(service=service, event_family=family)


def initialize_workflow_series(client: Client, services: Iterable[str]) -> None:
    """The workflows' counters (``workflows.shared.metrics``) at zero in the SDK runtime, with the labels the
    SDK's workflow meter adds (namespace, task queue, workflow type), for the services that record them.
    A no-op without SDK metrics (the runtime's meter is then a no-op)."""
    runtime = client.service_client.config.runtime or Runtime.default()
    meter = runtime.metric_meter
    namespace = client.namespace
    wanted = set(services)
    if "ordering" in wanted:
        base = {"namespace": namespace, "task_queue": ORDERING_QUEUE, "workflow_type": OrderWorkflow.__name__}
        domain.counter(meter, domain.ORDERS_CREATED).add(0, base)
        orders = domain.counter(meter, domain.ORDERS)
        for outcome in domain.OUTCOME_VALUES:
            orders.add(0, {**base, "outcome": outcome})
        rejections = domain.counter(meter, domain.ORDER_REJECTIONS)
        for category in RejectionCategory:
            rejections.add(0, {**base, "reason": category.value})
        compensations = domain.counter(meter, domain.SAGA_COMPENSATIONS)
        for step in domain.COMPENSATION_VALUES:
            compensations.add(0, {**base, "step": step})
    if "baskets" in wanted:
        base = {"namespace": namespace, "task_queue": BASKETS_QUEUE, "workflow_type": BasketWorkflow.__name__}
        domain.counter(meter, domain.BASKETS_STARTED).add(0, base)
        closed = domain.counter(meter, domain.BASKETS_CLOSED)
        for closing in domain.BASKET_CLOSED_VALUES:
            closed.add(0, {**base, "outcome": closing})
