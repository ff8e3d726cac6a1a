"""Operator tools: the story of one order (``mallbots ops order ID``).

What each read model holds of it (ordering, search, the basket it came from, depot's shopping list, payments'
payment and invoice, the messages notifications sent about it), and its saga's run in Temporal: the step it
is at, every step and compensation it ran with their outcomes, what it is waiting on, and the link to it in
the Temporal web UI.

The steps and compensations come from the workflow's history, not from a query: the history holds every
activity the saga ran whether or not a worker is up, and whether the run is still open or long closed (a
query needs a worker to replay the run; the workflow's "current details" only say where it is now). The
current step is asked by query when a worker answers, else derived from the history. Failure messages and
the saga's result travel encrypted: they are read with the process's data converter (the payload keys).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import quote

from google.protobuf.timestamp_pb2 import Timestamp
from rich.console import Console
from rich.table import Table
from sqlmodel import col, select
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowExecutionDescription, WorkflowQueryFailedError
from temporalio.service import RPCError, RPCStatusCode

from activities.baskets.activities import BasketsActivities
from activities.customers.activities import CustomersActivities
from activities.depot.activities import ShoppingListCommands
from activities.payments.invoices import InvoicesActivities
from activities.payments.payments import PaymentsActivities
from domain.ordering.model import Order
from mallbots.db import Databases
from mallbots.tools.operators import failure_message
from readmodels.baskets.tables import BasketRow
from readmodels.depot.tables import ShoppingListRow
from readmodels.notifications.tables import NotificationRow
from readmodels.ordering.tables import OrderRow
from readmodels.payments.tables import InvoiceRow, PaymentRow
from readmodels.search.tables import SearchOrderView
from workflows.ordering.messages import order_workflow_id
from workflows.ordering.order_workflow import SAGA_STEPS, OrderWorkflow
from workflows.search_attributes import ORDER_STATUS

# The services whose read models hold something of an order.
ORDER_SERVICES = ("ordering", "search", "baskets", "depot", "payments", "notifications")
QUERY_TIMEOUT = timedelta(seconds=3)  # a run no worker replays answers no query: fall back to the history

Kind = Literal["step", "compensation", "other"]

# What the saga's activities are, by name (an activity is named after its method). The steps' titles are the
# workflow's own ("step 3/5: confirm payment"); a compensation undoes what a step did.
_STEPS: dict[str, str] = {
    BasketsActivities.price_items.__name__: "pricing the items",
    CustomersActivities.authorize_customer.__name__: f"step 1/{SAGA_STEPS}: authorize customer",
    ShoppingListCommands.create_shopping_list.__name__: f"step 2/{SAGA_STEPS}: create shopping list",
    PaymentsActivities.confirm_payment.__name__: f"step 3/{SAGA_STEPS}: confirm payment",
    ShoppingListCommands.initiate_shopping.__name__: f"step 4/{SAGA_STEPS}: initiate shopping",
    InvoicesActivities.create_invoice.__name__: "opening the invoice",
}
_COMPENSATIONS: dict[str, str] = {
    ShoppingListCommands.cancel_shopping_list.__name__: "cancel shopping list",
    PaymentsActivities.release_payment.__name__: "release payment",
}
_PROJECTION_PREFIX = "apply_"  # event deliveries to the read models: counted, not listed


@dataclass(frozen=True)
class ActivityRun:
    """One activity the saga scheduled, as its history tells it."""

    activity: str  # its name: ``confirm_payment``
    title: str  # what it is for the saga: "step 3/5: confirm payment", "release payment"
    kind: Kind
    task_queue: str
    outcome: str  # completed, failed, timed out, cancelled, running
    attempts: int
    scheduled_at: datetime
    closed_at: datetime | None
    failure: str | None  # the last failure's message (decrypted), if any

    def as_json(self) -> dict[str, Any]:
        return {
            "activity": self.activity,
            "title": self.title,
            "kind": self.kind,
            "task_queue": self.task_queue,
            "outcome": self.outcome,
            "attempts": self.attempts,
            "scheduled_at": self.scheduled_at.isoformat(),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "failure": self.failure,
        }


@dataclass(frozen=True)
class SagaRun:
    """The order workflow's latest run."""

    workflow_id: str
    run_id: str
    status: str  # Temporal's: Running, Completed, Failed, Terminated…
    order_status: str | None  # the OrderStatus search attribute
    step: str  # the saga's current details ("step 3/5: confirm payment", "rejected: …", "completed")
    step_source: Literal["query", "history"]
    started_at: datetime | None
    closed_at: datetime | None
    history_length: int
    result: dict[str, Any] | None  # a closed run's outcome: the order's status and reason, or the failure
    activities: list[ActivityRun]
    deliveries: int  # event deliveries to read models (projection activities) it scheduled
    waiting_on: list[str]  # pending activities: name, attempt, last failure

    @property
    def steps(self) -> list[ActivityRun]:
        return [a for a in self.activities if a.kind == "step"]

    @property
    def compensations(self) -> list[ActivityRun]:
        return [a for a in self.activities if a.kind == "compensation"]

    def as_json(self) -> dict[str, Any]:
        return {
            "workflow_id": self.workflow_id,
            "run_id": self.run_id,
            "status": self.status,
            "order_status": self.order_status,
            "step": self.step,
            "step_source": self.step_source,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "history_length": self.history_length,
            "result": self.result,
            "activities": [a.as_json() for a in self.activities],
            "deliveries": self.deliveries,
            "waiting_on": self.waiting_on,
        }


@dataclass(frozen=True)
class OrderStory:
    order_id: str
    temporal_ui: str  # the run in the Temporal web UI
    order: dict[str, Any] | None = None  # ordering.orders
    search: dict[str, Any] | None = None  # search.orders
    basket: dict[str, Any] | None = None  # baskets.baskets: the basket it was checked out from
    shopping_list: dict[str, Any] | None = None  # depot.shopping_lists
    payment: dict[str, Any] | None = None  # payments.payments
    invoice: dict[str, Any] | None = None  # payments.invoices
    notifications: list[dict[str, Any]] = field(default_factory=list)  # notifications.notifications, oldest first
    saga: SagaRun | None = None

    @property
    def exists(self) -> bool:
        return self.saga is not None or any(
            row is not None for row in (self.order, self.search, self.shopping_list, self.invoice)
        )

    @property
    def statuses(self) -> dict[str, str | None]:
        """The order's status in each read model that holds it (None: that read model has nothing of it)."""
        return {
            "ordering.orders": _status(self.order),
            "search.orders": _status(self.search),
            "baskets.baskets": _status(self.basket),
            "depot.shopping_lists": _status(self.shopping_list),
            "payments.payments": _status(self.payment),
            "payments.invoices": _status(self.invoice),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "exists": self.exists,
            "statuses": self.statuses,
            "order": self.order,
            "search": self.search,
            "basket": self.basket,
            "shopping_list": self.shopping_list,
            "payment": self.payment,
            "invoice": self.invoice,
            "notifications": self.notifications,
            "saga": self.saga.as_json() if self.saga is not None else None,
            "compensations": [a.as_json() for a in self.saga.compensations] if self.saga is not None else [],
            "temporal_ui": self.temporal_ui,
        }


def _status(row: dict[str, Any] | None) -> str | None:
    return None if row is None else str(row.get("status"))


def temporal_ui_link(ui_base: str, namespace: str, workflow_id: str) -> str:
    return f"{ui_base.rstrip('/')}/namespaces/{quote(namespace, safe='')}/workflows/{quote(workflow_id, safe=':')}"


# ---- the read models ----------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row(row: Any, *names: str) -> dict[str, Any] | None:
    return None if row is None else {name: _plain(getattr(row, name)) for name in names}


async def _first(databases: Databases, service: str, query: Any) -> Any:
    async with databases.sessions(service)() as session:
        return (await session.exec(query)).first()


async def read_models(databases: Databases, order_id: str) -> dict[str, Any]:
    """What each service's read model holds of the order (read concurrently, one session each)."""

    order_row: OrderRow | None = await _first(databases, "ordering", select(OrderRow).where(OrderRow.id == order_id))
    customer_id = order_row.customer_id if order_row is not None else None
    payment_query = (
        select(PaymentRow).where(PaymentRow.id == order_row.payment_id)
        if order_row is not None
        else select(PaymentRow).where(PaymentRow.order_id == order_id)
    )
    sent = select(NotificationRow).where(NotificationRow.order_id == order_id)
    if customer_id is not None:
        sent = sent.where(NotificationRow.customer_id == customer_id)  # its index
    basket_id = order_row.basket_id if order_row is not None and order_row.basket_id else order_id

    async def notifications() -> list[NotificationRow]:
        query = sent.order_by(col(NotificationRow.sent_at), col(NotificationRow.id))
        async with databases.sessions("notifications")() as session:
            return list((await session.exec(query)).all())

    search, basket, shopping_list, payment, invoice, messages = await asyncio.gather(
        _first(databases, "search", select(SearchOrderView).where(SearchOrderView.id == order_id)),
        _first(databases, "baskets", select(BasketRow).where(BasketRow.id == basket_id)),
        _first(databases, "depot", select(ShoppingListRow).where(ShoppingListRow.order_id == order_id)),
        _first(databases, "payments", payment_query),
        _first(databases, "payments", select(InvoiceRow).where(InvoiceRow.order_id == order_id)),
        notifications(),
    )
    return {
        "order": _row(
            order_row,
            "id",
            "status",
            "reason",
            "customer_id",
            "payment_id",
            "basket_id",
            "shopping_id",
            "invoice_id",
            "total",
            "created_at",
            "updated_at",
            "version",
        ),
        "search": _row(search, "id", "status", "customer_name", "total", "updated_at", "version"),
        "basket": _row(basket, "id", "status", "total", "payment_id", "version"),
        "shopping_list": (
            None
            if shopping_list is None
            else {
                **(_row(shopping_list, "id", "status", "bot_id", "version") or {}),
                "stops": len(shopping_list.stops),
            }
        ),
        "payment": _row(payment, "id", "status", "amount", "order_id", "version"),
        "invoice": _row(invoice, "id", "status", "amount", "payment_id", "version"),
        "notifications": [_row(n, "id", "event_name", "sms_number", "message", "sent_at") or {} for n in messages],
    }


# ---- the saga, from Temporal ----------------------------------------------------------------------------------
def _time(stamp: Timestamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def _kind(name: str) -> tuple[Kind, str]:
    if name in _STEPS:
        return "step", _STEPS[name]
    if name in _COMPENSATIONS:
        return "compensation", _COMPENSATIONS[name]
    return "other", name


@dataclass
class _Scheduled:
    activity: str
    task_queue: str
    activity_id: str
    scheduled_at: datetime
    attempts: int = 1
    outcome: str = "running"
    closed_at: datetime | None = None
    failure: Any = None  # the Failure proto, decoded at the end


_CLOSING = {
    EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED: ("activity_task_completed_event_attributes", "completed"),
    EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED: ("activity_task_failed_event_attributes", "failed"),
    EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT: ("activity_task_timed_out_event_attributes", "timed out"),
    EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED: ("activity_task_canceled_event_attributes", "cancelled"),
}


async def _result(client: Client, event: HistoryEvent) -> dict[str, Any] | None:
    """A closed run's outcome, from its closing event."""
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
        payloads = event.workflow_execution_completed_event_attributes.result.payloads
        if not payloads:
            return {"outcome": "completed"}
        [order] = await client.data_converter.decode(payloads, [Order])
        return {"outcome": "completed", "order_status": order.status.value, "reason": order.reason}
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        failure = event.workflow_execution_failed_event_attributes.failure
        return {"outcome": "failed", "failure": await failure_message(client, failure)}
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
        return {"outcome": "terminated", "reason": event.workflow_execution_terminated_event_attributes.reason}
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
        return {"outcome": "timed out"}
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
        return {"outcome": "cancelled"}
    if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        return {"outcome": "continued as new"}
    return None


# The marker the SDK core records when a local activity ends (its ``data`` detail is plain JSON written by the
# core: type, attempt, times; its result, if any, goes through the data converter and is not read here).
LOCAL_ACTIVITY_MARKER = "core_local_activity"


def _local_activity(event: HistoryEvent, queue: str) -> _Scheduled | None:
    """A local activity's run (a command the saga ran in its own worker first), from its marker."""
    attrs = event.marker_recorded_event_attributes
    if attrs.marker_name != LOCAL_ACTIVITY_MARKER or "data" not in attrs.details:
        return None
    payloads = attrs.details["data"].payloads
    if not payloads:
        return None
    data = json.loads(payloads[0].data)
    started = data.get("original_schedule_time") or {}
    scheduled_at = (
        datetime.fromtimestamp(started["seconds"] + started.get("nanos", 0) / 1e9, UTC)
        if "seconds" in started
        else _time(event.event_time)
    )
    failed = attrs.HasField("failure")
    return _Scheduled(
        activity=str(data.get("activity_type", "")),
        task_queue=f"{queue} (local)",
        activity_id=str(data.get("activity_id", "")),
        scheduled_at=scheduled_at,
        attempts=int(data.get("attempt", 1)),
        outcome="failed" if failed else "completed",
        closed_at=_time(event.event_time),
        failure=attrs.failure if failed else None,
    )


async def _history(
    client: Client, events: list[HistoryEvent], description: WorkflowExecutionDescription
) -> tuple[list[ActivityRun], int, dict[str, Any] | None]:
    scheduled: dict[int, _Scheduled] = {}
    result = None
    for event in events:
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            local = _local_activity(event, description.task_queue)
            if local is not None:
                scheduled[event.event_id] = local
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            scheduled[event.event_id] = _Scheduled(
                activity=attrs.activity_type.name,
                task_queue=attrs.task_queue.name,
                activity_id=attrs.activity_id,
                scheduled_at=_time(event.event_time),
            )
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            started = event.activity_task_started_event_attributes
            if started.scheduled_event_id in scheduled:
                scheduled[started.scheduled_event_id].attempts = started.attempt
                if started.HasField("last_failure"):
                    scheduled[started.scheduled_event_id].failure = started.last_failure
        elif event.event_type in _CLOSING:
            attributes, outcome = _CLOSING[event.event_type]
            closing = getattr(event, attributes)
            run = scheduled.get(closing.scheduled_event_id)
            if run is not None:
                run.outcome, run.closed_at = outcome, _time(event.event_time)
                if outcome in ("failed", "timed out"):
                    run.failure = closing.failure
                elif outcome == "completed":
                    run.failure = None  # an earlier attempt's failure was retried away
        else:
            result = await _result(client, event) or result
    pending = {p.activity_id: p for p in description.raw_description.pending_activities}
    runs = []
    deliveries = 0
    for run in scheduled.values():
        if run.activity.startswith(_PROJECTION_PREFIX):
            deliveries += 1
            continue
        if run.outcome == "running" and run.activity_id in pending:
            waiting = pending[run.activity_id]
            run.attempts = waiting.attempt
            if waiting.HasField("last_failure"):
                run.failure = waiting.last_failure
        kind, title = _kind(run.activity)
        runs.append(
            ActivityRun(
                activity=run.activity,
                title=title,
                kind=kind,
                task_queue=run.task_queue,
                outcome=run.outcome,
                attempts=run.attempts,
                scheduled_at=run.scheduled_at,
                closed_at=run.closed_at,
                failure=await failure_message(client, run.failure) if run.failure is not None else None,
            )
        )
    return runs, deliveries, result


async def _waiting_on(client: Client, description: WorkflowExecutionDescription) -> list[str]:
    waiting = []
    for a in description.raw_description.pending_activities:
        failure = ""
        if a.HasField("last_failure"):
            failure = f", last failure: {await failure_message(client, a.last_failure)}"
        waiting.append(f"{a.activity_type.name} (attempt {a.attempt}{failure})")
    return waiting


def _derived_step(status: str, result: dict[str, Any] | None, activities: list[ActivityRun]) -> str:
    """Where the saga is when no worker answers the query: its outcome, or the last activity it ran."""
    if result is not None:
        order_status = result.get("order_status")
        if order_status == "rejected":
            return f"rejected: {result.get('reason')}"
        return str(order_status or result.get("outcome"))
    last = activities[-1] if activities else None
    if last is None:
        return f"{status.lower()}: no saga activity yet"
    return f"{last.title} ({last.outcome})"


async def _asked(query: Callable[[], Awaitable[str]]) -> str | None:
    try:
        return await query()
    except (RPCError, WorkflowQueryFailedError):
        return None


async def saga_run(client: Client, order_id: str) -> SagaRun | None:
    """The order workflow's latest run; None when there is none."""
    handle = client.get_workflow_handle(order_workflow_id(order_id))
    try:
        description = await handle.describe()
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    run = client.get_workflow_handle(description.id, run_id=description.run_id)
    events = [event async for event in run.fetch_history_events()]
    activities, deliveries, result = await _history(client, events, description)
    status = description.status.name.title().replace("_", "") if description.status is not None else "Unknown"
    step = await _asked(lambda: run.query(OrderWorkflow.get_saga_step, rpc_timeout=QUERY_TIMEOUT))
    return SagaRun(
        workflow_id=description.id,
        run_id=description.run_id,
        status=status,
        order_status=description.typed_search_attributes.get(ORDER_STATUS),
        step=step if step is not None else _derived_step(status, result, activities),
        step_source="query" if step is not None else "history",
        started_at=description.start_time,
        closed_at=description.close_time,
        history_length=len(events),
        result=result,
        activities=activities,
        deliveries=deliveries,
        waiting_on=await _waiting_on(client, description),
    )


async def order_story(
    client: Client, databases: Databases, order_id: str, *, ui_base: str, namespace: str
) -> OrderStory:
    models, saga = await asyncio.gather(read_models(databases, order_id), saga_run(client, order_id))
    return OrderStory(
        order_id=order_id,
        temporal_ui=temporal_ui_link(ui_base, namespace, order_workflow_id(order_id)),
        saga=saga,
        **models,
    )


# ---- the table view -------------------------------------------------------------------------------------------
def _short(value: Any) -> str:
    if value is None:
        return "-"
    text = str(value)
    return text[:19].replace("T", " ") if isinstance(value, str) and len(text) > 19 and text[10:11] == "T" else text


def print_story(console: Console, story: OrderStory) -> None:
    """The story as tables: the read models, the saga's run, its activities, the messages sent."""
    saga = story.saga
    order = story.order or {}
    console.print(f"[bold]order {story.order_id}[/]  {story.temporal_ui}", soft_wrap=True)
    if order.get("reason"):
        console.print(f"reason: {order['reason']}")

    models = Table(title="read models")
    for column in ("read model", "ID", "status", "details"):
        models.add_column(column, overflow="fold")
    details = {
        "ordering.orders": lambda r: (
            f"total {r['total']} · customer {r['customer_id']} · updated {_short(r['updated_at'])}"
        ),
        "search.orders": lambda r: f"total {r['total']} · {r['customer_name']}",
        "baskets.baskets": lambda r: f"total {r['total']}",
        "depot.shopping_lists": lambda r: f"{r['stops']} stop(s) · bot {r['bot_id'] or '-'}",
        "payments.payments": lambda r: f"amount {r['amount']} · for order {r['order_id'] or '-'}",
        "payments.invoices": lambda r: f"amount {r['amount']} · payment {r['payment_id']}",
    }
    rows = {
        "ordering.orders": story.order,
        "search.orders": story.search,
        "baskets.baskets": story.basket,
        "depot.shopping_lists": story.shopping_list,
        "payments.payments": story.payment,
        "payments.invoices": story.invoice,
    }
    for name, row in rows.items():
        if row is None:
            models.add_row(name, "-", "[dim]none[/]", "")
        else:
            models.add_row(name, str(row["id"]), str(row["status"]), f"{details[name](row)} · v{row['version']}")
    models.add_row("notifications.notifications", "-", f"{len(story.notifications)} sent", "")
    console.print(models)

    if saga is None:
        console.print("[yellow]Temporal has no workflow for this order[/]")
    else:
        run = Table(title=f"saga {saga.workflow_id}", show_header=False)
        run.add_column("what")
        run.add_column("value", overflow="fold")
        run.add_row(
            "workflow", f"{saga.status} · OrderStatus {saga.order_status or '-'} · {saga.history_length} events"
        )
        run.add_row("step", f"{saga.step}  [dim]({'query' if saga.step_source == 'query' else 'from the history'})[/]")
        run.add_row("started", _short(saga.started_at.isoformat() if saga.started_at else None))
        run.add_row("closed", _short(saga.closed_at.isoformat() if saga.closed_at else None))
        compensations = ", ".join(f"{c.title} ({c.outcome})" for c in saga.compensations) or "none"
        run.add_row("compensations", compensations)
        run.add_row("waiting on", "; ".join(saga.waiting_on) or "-")
        run.add_row("deliveries", f"{saga.deliveries} event deliveries to read models")
        console.print(run)
        steps = Table(title="what the saga ran")
        for column in ("activity", "for", "queue", "outcome", "attempts", "at", "failure"):
            steps.add_column(column, overflow="fold")
        for a in saga.activities:
            outcome = a.outcome if a.outcome == "completed" else f"[yellow]{a.outcome}[/]"
            kind = f"[magenta]{a.title}[/]" if a.kind == "compensation" else a.title
            at = _short(a.scheduled_at.isoformat())
            steps.add_row(a.activity, kind, a.task_queue, outcome, str(a.attempts), at, a.failure or "")
        console.print(steps)

    if story.notifications:
        sent = Table(title="messages sent about it")
        for column in ("sent at", "event", "to", "message"):
            sent.add_column(column, overflow="fold")
        for n in story.notifications:
            sent.add_row(_short(n["sent_at"]), n["event_name"], n["sms_number"], n["message"])
        console.print(sent)
