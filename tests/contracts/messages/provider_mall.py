"""The provider side of the message pacts: the real mall, and what its workflows deliver to each subscriber.

Every service of the registry (``mallbots.services.DEFINITIONS``) runs on a Temporal dev server of its own
(the same binary as ``mallbots up``, with the production data converter) against the session stack's
Postgres: its real workflows and its real activities, each on its own task queue. One thing differs: every
projection activity (``apply_<aggregate>_event``) a subscriber's worker serves is wrapped by a recorder that
keeps the payload exactly as it reached that subscriber's queue (a ``RawValue``: the bytes and metadata the
worker decoded, after the codec), with the queue, the sending workflow and whether it came as a local
activity, then hands the event on to the subscriber's real projection, so the read models the next steps
read (depot's and baskets' catalogues, customers for step 1) are there as in production.

A provider state is a journey through the mall's commands (``JOURNEYS``), sent the way the API and the
saga's activities send them (update-with-start, updates, the order's long poll): nothing here builds an
event, numbers one or decides its contents. Each journey makes aggregates with IDs of its own, so journeys
never meet; one state's journey is driven once per session and serves every subscriber of its event (it
delivered to all of them).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from temporalio import activity
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.common import RawValue, WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.worker import Worker

from activities.notifications.gateway import RecordingGateway
from domain.ordering.model import Order, OrderStatus
from mallbots.bootstrap import SANDBOXED
from mallbots.db import Databases
from mallbots.services import DEFINITIONS, ServiceResources, activity_methods
from readmodels.baskets.queries import catalog_products
from tests.contracts.messages.catalog import AGGREGATES, State
from workflows.baskets.basket_workflow import BasketWorkflow
from workflows.baskets.messages import TASK_QUEUE as BASKETS
from workflows.baskets.messages import (
    AddItem,
    BasketWorkflowInput,
    Checkout,
    RemoveItem,
    StartBasket,
    basket_workflow_id,
)
from workflows.customers.customer_workflow import CustomerWorkflow
from workflows.customers.messages import TASK_QUEUE as CUSTOMERS
from workflows.customers.messages import (
    ChangeSmsNumber,
    CustomerWorkflowInput,
    RegisterCustomer,
    customer_workflow_id,
)
from workflows.depot.messages import AssignBot, shopping_list_workflow_id
from workflows.depot.shopping_list_workflow import ShoppingListWorkflow
from workflows.ordering.messages import TASK_QUEUE as ORDERING
from workflows.ordering.messages import OrderWorkflowInput, RequestedItem, WaitForStatus, order_workflow_id
from workflows.ordering.order_workflow import OrderWorkflow
from workflows.payments.invoice_workflow import InvoiceWorkflow
from workflows.payments.messages import TASK_QUEUE as PAYMENTS
from workflows.payments.messages import AuthorizePayment, PaymentWorkflowInput, invoice_workflow_id, payment_workflow_id
from workflows.payments.payment_workflow import PaymentWorkflow
from workflows.shared.client import EntityGone, create_entity, start_entity, update_entity
from workflows.stores.messages import TASK_QUEUE as STORES
from workflows.stores.messages import (
    AddProduct,
    ChangePrice,
    CreateStore,
    ProductWorkflowInput,
    RebrandProduct,
    RebrandStore,
    StoreWorkflowInput,
    product_workflow_id,
    store_workflow_id,
)
from workflows.stores.product_workflow import ProductWorkflow
from workflows.stores.store_workflow import StoreWorkflow

DELIVERY_TIMEOUT = 60.0  # a whole saga on a loaded two-core machine, with room
EXPIRING_PAYMENT_TTL = 1.0  # seconds: the payment workflow's own timer, in real time
PROJECTIONS = {aggregate.projection for aggregate in AGGREGATES}


@dataclass(frozen=True)
class Delivery:
    """One event as it reached one subscriber's queue."""

    queue: str  # the task queue the projection ran on: the subscriber's
    workflow_type: str | None  # the workflow that sent it
    local: bool  # a local activity: the emitting service's own read model
    payload: Payload  # as the subscriber's worker received it, after the codec

    @property
    def event(self) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.payload.data)
        return body

    @property
    def metadata(self) -> dict[str, str]:
        return {key: value.decode() for key, value in self.payload.metadata.items()}


class Deliveries:
    """Every projection call of every worker, in the order they ran."""

    def __init__(self) -> None:
        self.received: list[Delivery] = []

    def recording(self, projection: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        """``projection`` (a subscriber's real activity), under its own name, recording what it is sent."""
        definition = activity._Definition.must_from_callable(projection)
        assert definition.name is not None and definition.arg_types is not None
        (event_type,) = definition.arg_types

        async def record(event: RawValue) -> Any:
            info = activity.info()
            self.received.append(Delivery(info.task_queue, info.workflow_type, info.is_local, event.payload))
            return await projection(activity.payload_converter().from_payload(event.payload, event_type))

        record.__name__ = record.__qualname__ = definition.name
        return activity.defn(name=definition.name)(record)

    async def wait_for(self, aggregate_id: str, event_name: str, queue: str) -> Delivery:
        """The first delivery of that aggregate's event to ``queue`` (a retried projection records twice)."""
        async with asyncio.timeout(DELIVERY_TIMEOUT):
            while True:
                for delivery in self.received:
                    event = delivery.event
                    if (delivery.queue, event["aggregate_id"], event["name"]) == (queue, aggregate_id, event_name):
                        return delivery
                await asyncio.sleep(0.02)


async def run_services(client: Client, databases: Databases, deliveries: Deliveries, stack: AsyncExitStack) -> None:
    """One worker per service of the registry, as ``mallbots.bootstrap.build_workers`` makes them, with every
    projection recorded."""
    gateway = RecordingGateway(databases.sessions("notifications"))
    for name, definition in DEFINITIONS.items():
        resources = ServiceResources(sessions=databases.sessions(name), client=client, gateway=gateway)
        activities = [
            deliveries.recording(fn) if activity._Definition.must_from_callable(fn).name in PROJECTIONS else fn
            for fn in activity_methods(definition.activity_objects(resources))
        ]
        worker = Worker(
            client,
            task_queue=definition.task_queue,
            workflows=list(definition.workflows),
            activities=activities,
            workflow_runner=SANDBOXED,  # the SDK's default sandbox, as the workflow tests run it
            max_concurrent_activities=50,
        )
        await stack.enter_async_context(worker)


Params = Mapping[str, Any]


class Mall:
    """The mall's commands, as the API and the saga's activities send them."""

    def __init__(self, client: Client, databases: Databases) -> None:
        self.client = client
        self.databases = databases

    @staticmethod
    def new_id(kind: str) -> str:
        return f"pact-{kind}-{uuid.uuid4()}"

    async def update(self, workflow_id: str, update: Any, arg: Any = None) -> Any:
        return await update_entity(self.client, workflow_id, update, arg)

    async def create(self, run: Any, workflow_input: Any, workflow_id: str, queue: str, update: Any, cmd: Any) -> None:
        """An entity created as the API creates it: its workflow started with its first command (update-with-start)."""
        start = start_entity(run, workflow_input, id=workflow_id, task_queue=queue)
        await create_entity(self.client, update, cmd, start)

    # ---- stores ------------------------------------------------------------------------------------

    async def store(self, p: Params, *, participating: bool = False) -> str:
        store_id = self.new_id("store")
        cmd = CreateStore(name=p.get("storeName", "Robots R Us"), location=p.get("location", "Level 2"), owner="o-1")
        workflow_input = StoreWorkflowInput(store_id=store_id)
        await self.create(
            StoreWorkflow.run, workflow_input, store_workflow_id(store_id), STORES, StoreWorkflow.create, cmd
        )
        if participating:
            await self.update(store_workflow_id(store_id), StoreWorkflow.enable_participation)
        return store_id

    async def product(self, p: Params, store_id: str) -> str:
        product_id = self.new_id("product")
        cmd = AddProduct(
            store_id=store_id,
            name=p.get("productName", "Robot arm"),
            description=p.get("description", ""),
            sku=p.get("sku", ""),
            price=Decimal(p["price"]),
        )
        workflow_input = ProductWorkflowInput(product_id=product_id)
        await self.create(
            ProductWorkflow.run, workflow_input, product_workflow_id(product_id), STORES, ProductWorkflow.add, cmd
        )
        return product_id

    # ---- customers and payments --------------------------------------------------------------------

    async def customer(self, p: Params) -> str:
        customer_id = self.new_id("customer")
        cmd = RegisterCustomer(
            name=p.get("customerName", "Ada Lovelace"), sms_number=p.get("smsNumber", "+44 20 7946 0001")
        )
        workflow_input = CustomerWorkflowInput(customer_id=customer_id)
        await self.create(
            CustomerWorkflow.run,
            workflow_input,
            customer_workflow_id(customer_id),
            CUSTOMERS,
            CustomerWorkflow.register,
            cmd,
        )
        return customer_id

    async def payment(self, customer_id: str, amount: str, ttl_seconds: float | None = None) -> str:
        payment_id = self.new_id("payment")
        workflow_input = PaymentWorkflowInput(payment_id=payment_id)
        if ttl_seconds is not None:
            workflow_input = workflow_input.model_copy(update={"ttl_seconds": ttl_seconds})
        cmd = AuthorizePayment(customer_id=customer_id, amount=Decimal(amount))
        await self.create(
            PaymentWorkflow.run,
            workflow_input,
            payment_workflow_id(payment_id),
            PAYMENTS,
            PaymentWorkflow.authorize,
            cmd,
        )
        return payment_id

    # ---- baskets -----------------------------------------------------------------------------------

    async def basket(self, customer_id: str) -> str:
        basket_id = self.new_id("basket")
        cmd = StartBasket(customer_id=customer_id)
        workflow_input = BasketWorkflowInput(basket_id=basket_id)
        await self.create(
            BasketWorkflow.run, workflow_input, basket_workflow_id(basket_id), BASKETS, BasketWorkflow.start, cmd
        )
        return basket_id

    async def add_item(self, basket_id: str, product_id: str, quantity: int) -> None:
        """As the API adds one: the product as baskets' own catalogue knows it."""
        known = await catalog_products(self.databases.sessions("baskets"), [product_id])
        cmd = AddItem(product_id=product_id, quantity=quantity, product=known.get(product_id))
        await self.update(basket_workflow_id(basket_id), BasketWorkflow.add_item, cmd)

    async def filled_basket(self, p: Params, customer_id: str | None = None) -> tuple[str, str, str]:
        """A customer's open basket of ``quantity`` units of a product of a participating store; answers the
        basket, its customer and the product."""
        customer_id = customer_id or await self.customer(p)
        store_id = await self.store(p, participating=True)
        product_id = await self.product(p, store_id)
        basket_id = await self.basket(customer_id)
        await self.add_item(basket_id, product_id, int(p["quantity"]))
        return basket_id, customer_id, product_id

    # ---- orders ------------------------------------------------------------------------------------

    async def checked_out(self, p: Params, *, disable_customer: bool = False) -> tuple[str, str]:
        """A basket checked out into an order (order ID = basket ID), paid with an authorization of
        ``amount`` (enough by default); answers the order and its payment."""
        basket_id, customer_id, _ = await self.filled_basket(p)
        payment_id = await self.payment(customer_id, p.get("amount", "100.00"))
        if disable_customer:
            await self.update(customer_workflow_id(customer_id), CustomerWorkflow.disable)
        await self.update(basket_workflow_id(basket_id), BasketWorkflow.checkout, Checkout(payment_id=payment_id))
        return basket_id, payment_id

    async def direct_order(self, p: Params) -> str:
        """``POST /api/ordering``: no basket, the saga prices the items from baskets' catalogue."""
        customer_id = await self.customer(p)
        store_id = await self.store(p, participating=True)
        product_id = await self.product(p, store_id)
        payment_id = await self.payment(customer_id, p.get("amount", "100.00"))
        order_id = self.new_id("order")
        order_input = OrderWorkflowInput(
            order_id=order_id,
            customer_id=customer_id,
            payment_id=payment_id,
            requested=[RequestedItem(product_id=product_id, quantity=int(p["quantity"]))],
        )
        await self.client.start_workflow(
            OrderWorkflow.run,
            order_input,
            id=order_workflow_id(order_id),
            task_queue=ORDERING,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        return order_id

    async def reaches(self, order_id: str, status: str) -> None:
        """The client's long poll (``GET /api/ordering/{id}?waitFor=``) until the order is ``status``."""
        wait = WaitForStatus(statuses=[OrderStatus(status)], timeout_seconds=DELIVERY_TIMEOUT)
        try:
            reached = await self.update(order_workflow_id(order_id), OrderWorkflow.wait_for_status, wait)
        except EntityGone:
            # A final order's run ends: a wait that reaches it then is answered by its last state (as the
            # API answers from the read model).
            handle = self.client.get_workflow_handle(order_workflow_id(order_id))
            order: Order = await handle.query(OrderWorkflow.get_order)
            reached = order.status
        assert reached == status, f"order {order_id} is {reached}, not {status}"

    async def approved(self, p: Params) -> tuple[str, str]:
        order_id, payment_id = await self.checked_out(p)
        await self.reaches(order_id, "approved")
        return order_id, payment_id

    async def assigned(self, p: Params) -> str:
        """A bot took the approved order's list (list ID = order ID)."""
        order_id, _ = await self.approved(p)
        cmd = AssignBot(bot_id=self.new_id("bot"))
        await self.update(shopping_list_workflow_id(order_id), ShoppingListWorkflow.assign, cmd)
        return order_id

    async def picked(self, p: Params) -> str:
        order_id = await self.assigned(p)
        await self.update(shopping_list_workflow_id(order_id), ShoppingListWorkflow.complete)
        return order_id

    async def ready(self, p: Params) -> str:
        """The list completed, the saga opened the invoice (invoice ID = order ID) and readied the order."""
        order_id = await self.picked(p)
        await self.reaches(order_id, "ready")
        return order_id

    async def completed(self, p: Params) -> str:
        order_id = await self.ready(p)
        await self.update(invoice_workflow_id(order_id), InvoiceWorkflow.pay)
        await self.reaches(order_id, "completed")
        return order_id

    async def cancelled(self, p: Params) -> tuple[str, str]:
        order_id, payment_id = await self.approved(p)
        await self.update(order_workflow_id(order_id), OrderWorkflow.cancel)
        return order_id, payment_id


# ---- the provider states ----------------------------------------------------------------------------


async def _store_rebranded(mall: Mall, p: Params) -> str:
    store_id = await mall.store(p)
    await mall.update(store_workflow_id(store_id), StoreWorkflow.rebrand, RebrandStore(name=p["newName"]))
    return store_id


async def _store_participating(mall: Mall, p: Params) -> str:
    return await mall.store(p, participating=True)


async def _product(mall: Mall, p: Params) -> str:
    return await mall.product(p, await mall.store(p))


async def _product_then(mall: Mall, p: Params, update: Any, arg: Any = None) -> str:
    product_id = await _product(mall, p)
    await mall.update(product_workflow_id(product_id), update, arg)
    return product_id


async def _customer_then(mall: Mall, p: Params, *commands: tuple[Any, Any]) -> str:
    customer_id = await mall.customer(p)
    for update, arg in commands:
        await mall.update(customer_workflow_id(customer_id), update, arg)
    return customer_id


async def _basket_started(mall: Mall, p: Params) -> str:
    return await mall.basket(await mall.customer(p))


async def _item_added(mall: Mall, p: Params) -> str:
    basket_id, _, _ = await mall.filled_basket(p)
    return basket_id


async def _item_removed(mall: Mall, p: Params) -> str:
    basket_id, _, product_id = await mall.filled_basket(p)
    cmd = RemoveItem(product_id=product_id, quantity=int(p["removed"]))
    await mall.update(basket_workflow_id(basket_id), BasketWorkflow.remove_item, cmd)
    return basket_id


async def _basket_cancelled(mall: Mall, p: Params) -> str:
    basket_id, _, _ = await mall.filled_basket(p)
    await mall.update(basket_workflow_id(basket_id), BasketWorkflow.cancel)
    return basket_id


async def _order_rejected(mall: Mall, p: Params) -> str:
    order_id, _ = await mall.checked_out(p, disable_customer=True)
    await mall.reaches(order_id, "rejected")
    return order_id


async def _order_cancelled(mall: Mall, p: Params) -> str:
    order_id, _ = await mall.cancelled(p)
    return order_id


async def _list_cancelled(mall: Mall, p: Params) -> str:
    """The payment does not cover the order: step 3 fails and the saga's compensation cancels the list."""
    order_id, _ = await mall.checked_out(p)
    await mall.reaches(order_id, "rejected")
    return order_id


async def _payment_authorized(mall: Mall, p: Params) -> str:
    return await mall.payment(await mall.customer(p), p["amount"])


async def _payment_expired(mall: Mall, p: Params) -> str:
    """An authorization nobody uses: its own timer expires it (its time to live shortened, the one input the
    API sets from its settings)."""
    return await mall.payment(await mall.customer(p), p["amount"], ttl_seconds=EXPIRING_PAYMENT_TTL)


async def _approved_payment(mall: Mall, p: Params) -> str:
    _, payment_id = await mall.approved(p)
    return payment_id


async def _captured_payment(mall: Mall, p: Params) -> str:
    order_id = await mall.completed(p)
    order: Order = await mall.client.get_workflow_handle(order_workflow_id(order_id)).query(OrderWorkflow.get_order)
    return order.payment_id


async def _released_payment(mall: Mall, p: Params) -> str:
    _, payment_id = await mall.cancelled(p)
    return payment_id


async def _invoice_cancelled(mall: Mall, p: Params) -> str:
    """An open invoice's cancel (``InvoiceWorkflow.cancel``). The saga never sends it today: an invoice opens only
    once the list is completed, and from then on the order can no longer be cancelled."""
    order_id = await mall.ready(p)
    await mall.update(invoice_workflow_id(order_id), InvoiceWorkflow.cancel)
    return order_id


async def _order_id(journey: Awaitable[tuple[str, str]]) -> str:
    order_id, _ = await journey
    return order_id


Journey = Callable[[Mall, Params], Awaitable[str]]  # drives the mall into the state; answers the aggregate's ID

# provider state → its journey
JOURNEYS: dict[str, Journey] = {
    "a store was created": lambda mall, p: mall.store(p),
    "a store was rebranded": _store_rebranded,
    "a store started participating in the mall": _store_participating,
    "a product was added to a store": _product,
    "a product was rebranded": lambda mall, p: _product_then(
        mall, p, ProductWorkflow.rebrand, RebrandProduct(name=p["newName"], description=p["newDescription"])
    ),
    "the price of a product was increased": lambda mall, p: _product_then(
        mall, p, ProductWorkflow.increase_price, ChangePrice(price=Decimal(p["newPrice"]))
    ),
    "a product was removed": lambda mall, p: _product_then(mall, p, ProductWorkflow.remove),
    "a customer registered": lambda mall, p: mall.customer(p),
    "a customer changed their SMS number": lambda mall, p: _customer_then(
        mall, p, (CustomerWorkflow.change_sms_number, ChangeSmsNumber(sms_number=p["newSmsNumber"]))
    ),
    "a customer was disabled": lambda mall, p: _customer_then(mall, p, (CustomerWorkflow.disable, None)),
    "a disabled customer was enabled again": lambda mall, p: _customer_then(
        mall, p, (CustomerWorkflow.disable, None), (CustomerWorkflow.enable, None)
    ),
    "a customer started a basket": _basket_started,
    "an item was added to a basket": _item_added,
    "part of an item was removed from a basket": _item_removed,
    "a basket was checked out": lambda mall, p: _order_id(mall.checked_out(p)),
    "an open basket was cancelled": _basket_cancelled,
    "a basket was checked out into an order": lambda mall, p: _order_id(mall.checked_out(p)),
    "a direct order was placed": lambda mall, p: mall.direct_order(p),
    "the create-order saga approved an order": lambda mall, p: _order_id(mall.approved(p)),
    "the create-order saga rejected an order of a disabled customer": _order_rejected,
    "the shopping list of an approved order was completed and invoiced": lambda mall, p: mall.ready(p),
    "the invoice of a ready order was paid": lambda mall, p: mall.completed(p),
    "an approved order was cancelled by its customer": _order_cancelled,
    "a shopping list was created for an order": lambda mall, p: _order_id(mall.checked_out(p)),
    "a shopping list was made available to the bots": lambda mall, p: _order_id(mall.approved(p)),
    "a bot took an available shopping list": lambda mall, p: mall.assigned(p),
    "a bot completed its shopping list": lambda mall, p: mall.picked(p),
    "a pending shopping list was cancelled: the payment did not cover the order": _list_cancelled,
    "a customer authorized a payment": _payment_authorized,
    "a payment was reserved for an order": _approved_payment,
    "a reserved payment was captured": _captured_payment,
    "a reserved payment was released": _released_payment,
    "a payment authorization expired unused": _payment_expired,
    "an invoice was opened for a ready order": lambda mall, p: mall.ready(p),
    "an invoice was paid": lambda mall, p: mall.completed(p),
    "an open invoice was cancelled": _invoice_cancelled,
}


class ProviderMall:
    """Provider states set up by journeys, each driven once; their aggregates' deliveries, on demand."""

    def __init__(self, mall: Mall, deliveries: Deliveries) -> None:
        self.mall = mall
        self.deliveries = deliveries
        self._subjects: dict[State, asyncio.Task[str]] = {}

    def start(self, state: State) -> asyncio.Task[str]:
        """Start driving the mall into ``state`` (once a session: later calls get the same journey)."""
        if state.name not in JOURNEYS:
            raise LookupError(f"the provider knows no state {state.name!r}")
        if state not in self._subjects:
            self._subjects[state] = asyncio.ensure_future(JOURNEYS[state.name](self.mall, state.params))
        return self._subjects[state]

    async def set_up(self, state: State) -> str:
        """Drive the mall into ``state``; answers the ID of the aggregate it is about."""
        return await self.start(state)

    async def delivered(self, state: State, event_name: str, subscriber: str) -> Delivery:
        return await self.deliveries.wait_for(await self.set_up(state), event_name, subscriber)
