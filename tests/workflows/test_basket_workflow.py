"""BasketWorkflow on the time-skipping server: start, items, checkout (starting the real OrderWorkflow),
cancel, closed-basket refusals, the expiry timer and continue-as-new. Activities are same-named fakes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from domain.baskets.events import BasketEvent
from domain.baskets.model import Basket, BasketItem, BasketStatus, CatalogProduct
from domain.customers import model as customer_rules
from domain.ordering.events import OrderEvent
from domain.ordering.model import OrderItem, OrderStatus
from domain.shared.errors import DomainError, ErrorKind
from tests.workflows.fakes import Mall, new_id, running_mall
from workflows.baskets.basket_workflow import BasketWorkflow
from workflows.baskets.messages import (
    AddItem,
    BasketWorkflowInput,
    Checkout,
    RemoveItem,
    StartBasket,
    basket_workflow_id,
)
from workflows.customers.messages import AuthorizeCustomer
from workflows.ordering.messages import ORDER, order_workflow_id

CUSTOMER = "customer-1"
STARTED = "baskets.BasketStarted"
ADDED = "baskets.BasketItemAdded"
REMOVED = "baskets.BasketItemRemoved"
CHECKED_OUT = "baskets.BasketCheckedOut"
CANCELLED = "baskets.BasketCancelled"
TTL = 3600.0
SHORT_TTL = 2.0

BasketHandle = WorkflowHandle[BasketWorkflow, Basket | None]


def product(
    product_id: str = "apple", price: str = "2.50", *, participating: bool = True, removed: bool = False
) -> CatalogProduct:
    return CatalogProduct(
        id=product_id,
        store_id="store-a",
        store_name="Corner Shop",
        name=f"Fresh {product_id}",
        price=Decimal(price),
        store_participating=participating,
        removed=removed,
    )


def add(product_id: str = "apple", quantity: int = 1) -> AddItem:
    return AddItem(product_id=product_id, quantity=quantity, product=product(product_id))


def add_found(found: CatalogProduct | None, product_id: str = "apple") -> AddItem:
    """An add whose product lookup (done by the API in baskets' cache) found ``found``."""
    return AddItem(product_id=product_id, quantity=1, product=found)


@dataclass
class OpenBasket:
    mall: Mall
    basket_id: str
    handle: BasketHandle
    first_run_id: str | None

    @property
    def workflow_id(self) -> str:
        return basket_workflow_id(self.basket_id)

    def events(self) -> list[tuple[str, int]]:
        return self.mall.fakes.event_log(self.basket_id, "baskets")

    def payloads(self) -> list[BasketEvent]:
        return self.mall.fakes.events(self.basket_id, "baskets")

    async def state(self) -> Basket | None:
        return await self.handle.query(BasketWorkflow.get_basket)

    async def add(self, cmd: AddItem) -> Basket:
        return await self.handle.execute_update(BasketWorkflow.add_item, cmd)


@pytest.fixture
async def mall(time_skipping_env: WorkflowEnvironment) -> AsyncIterator[Mall]:
    async with running_mall(time_skipping_env) as running:
        yield running


@pytest.fixture
async def real_time_mall(real_time_env: WorkflowEnvironment) -> AsyncIterator[Mall]:
    async with running_mall(real_time_env) as running:
        yield running


async def new_basket(
    mall: Mall,
    *,
    ttl_seconds: float = 30 * 86400.0,
    continue_as_new_after: int = 1000,
    start: bool = True,
    task_timeout: timedelta | None = None,
) -> OpenBasket:
    basket_id = new_id()
    handle = await mall.client.start_workflow(
        BasketWorkflow.run,
        BasketWorkflowInput(basket_id=basket_id, ttl_seconds=ttl_seconds, continue_as_new_after=continue_as_new_after),
        id=mall.track(basket_workflow_id(basket_id)),
        task_queue="baskets",
        task_timeout=task_timeout,
    )
    basket = OpenBasket(mall, basket_id, handle, handle.first_execution_run_id)
    mall.track(order_workflow_id(basket_id))
    if start:
        await handle.execute_update(BasketWorkflow.start, StartBasket(customer_id=CUSTOMER))
    return basket


def application_error(err: BaseException | None) -> ApplicationError:
    """The business failure behind an update failure (directly, or behind the activity that raised it)."""
    while isinstance(err, ActivityError):
        err = err.cause
    assert isinstance(err, ApplicationError), f"expected an ApplicationError, got {err!r}"
    return err


async def refused(update: Awaitable[Any], kind: ErrorKind, message: str) -> None:
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await update
    failure = application_error(caught.value.cause)
    assert (failure.type, failure.message) == (kind.value, message)
    assert failure.non_retryable


def refusal_of(rule: Callable[[], object]) -> DomainError:
    try:
        rule()
    except DomainError as err:
        return err
    raise AssertionError("the rule accepted the command")


# ---- start -------------------------------------------------------------------------------------------


async def test_starting_a_basket_authorizes_the_customer_and_publishes_basket_started(mall: Mall) -> None:
    basket = await new_basket(mall, start=False)

    with pytest.raises(WorkflowUpdateFailedError) as malformed:  # IDs are taken as given, never trimmed
        await basket.handle.execute_update(BasketWorkflow.start, StartBasket(customer_id=f" {CUSTOMER} "))
    started = await basket.handle.execute_update(BasketWorkflow.start, StartBasket(customer_id=CUSTOMER))

    assert isinstance(malformed.value.cause, ApplicationError)
    assert malformed.value.cause.message == "the customer ID is not a valid ID"
    assert started == Basket(id=basket.basket_id, customer_id=CUSTOMER)
    calls = [c for c in mall.fakes.calls_by(basket.workflow_id) if c.name == "authorize_customer"]
    assert [(c.queue, c.arg) for c in calls] == [("baskets", AuthorizeCustomer(customer_id=CUSTOMER))]
    assert basket.events() == [(STARTED, 1)]
    assert await basket.state() == started


async def test_a_repeated_start_is_answered_with_the_same_basket_and_writes_nothing(mall: Mall) -> None:
    basket = await new_basket(mall)

    again = await basket.handle.execute_update(BasketWorkflow.start, StartBasket(customer_id=CUSTOMER))

    assert again == Basket(id=basket.basket_id, customer_id=CUSTOMER)
    assert mall.fakes.commands(basket.workflow_id) == ["authorize_customer"]
    assert basket.events() == [(STARTED, 1)]


async def test_a_basket_of_an_unknown_customer_fails_to_start_with_not_found_and_its_workflow_ends(
    mall: Mall,
) -> None:
    unknown = refusal_of(lambda: customer_rules.authorize_customer(None, CUSTOMER))
    mall.fakes.fail("authorize_customer", unknown)
    basket = await new_basket(mall, start=False)

    await refused(
        basket.handle.execute_update(BasketWorkflow.start, StartBasket(customer_id=CUSTOMER)),
        ErrorKind.NOT_FOUND,
        f"the customer {CUSTOMER} is not registered",
    )

    assert await basket.handle.result() is None
    assert basket.events() == []


# ---- items -------------------------------------------------------------------------------------------


async def test_adding_an_item_captures_the_product_name_store_and_price(mall: Mall) -> None:
    basket = await new_basket(mall)

    after = await basket.add(add("apple", 2))

    assert after.items == (
        BasketItem(
            product_id="apple",
            store_id="store-a",
            store_name="Corner Shop",
            product_name="Fresh apple",
            price=Decimal("2.50"),
            quantity=2,
        ),
    )
    assert after.total == Decimal("5.00")
    assert basket.events() == [(STARTED, 1), (ADDED, 2)]
    assert basket.payloads()[-1].basket == after


async def test_re_adding_a_product_sums_the_quantities_and_keeps_the_price_captured_first(mall: Mall) -> None:
    basket = await new_basket(mall)
    await basket.add(add("apple", 1))

    after = await basket.add(AddItem(product_id="apple", quantity=2, product=product("apple", price="3.00")))

    assert [(i.product_id, i.quantity, i.price) for i in after.items] == [("apple", 3, Decimal("2.50"))]
    assert after.total == Decimal("7.50")
    assert basket.events() == [(STARTED, 1), (ADDED, 2), (ADDED, 3)]


@pytest.mark.parametrize(
    ("cmd", "kind", "message"),
    [
        pytest.param(add("apple", 0), ErrorKind.INVALID, "the quantity must be at least 1", id="quantity below 1"),
        pytest.param(
            add_found(None, "ghost"), ErrorKind.NOT_FOUND, "the product ghost does not exist", id="unknown product"
        ),
        pytest.param(
            add_found(product(removed=True)),
            ErrorKind.NOT_FOUND,
            "the product apple does not exist",
            id="removed product",
        ),
        pytest.param(
            add_found(product(participating=False)),
            ErrorKind.CONFLICT,
            "the store Corner Shop is not participating in the mall",
            id="store not participating",
        ),
    ],
)
async def test_an_item_the_rules_refuse_is_rejected_and_the_basket_is_unchanged(
    mall: Mall, cmd: AddItem, kind: ErrorKind, message: str
) -> None:
    basket = await new_basket(mall)
    await basket.add(add("bread", 1))

    await refused(basket.add(cmd), kind, message)

    state = await basket.state()
    assert state is not None
    assert [(i.product_id, i.quantity) for i in state.items] == [("bread", 1)]
    assert basket.events() == [(STARTED, 1), (ADDED, 2)]


async def test_removing_part_of_an_item_lowers_its_quantity_and_removing_the_rest_drops_it(mall: Mall) -> None:
    basket = await new_basket(mall)
    await basket.add(add("apple", 3))
    await basket.add(add("bread", 1))

    partly = await basket.handle.execute_update(BasketWorkflow.remove_item, RemoveItem(product_id="apple", quantity=1))
    assert [(i.product_id, i.quantity) for i in partly.items] == [("apple", 2), ("bread", 1)]
    fully = await basket.handle.execute_update(BasketWorkflow.remove_item, RemoveItem(product_id="apple", quantity=5))

    assert [(i.product_id, i.quantity) for i in fully.items] == [("bread", 1)]
    assert basket.events() == [(STARTED, 1), (ADDED, 2), (ADDED, 3), (REMOVED, 4), (REMOVED, 5)]


@pytest.mark.parametrize(
    ("cmd", "kind", "message"),
    [
        pytest.param(RemoveItem(product_id="apple", quantity=0), ErrorKind.INVALID, "the quantity must be at least 1"),
        pytest.param(
            RemoveItem(product_id="ghost", quantity=1), ErrorKind.NOT_FOUND, "the product ghost is not in the basket"
        ),
    ],
)
async def test_a_removal_the_rules_refuse_is_rejected_and_the_basket_is_unchanged(
    mall: Mall, cmd: RemoveItem, kind: ErrorKind, message: str
) -> None:
    basket = await new_basket(mall)
    await basket.add(add("apple", 2))

    await refused(basket.handle.execute_update(BasketWorkflow.remove_item, cmd), kind, message)

    state = await basket.state()
    assert state is not None
    assert [(i.product_id, i.quantity) for i in state.items] == [("apple", 2)]
    assert basket.events() == [(STARTED, 1), (ADDED, 2)]


# ---- checkout and cancel --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "payment_id", "message"),
    [
        pytest.param(0, "payment-1", "the basket is empty", id="empty basket"),
        pytest.param(1, "  ", "the payment ID cannot be blank", id="blank payment ID"),
    ],
)
async def test_a_checkout_the_rules_refuse_is_rejected_and_starts_no_order(
    mall: Mall, items: int, payment_id: str, message: str
) -> None:
    basket = await new_basket(mall)
    for _ in range(items):
        await basket.add(add("apple", 1))

    await refused(
        basket.handle.execute_update(BasketWorkflow.checkout, Checkout(payment_id=payment_id)),
        ErrorKind.INVALID,
        message,
    )

    state = await basket.state()
    assert state is not None
    assert state.status is BasketStatus.OPEN
    assert len(basket.events()) == 1 + items
    with pytest.raises(RPCError) as caught:
        await mall.client.get_workflow_handle(order_workflow_id(basket.basket_id)).describe()
    assert caught.value.status == RPCStatusCode.NOT_FOUND


async def test_checkout_starts_the_order_as_a_child_which_is_approved_and_the_basket_closes(mall: Mall) -> None:
    basket = await new_basket(mall)
    await basket.add(add("apple", 2))
    await basket.add(AddItem(product_id="bread", quantity=1, product=product("bread", price="4.00")))

    checked_out = await basket.handle.execute_update(BasketWorkflow.checkout, Checkout(payment_id="payment-1"))

    assert checked_out.status is BasketStatus.CHECKED_OUT
    assert checked_out.payment_id == "payment-1"
    assert await basket.handle.result() == checked_out
    assert basket.events() == [(STARTED, 1), (ADDED, 2), (ADDED, 3), (CHECKED_OUT, 4)]
    order_id = basket.basket_id
    await mall.fakes.wait_for_event(order_id, "ordering.OrderApproved", ORDER.receivers("ordering.OrderApproved"))
    order_wf = order_workflow_id(order_id)
    assert mall.fakes.commands(order_wf) == [
        "authorize_customer",
        "create_shopping_list",
        "confirm_payment",
        "initiate_shopping",
    ]
    created: OrderEvent = mall.fakes.events(order_id, "search")[0]
    assert created.name == "ordering.OrderCreated"
    assert (created.order.customer_id, created.order.payment_id, created.order.basket_id) == (
        CUSTOMER,
        "payment-1",
        basket.basket_id,
    )
    assert created.order.items == tuple(
        OrderItem(
            product_id=i.product_id,
            store_id=i.store_id,
            store_name=i.store_name,
            product_name=i.product_name,
            price=i.price,
            quantity=i.quantity,
        )
        for i in checked_out.items
    )
    assert created.order.total == Decimal("9.00")
    described = await mall.client.get_workflow_handle(order_wf).describe()
    assert described.task_queue == "ordering"
    assert described.parent_id == basket.workflow_id
    assert described.status == WorkflowExecutionStatus.RUNNING  # abandoned by its closed parent, not ended
    order_state = await mall.client.get_workflow_handle(order_wf).query("get_order")
    assert order_state["status"] == OrderStatus.APPROVED.value


async def test_cancelling_an_open_basket_publishes_basket_cancelled_and_ends_the_workflow(mall: Mall) -> None:
    basket = await new_basket(mall)
    await basket.add(add("apple", 1))

    cancelled = await basket.handle.execute_update(BasketWorkflow.cancel)

    assert cancelled.status is BasketStatus.CANCELLED
    assert await basket.handle.result() == cancelled
    assert basket.events() == [(STARTED, 1), (ADDED, 2), (CANCELLED, 3)]


CLOSING: dict[str, tuple[str, Callable[[WorkflowHandle[Any, Any]], Awaitable[object]]]] = {
    "checked out": (CHECKED_OUT, lambda h: h.execute_update(BasketWorkflow.checkout, Checkout(payment_id="p"))),
    "cancelled": (CANCELLED, lambda h: h.execute_update(BasketWorkflow.cancel)),
}


@pytest.mark.parametrize("closed_as", list(CLOSING))
async def test_every_command_on_a_closed_basket_is_refused_with_conflict(mall: Mall, closed_as: str) -> None:
    # The closing event's delivery (a local activity) is held, so the workflow is still running with the
    # closed state when the commands arrive; a short task timeout lets those commands in meanwhile.
    event_name, close = CLOSING[closed_as]
    basket = await new_basket(mall, task_timeout=timedelta(seconds=1))
    await basket.add(add("apple", 1))
    held = mall.fakes.block("apply_basket_event", lambda call: call.arg.name == event_name)
    closing = asyncio.ensure_future(close(basket.handle))
    await held.wait_entered()

    conflict = f"the basket is {closed_as}"
    await asyncio.gather(
        refused(basket.add(add("bread", 1)), ErrorKind.CONFLICT, conflict),
        refused(
            basket.handle.execute_update(BasketWorkflow.remove_item, RemoveItem(product_id="apple", quantity=1)),
            ErrorKind.CONFLICT,
            conflict,
        ),
        refused(
            basket.handle.execute_update(BasketWorkflow.checkout, Checkout(payment_id="p")),
            ErrorKind.CONFLICT,
            conflict,
        ),
        refused(basket.handle.execute_update(BasketWorkflow.cancel), ErrorKind.CONFLICT, conflict),
    )
    held.release()

    closed = await closing
    assert isinstance(closed, Basket)
    # Waited for with the clock held: the order a checkout starts waits for its bot, and a free clock would
    # skip to its 10-year run limit, a timeout after which the test server never frees its clock.
    with mall.env.auto_time_skipping_disabled():
        assert await basket.handle.result() == closed
    assert [(i.product_id, i.quantity) for i in closed.items] == [("apple", 1)]
    assert basket.events() == [(STARTED, 1), (ADDED, 2), (event_name, 3)]


async def test_a_command_on_an_ended_basket_workflow_is_refused_and_the_query_still_answers_its_state(
    mall: Mall,
) -> None:
    basket = await new_basket(mall)
    cancelled = await basket.handle.execute_update(BasketWorkflow.cancel)
    await basket.handle.result()

    with pytest.raises(RPCError) as caught:
        await basket.add(add("apple", 1))

    assert caught.value.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION)
    assert await basket.state() == cancelled
    assert basket.events() == [(STARTED, 1), (CANCELLED, 2)]


# ---- expiry and continue-as-new ------------------------------------------------------------------------


async def test_an_untouched_basket_is_cancelled_by_its_durable_timer_after_its_time_to_live(mall: Mall) -> None:
    basket = await new_basket(mall, ttl_seconds=TTL)
    await basket.add(add("apple", 1))

    expired = await basket.handle.result()  # the server skips time to the timer

    assert expired is not None
    assert expired.status is BasketStatus.CANCELLED
    assert basket.events() == [(STARTED, 1), (ADDED, 2), (CANCELLED, 3)]
    added, cancelled = basket.payloads()[1:]
    assert cancelled.occurred_at - added.occurred_at >= timedelta(seconds=TTL)


async def test_touching_a_basket_restarts_its_expiry_timer(mall: Mall) -> None:
    basket = await new_basket(mall, ttl_seconds=TTL)
    await mall.env.sleep(TTL - 600)
    await basket.add(add("apple", 1))

    await mall.env.sleep(1200)  # past the first deadline, before the restarted one
    still = await basket.state()
    assert still is not None
    assert still.status is BasketStatus.OPEN
    assert basket.events() == [(STARTED, 1), (ADDED, 2)]

    expired = await basket.handle.result()
    assert expired is not None
    assert expired.status is BasketStatus.CANCELLED
    assert basket.events() == [(STARTED, 1), (ADDED, 2), (CANCELLED, 3)]
    started, added, cancelled = basket.payloads()
    assert cancelled.occurred_at - added.occurred_at >= timedelta(seconds=TTL)
    assert cancelled.occurred_at - started.occurred_at >= timedelta(seconds=2 * TTL - 600)


async def test_a_basket_continues_as_new_after_its_event_limit_keeping_its_items_and_event_numbers(
    mall: Mall,
) -> None:
    basket = await new_basket(mall, continue_as_new_after=2)
    await basket.add(add("apple", 1))  # the second event of the first run

    first_run = mall.client.get_workflow_handle(basket.workflow_id, run_id=basket.first_run_id)
    assert (await first_run.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW
    after = await basket.add(add("bread", 2))
    latest = await mall.client.get_workflow_handle(basket.workflow_id).describe()

    assert latest.run_id != basket.first_run_id
    assert latest.status == WorkflowExecutionStatus.RUNNING
    assert [(i.product_id, i.quantity) for i in after.items] == [("apple", 1), ("bread", 2)]
    assert basket.events() == [(STARTED, 1), (ADDED, 2), (ADDED, 3)]
    assert mall.fakes.commands(basket.workflow_id) == ["authorize_customer"]
    cancelled = await basket.handle.execute_update(BasketWorkflow.cancel)
    assert cancelled.status is BasketStatus.CANCELLED
    assert basket.events()[-1] == (CANCELLED, 4)


async def test_an_expiry_that_loses_the_race_to_an_accepted_checkout_leaves_the_basket_checked_out(
    real_time_mall: Mall,
) -> None:
    mall = real_time_mall
    # The second add holds the basket's lock while its event is delivered (held here); the checkout is
    # accepted meanwhile and queues for the lock; then the basket's time to live runs out, so the expiry
    # queues behind the checkout and finds the basket already checked out.
    basket = await new_basket(mall, ttl_seconds=SHORT_TTL, task_timeout=timedelta(seconds=1))
    await basket.add(add("apple", 1))
    held = mall.fakes.block(
        "apply_basket_event", lambda call: call.arg.name == ADDED and len(call.arg.basket.items) == 2
    )
    adding = asyncio.ensure_future(basket.add(add("bread", 1)))
    await held.wait_entered()
    checkout = await basket.handle.start_update(
        BasketWorkflow.checkout, Checkout(payment_id="p"), wait_for_stage=WorkflowUpdateStage.ACCEPTED
    )
    # The expiry timer fires while the lock is held. (Real seconds on a real dev server: the time-skipping
    # server does not skip while a workflow task is busy with a local activity.)
    await asyncio.sleep(SHORT_TTL + 1)
    held.release()

    await adding
    checked_out = await checkout.result()
    assert checked_out.status is BasketStatus.CHECKED_OUT
    assert await basket.handle.result() == checked_out
    assert basket.events() == [(STARTED, 1), (ADDED, 2), (ADDED, 3), (CHECKED_OUT, 4)]
