"""Domain metrics only a workflow can tell: orders by outcome, rejections by category, compensations by step,
saga step latency, checkout → approved latency, baskets started and closed (checked out, cancelled, expired).

Recorded with the Temporal SDK's workflow meter (``workflow.metric_meter()``), not with prometheus_client, on
purpose:

* **replay-safe**: what a workflow records while it replays its history (after a worker restart or a cache
  eviction) is dropped by the SDK, so an order is counted once when it is decided, not again on every replay —
  a module-global prometheus_client counter in workflow code would need that guard by hand, and would be a
  side effect the sandbox and the replay tests cannot see;
* **no command**: recording is not a command, so adding or changing a metric never changes a history (the
  golden histories in tests/replay keep replaying);
* **exported with the SDK's own metrics**, by the runtime of the worker's client, on
  MALLBOTS_TEMPORAL_METRICS_ADDRESS, labelled with ``namespace``, ``task_queue`` and ``workflow_type`` by the
  SDK; one runtime per client, so two stacks in one process (tests) never add to each other's counts. Without
  that setting the meter is a no-op, as are the SDK's own metrics.

Durations are workflow time (``workflow.now()``, the start of the workflow task that saw the event): the
latency the saga itself experienced, deterministic on replay, in seconds. Their buckets are given to the
runtime by name (``mallbots.metrics.sdk_runtime``): the SDK's default buckets are milliseconds.

Labels are a few fixed values each (never an ID): see the ``*_VALUES`` tuples, from which ``mallbots.metrics``
makes every counter's series at zero when a worker starts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from temporalio import workflow
from temporalio.common import MetricCounter, MetricHistogramFloat, MetricMeter

from domain.ordering.rejections import rejection_category

ORDERS_CREATED = "mallbots_orders_created_total"
ORDERS = "mallbots_orders_total"
ORDER_REJECTIONS = "mallbots_order_rejections_total"
CHECKOUT_TO_APPROVED = "mallbots_order_checkout_to_approved_seconds"
SAGA_STEP_DURATION = "mallbots_saga_step_duration_seconds"
SAGA_COMPENSATIONS = "mallbots_saga_compensations_total"
BASKETS_STARTED = "mallbots_baskets_started_total"
BASKETS_CLOSED = "mallbots_baskets_closed_total"

OrderOutcome = Literal["approved", "rejected", "cancelled", "completed"]
OUTCOME_VALUES: tuple[OrderOutcome, ...] = ("approved", "rejected", "cancelled", "completed")
# The saga's steps as activities name them; step 0 (pricing a direct order) and step 5 (approving) included.
SagaStep = Literal[
    "price_items", "authorize_customer", "create_shopping_list", "confirm_payment", "initiate_shopping", "approve_order"
]
STEP_VALUES: tuple[SagaStep, ...] = (
    "price_items",
    "authorize_customer",
    "create_shopping_list",
    "confirm_payment",
    "initiate_shopping",
    "approve_order",
)
Compensation = Literal["cancel_shopping_list", "release_payment"]
COMPENSATION_VALUES: tuple[Compensation, ...] = ("cancel_shopping_list", "release_payment")
BasketClosed = Literal["checked_out", "cancelled", "expired"]
BASKET_CLOSED_VALUES: tuple[BasketClosed, ...] = ("checked_out", "cancelled", "expired")
# Histograms in seconds, whose buckets the runtime is configured with.
SECONDS_HISTOGRAMS = (SAGA_STEP_DURATION, CHECKOUT_TO_APPROVED)
# One description per name, wherever an instrument of it is made: the SDK exports instruments that differ in
# description as separate series of one name (``mallbots.metrics`` makes the counters' zero series too).
DESCRIPTIONS = {
    ORDERS_CREATED: "Orders created (checkouts and direct orders)",
    ORDERS: "Orders that reached an outcome: approved, rejected, cancelled, completed "
    "(an order is counted once for each it reaches: approved, then completed or cancelled)",
    ORDER_REJECTIONS: "Rejected orders by the category of the reason",
    CHECKOUT_TO_APPROVED: "From the order's creation (the checkout) until it is approved, in seconds",
    SAGA_STEP_DURATION: "A saga step as the saga waits for it (queueing and retries included), in seconds",
    SAGA_COMPENSATIONS: "Compensations run, by the step they undo",
    BASKETS_STARTED: "Baskets started",
    BASKETS_CLOSED: "Baskets closed: checked out, cancelled by the customer, or expired (left untouched)",
}


def counter(meter: MetricMeter, name: str) -> MetricCounter:
    return meter.create_counter(name, DESCRIPTIONS[name])


def seconds_histogram(meter: MetricMeter, name: str) -> MetricHistogramFloat:
    return meter.create_histogram_float(name, DESCRIPTIONS[name])


def _seconds_since(started: datetime) -> float:
    return max((workflow.now() - started).total_seconds(), 0.0)


class SagaMetrics:
    """The order workflow's instruments. Made in the workflow (the meter is its worker's runtime's)."""

    def __init__(self) -> None:
        meter = workflow.metric_meter()
        self._created = counter(meter, ORDERS_CREATED)
        self._orders = counter(meter, ORDERS)
        self._rejections = counter(meter, ORDER_REJECTIONS)
        self._checkout_to_approved = seconds_histogram(meter, CHECKOUT_TO_APPROVED)
        self._steps = seconds_histogram(meter, SAGA_STEP_DURATION)
        self._compensations = counter(meter, SAGA_COMPENSATIONS)

    def created(self) -> None:
        self._created.add(1)

    def approved(self, created_at: datetime | None) -> None:
        self._orders.add(1, {"outcome": "approved"})
        if created_at is not None:
            self._checkout_to_approved.record(_seconds_since(created_at))

    def rejected(self, reason: str) -> None:
        self._orders.add(1, {"outcome": "rejected"})
        self._rejections.add(1, {"reason": rejection_category(reason).value})

    def ended(self, outcome: Literal["cancelled", "completed"]) -> None:
        self._orders.add(1, {"outcome": outcome})

    def step(self, step: SagaStep, started: datetime, *, failed: bool = False) -> None:
        """A step's latency, ``failed`` when it ended in a business failure (which rejects the order)."""
        self._steps.record(_seconds_since(started), {"step": step, "result": "failed" if failed else "ok"})

    def compensated(self, step: Compensation) -> None:
        self._compensations.add(1, {"step": step})


class BasketMetrics:
    def __init__(self) -> None:
        meter = workflow.metric_meter()
        self._started = counter(meter, BASKETS_STARTED)
        self._closed = counter(meter, BASKETS_CLOSED)

    def started(self) -> None:
        self._started.add(1)

    def closed(self, outcome: BasketClosed) -> None:
        self._closed.add(1, {"outcome": outcome})
