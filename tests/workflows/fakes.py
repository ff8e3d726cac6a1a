"""Same-named fake activities for workflow tests, the workers that serve them, and a stand-in order.

``FakeActivities`` answers every activity the workflows call by name, on the task queue the real
service serves it from (both read from the service registry, ``mallbots.services``; the projections'
fakes are made from each entity's ``EntitySpec``, so a new event type or subscriber needs no new fake).
It records every attempt in order (name, argument, queue, calling workflow)
and can be scripted per test: a business failure (a non-retryable ``ApplicationError`` typed like
the domain error, exactly what the real activities raise), a transient failure (a plain exception,
retried by Temporal) N times, or a gate that holds the call until the test releases it.

``running_mall`` starts one worker per service task queue with the real workflow classes and these
fakes, inside ``async with``; on the way out it terminates every workflow the test left running, so a
later test's time skipping cannot fire their timers into its own workers.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from activities.depot.activities import ShoppingListCommands
from activities.payments.payments import PaymentsActivities
from domain.customers.model import Customer
from domain.depot.model import DepotProduct, DepotStore, ShoppingListStatus
from domain.ordering.model import OrderItem
from domain.payments.model import Payment, PaymentStatus
from domain.shared.errors import DomainError, NotFound
from mallbots.bootstrap import SANDBOXED
from mallbots.services import DEFINITIONS
from workflows.customers.messages import AuthorizeCustomer, AuthorizedCustomer
from workflows.depot.messages import CreateShoppingList, DepotCatalog, ShoppingListRef
from workflows.ordering.messages import (
    InvoicePaid,
    PriceItems,
    ShoppingListCancelled,
    ShoppingListCompleted,
    order_workflow_id,
)
from workflows.payments.messages import CapturePayment, CreateInvoice, ReleasePayment, ReservePayment
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES
from workflows.shared.errors import business_failure
from workflows.shared.spec import EntitySpec

# Which activities each service's workers serve and which workflows they run: the composition root's split.
ACTIVITIES_BY_QUEUE: dict[str, tuple[str, ...]] = {name: tuple(d.activity_names()) for name, d in DEFINITIONS.items()}
WORKFLOWS_BY_QUEUE: dict[str, tuple[type, ...]] = {name: tuple(d.workflows) for name, d in DEFINITIONS.items()}
ENTITIES: tuple[EntitySpec[Any, Any], ...] = tuple(
    wf.ENTITY for d in DEFINITIONS.values() for wf in d.workflows if hasattr(wf, "ENTITY")
)

STAND_IN_QUEUE = "order-stand-ins"
WAIT_LIMIT = 30  # seconds: only turns a hang into a failure, never a pass/fail criterion


class TransientFailure(Exception):
    """A plain exception: Temporal retries it (what a database outage looks like to a workflow)."""


@dataclass(frozen=True)
class Call:
    name: str
    arg: Any
    queue: str
    workflow_id: str
    attempt: int


@dataclass
class Gate:
    """Holds every call of one activity until released; ``entered`` is set when the first call arrives."""

    entered: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        self.released.set()

    async def wait_entered(self) -> None:
        async with asyncio.timeout(WAIT_LIMIT):
            await self.entered.wait()


def default_customer(customer_id: str) -> Customer:
    return Customer(id=customer_id, name="Ada Lovelace", sms_number="+15551234567")


class FakeActivities:
    """Every activity the workflows call, by name; records each attempt and follows the test's script."""

    def __init__(self) -> None:
        # Live: the depot and payment steps act on the real ShoppingListWorkflow and PaymentWorkflow (run by
        # the mall's workers), so a race test's two commands meet in the entity that decides between them.
        self.live = False
        # Not live: what ``cancel_shopping_list`` finds, per list (a test sets "completed": a bot won).
        self.shopping_lists: dict[str, ShoppingListStatus] = {}
        self.calls: list[Call] = []
        self.catalog: dict[str, OrderItem] = {}
        # Live: the store each product is sold by, as the orders' lines say (what depot's caches would hold),
        # unless a test sets what depot's caches hold instead.
        self._sold_by: dict[str, str] = {}
        self.depot_catalog: DepotCatalog | None = None
        self._business: dict[str, DomainError] = {}
        self._transient: dict[str, int] = {}
        self._gates: dict[str, tuple[Gate, Callable[[Call], bool]]] = {}
        self.finished: list[Call] = []
        self.in_flight = 0
        self._changed = asyncio.Condition()

    # ---- scripting -------------------------------------------------------------------------------

    def fail(self, name: str, error: DomainError) -> None:
        """Every call of ``name`` raises this domain error as a business failure (non-retryable)."""
        self._business[name] = error

    def fail_transiently(self, name: str, times: int) -> None:
        """The next ``times`` calls of ``name`` raise a retryable exception, then it behaves again."""
        self._transient[name] = times

    def block(self, name: str, when: Callable[[Call], bool] = lambda _: True) -> Gate:
        """Calls of ``name`` that satisfy ``when`` wait until the gate is released."""
        gate = Gate()
        self._gates[name] = (gate, when)
        return gate

    def block_event(self, projection: str, event_name: str, queue: str) -> Gate:
        """Hold one event's delivery to one subscriber (the entity already holds the new state).

        Hold a subscriber on another queue than the workflow's own: the home queue's projection is a
        local activity, and holding one delays the workflow's queries and updates.
        """
        return self.block(projection, lambda call: call.arg.name == event_name and call.queue == queue)

    def release_all(self) -> None:
        for gate, _ in self._gates.values():
            gate.release()

    # ---- reading the record ----------------------------------------------------------------------

    def calls_by(self, workflow_id: str) -> list[Call]:
        return [c for c in self.calls if c.workflow_id == workflow_id]

    def commands(self, workflow_id: str) -> list[str]:
        """Names of every non-projection attempt made by this workflow, in order (retries repeated)."""
        return [c.name for c in self.calls_by(workflow_id) if not c.name.startswith("apply_")]

    def attempts(self, workflow_id: str, name: str) -> int:
        return sum(1 for c in self.calls_by(workflow_id) if c.name == name)

    def events(self, aggregate_id: str, queue: str) -> list[Any]:
        """The events of one aggregate delivered to one queue, in delivery order."""
        return [
            c.arg
            for c in self.calls
            if c.name.startswith("apply_") and c.queue == queue and c.arg.aggregate_id == aggregate_id
        ]

    def event_log(self, aggregate_id: str, queue: str) -> list[tuple[str, int]]:
        return [(e.name, e.number) for e in self.events(aggregate_id, queue)]

    def has_event(self, aggregate_id: str, name: str, queues: Iterable[str] | None = None) -> bool:
        """Delivered (to each of ``queues``, or to any queue when None)."""
        where = {
            c.queue
            for c in self.calls
            if c.name.startswith("apply_") and c.arg.aggregate_id == aggregate_id and c.arg.name == name
        }
        return bool(where) if queues is None else where.issuperset(queues)

    def applied(self, aggregate_id: str, name: str, queue: str) -> bool:
        """The projection on ``queue`` has finished applying this event (not merely received it)."""
        return any(
            c.name.startswith("apply_")
            and c.queue == queue
            and c.arg.aggregate_id == aggregate_id
            and c.arg.name == name
            for c in self.finished
        )

    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        """Wait (on recorded calls, not on time) until ``predicate`` holds."""
        async with asyncio.timeout(WAIT_LIMIT), self._changed:
            await self._changed.wait_for(predicate)

    async def wait_for_event(self, aggregate_id: str, name: str, queues: Iterable[str] | None = None) -> None:
        await self.wait_until(lambda: self.has_event(aggregate_id, name, queues))

    # ---- the common path of every fake -----------------------------------------------------------

    async def _record(self, name: str, arg: Any) -> None:
        info = activity.info()
        call = Call(name, arg, info.task_queue, info.workflow_id or "", info.attempt)
        async with self._changed:
            self.calls.append(call)
            self.in_flight += 1
            self._changed.notify_all()
        succeeded = False
        try:
            gated = self._gates.get(name)
            if gated is not None and gated[1](call):
                gated[0].entered.set()
                await gated[0].released.wait()
            if self._transient.get(name, 0) > 0:
                self._transient[name] -= 1
                raise TransientFailure(f"{name}: the database is down (attempt {info.attempt})")
            error = self._business.get(name)
            if error is not None:
                raise business_failure(error)
            succeeded = True
        finally:
            async with self._changed:
                self.in_flight -= 1
                if succeeded:
                    self.finished.append(call)
                self._changed.notify_all()

    # ---- customers -------------------------------------------------------------------------------

    @activity.defn
    async def authorize_customer(self, cmd: AuthorizeCustomer) -> AuthorizedCustomer:
        await self._record("authorize_customer", cmd)
        return AuthorizedCustomer(id=cmd.customer_id, enabled=True)

    # ---- depot ---------------------------------------------------------------------------------------

    def _depot(self) -> ShoppingListCommands:
        return ShoppingListCommands(activity.client())

    def _payments(self) -> PaymentsActivities:
        return PaymentsActivities(activity.client())

    @activity.defn
    async def create_shopping_list(self, cmd: CreateShoppingList) -> str:
        await self._record("create_shopping_list", cmd)
        if self.live:
            self._sold_by.update((line.product_id, line.store_id) for line in cmd.items)
            return await self._depot().create_shopping_list(cmd)
        return cmd.order_id  # one list per order, as the real command does

    @activity.defn
    async def look_up_products(self, product_ids: list[str]) -> DepotCatalog:
        """A list's opening asks it: ``depot_catalog`` if a test set it; otherwise every product an order's line
        named exists, named by its ID, in a participating store named by its ID."""
        await self._record("look_up_products", product_ids)
        if self.depot_catalog is not None:
            return self.depot_catalog
        products = {
            pid: DepotProduct(id=pid, store_id=self._sold_by[pid], name=pid)
            for pid in product_ids
            if pid in self._sold_by
        }
        stores = {
            p.store_id: DepotStore(id=p.store_id, name=p.store_id, location="here", participating=True)
            for p in products.values()
        }
        return DepotCatalog(stores=stores, products=products)

    @activity.defn
    async def initiate_shopping(self, ref: ShoppingListRef) -> None:
        await self._record("initiate_shopping", ref)
        if self.live:
            await self._depot().initiate_shopping(ref)

    @activity.defn
    async def cancel_shopping_list(self, ref: ShoppingListRef) -> ShoppingListStatus | None:
        await self._record("cancel_shopping_list", ref)
        if self.live:
            return await self._depot().cancel_shopping_list(ref)
        return self.shopping_lists.get(ref.list_id, ShoppingListStatus.CANCELLED)

    # ---- payments --------------------------------------------------------------------------------

    @activity.defn
    async def confirm_payment(self, cmd: ReservePayment) -> Payment:
        await self._record("confirm_payment", cmd)
        if self.live:
            return await self._payments().confirm_payment(cmd)
        return Payment(
            id=cmd.payment_id,
            customer_id=cmd.customer_id,
            amount=cmd.total,
            status=PaymentStatus.RESERVED,
            order_id=cmd.order_id,
        )

    @activity.defn
    async def release_payment(self, cmd: ReleasePayment) -> Payment | None:
        await self._record("release_payment", cmd)
        if self.live:
            return await self._payments().release_payment(cmd)
        return None

    @activity.defn
    async def capture_payment(self, cmd: CapturePayment) -> Payment:
        await self._record("capture_payment", cmd)
        if self.live:
            return await self._payments().capture_payment(cmd)
        return Payment(
            id=cmd.payment_id,
            customer_id="someone",
            amount=Decimal("1.00"),
            status=PaymentStatus.CAPTURED,
            order_id=cmd.order_id,
        )

    @activity.defn
    async def create_invoice(self, cmd: CreateInvoice) -> str:
        await self._record("create_invoice", cmd)
        return cmd.invoice_id

    # ---- baskets ---------------------------------------------------------------------------------

    @activity.defn
    async def price_items(self, request: PriceItems) -> list[OrderItem]:
        await self._record("price_items", request)
        priced = []
        for wanted in request.items:
            known = self.catalog.get(wanted.product_id)
            if known is None:
                raise business_failure(NotFound(f"the product {wanted.product_id} does not exist"))
            priced.append(known.model_copy(update={"quantity": wanted.quantity}))
        return priced

    # ---- projections: one per entity, made from its spec ------------------------------------------

    def _projection(self, spec: EntitySpec[Any, Any]) -> Callable[..., Any]:
        async def project(event: Any) -> None:
            await self._record(spec.projection, event)

        project.__name__ = project.__qualname__ = spec.projection
        project.__annotations__ = {"event": spec.event_type, "return": None}  # what the worker decodes into
        return activity.defn(project)

    def for_queue(self, queue: str) -> list[Callable[..., Any]]:
        """A fake for every activity the real service serves on ``queue``; a missing one fails loudly."""
        projections = {spec.projection: self._projection(spec) for spec in ENTITIES}
        fakes = []
        for name in ACTIVITIES_BY_QUEUE[queue]:
            fake = projections.get(name) or getattr(self, name, None)
            if fake is None:
                raise LookupError(f"no fake for the activity {name} that the {queue} service serves")
            fakes.append(fake)
        return fakes


# ---- a stand-in order: the target of the signals invoices and shopping lists send --------------------


class ReceivedSignal(BaseModel):
    name: str
    payload: dict[str, Any]


@workflow.defn(name="OrderStandIn")
class OrderStandIn:
    """Started as ``order:<id>``: records the signals an order receives and ends after the first one."""

    def __init__(self) -> None:
        self._received: list[ReceivedSignal] = []

    @workflow.run
    async def run(self) -> list[ReceivedSignal]:
        await workflow.wait_condition(lambda: bool(self._received))
        return self._received

    @workflow.query
    def received(self) -> list[ReceivedSignal]:
        return self._received

    @workflow.signal
    def shopping_list_completed(self, signal: ShoppingListCompleted) -> None:
        self._received.append(ReceivedSignal(name="shopping_list_completed", payload=signal.model_dump()))

    @workflow.signal
    def shopping_list_cancelled(self, signal: ShoppingListCancelled) -> None:
        self._received.append(ReceivedSignal(name="shopping_list_cancelled", payload=signal.model_dump()))

    @workflow.signal
    def invoice_paid(self, signal: InvoicePaid) -> None:
        self._received.append(ReceivedSignal(name="invoice_paid", payload=signal.model_dump()))


# ---- the running mall ------------------------------------------------------------------------------


@dataclass
class Mall:
    """The test's view: a client, the fakes, and the IDs of workflows to clean up."""

    client: Client
    env: WorkflowEnvironment
    fakes: FakeActivities
    started: set[str] = field(default_factory=set)

    def track(self, workflow_id: str) -> str:
        self.started.add(workflow_id)
        return workflow_id

    async def _terminate_leftovers(self, ids: Iterable[str]) -> None:
        for workflow_id in sorted(ids):
            handle = self.client.get_workflow_handle(workflow_id)
            try:
                if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                    # A query is answered between workflow tasks: terminating during one leaves the
                    # time-skipping server's clock locked, and every later timer test would hang.
                    await handle.query("__temporal_workflow_metadata")
                    await handle.terminate(reason="test finished")
            except RPCError:
                pass  # never started, or already gone


async def start_stand_in_order(mall: Mall, order_id: str) -> WorkflowHandle[OrderStandIn, list[ReceivedSignal]]:
    """``order:<order_id>`` for a workflow that signals an order without needing a real one."""
    return await mall.client.start_workflow(
        OrderStandIn.run, id=mall.track(order_workflow_id(order_id)), task_queue=STAND_IN_QUEUE
    )


def new_id() -> str:
    return str(uuid.uuid4())


async def register_search_attributes(client: Client) -> None:
    """The time-skipping server knows no custom search attributes until told (once per server)."""
    for key in ALL_SEARCH_ATTRIBUTES:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(
                    namespace=client.namespace,
                    search_attributes={key.name: IndexedValueType.ValueType(key.indexed_value_type.value)},
                )
            )
        except RPCError as err:
            if "already exists" not in err.message:
                raise


@asynccontextmanager
async def running_mall(env: WorkflowEnvironment) -> AsyncIterator[Mall]:
    """One worker per service queue (real workflows, fake activities) plus the stand-in orders' worker."""
    await register_search_attributes(env.client)
    mall = Mall(client=env.client, env=env, fakes=FakeActivities())
    async with AsyncExitStack() as stack:
        for queue in ACTIVITIES_BY_QUEUE:
            await stack.enter_async_context(
                Worker(
                    env.client,
                    task_queue=queue,
                    workflows=list(WORKFLOWS_BY_QUEUE.get(queue, ())),
                    activities=mall.fakes.for_queue(queue),
                    # The SDK's default sandbox: where a non-deterministic call fails (the workers run without it).
                    workflow_runner=SANDBOXED,
                )
            )
        await stack.enter_async_context(
            Worker(
                env.client,
                task_queue=STAND_IN_QUEUE,
                workflows=[OrderStandIn],
                workflow_runner=UnsandboxedWorkflowRunner(),
            )
        )
        try:
            yield mall
        finally:
            mall.fakes.release_all()
            # Let every activity in flight finish before its workflow is terminated.
            await mall.fakes.wait_until(lambda: mall.fakes.in_flight == 0)
            await mall._terminate_leftovers(mall.started | {c.workflow_id for c in mall.fakes.calls})
