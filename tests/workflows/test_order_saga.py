"""OrderWorkflow on the time-skipping server: the create-order saga (every step's business failure and its
compensations, transient failures, cancel races), fulfilment, search attributes and queries.

Every activity is a same-named fake (``fakes.FakeActivities``) served on the real service's task queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.customers import model as customer_rules
from domain.customers.model import Customer
from domain.depot import model as depot_rules
from domain.depot.model import DepotProduct, DepotStore, ShoppingList, ShoppingListStatus, Wanted
from domain.ordering.events import OrderEvent
from domain.ordering.model import Order, OrderItem, OrderStatus
from domain.payments import model as payment_rules
from domain.payments.model import Payment, PaymentStatus
from domain.shared.errors import DomainError, ErrorKind
from tests.workflows.fakes import Gate, Mall, new_id, running_mall
from workflows.customers.messages import AuthorizeCustomer
from workflows.depot.messages import CreateShoppingList, ShoppingListRef
from workflows.ordering.messages import (
    ORDER,
    InvoicePaid,
    OrderWorkflowInput,
    PriceItems,
    RequestedItem,
    ShoppingListCancelled,
    ShoppingListCompleted,
    order_workflow_id,
)
from workflows.ordering.messages import TASK_QUEUE as ORDERING_QUEUE
from workflows.ordering.order_workflow import OrderWorkflow
from workflows.payments.messages import CreateInvoice, ReleasePayment, ReservePayment
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES
from workflows.shared.activity_options import LOCAL_COMMAND_RETRY

FORWARD = ["authorize_customer", "create_shopping_list", "confirm_payment", "initiate_shopping"]
CUSTOMER = "customer-1"
PAYMENT = "payment-1"
CREATED = "ordering.OrderCreated"
APPROVED = "ordering.OrderApproved"
REJECTED = "ordering.OrderRejected"
READIED = "ordering.OrderReadied"
COMPLETED = "ordering.OrderCompleted"
CANCELLED = "ordering.OrderCancelled"


def item(product_id: str, store_id: str, price: str, quantity: int) -> OrderItem:
    return OrderItem(
        product_id=product_id,
        store_id=store_id,
        store_name=f"Store {store_id}",
        product_name=f"Product {product_id}",
        price=Decimal(price),
        quantity=quantity,
    )


ITEMS = (item("apple", "store-b", "2.50", 2), item("bread", "store-a", "10.00", 1))
TOTAL = Decimal("15.00")


def refusal(rule: Callable[[], object]) -> DomainError:
    """The error the real domain rule raises, so the fakes fail exactly as the real activities would."""
    try:
        rule()
    except DomainError as err:
        return err
    raise AssertionError("the rule accepted the command")


def authorized(**changes: Any) -> Payment:
    return Payment(id=PAYMENT, customer_id=CUSTOMER, amount=Decimal("20.00")).model_copy(update=changes)


def reserving(payment: Payment | None) -> Callable[[], object]:
    return lambda: payment_rules.reserve_payment(payment, PAYMENT, CUSTOMER, "this-order", TOTAL)


APPLE_OF_STORE_B = DepotProduct(id="apple", store_id="store-b", name="Apple")

BUSINESS_FAILURES = [
    pytest.param(
        "authorize_customer",
        refusal(lambda: customer_rules.authorize_customer(None, CUSTOMER)),
        [],
        id="customer unknown",
    ),
    pytest.param(
        "authorize_customer",
        refusal(
            lambda: customer_rules.authorize_customer(
                Customer(id=CUSTOMER, name="Ada", sms_number="+15551234567", enabled=False), CUSTOMER
            )
        ),
        [],
        id="customer disabled",
    ),
    pytest.param(
        "create_shopping_list",
        refusal(
            lambda: depot_rules.create_shopping_list(
                "l", "o", [Wanted(product_id="apple", store_id="store-b", quantity=1)], {}, {}
            )
        ),
        ["cancel_shopping_list"],
        id="unknown product",
    ),
    pytest.param(
        "create_shopping_list",
        refusal(
            lambda: depot_rules.create_shopping_list(
                "l",
                "o",
                [Wanted(product_id="apple", store_id="store-b", quantity=1)],
                {"store-a": DepotStore(id="store-a", name="A", location="1st floor", participating=True)},
                {"apple": APPLE_OF_STORE_B},
            )
        ),
        ["cancel_shopping_list"],
        id="unknown store",
    ),
    pytest.param(
        "create_shopping_list",
        refusal(
            lambda: depot_rules.create_shopping_list(
                "l",
                "o",
                [Wanted(product_id="apple", store_id="store-b", quantity=1)],
                {"store-b": DepotStore(id="store-b", name="B", location="2nd floor", participating=False)},
                {"apple": APPLE_OF_STORE_B},
            )
        ),
        ["cancel_shopping_list"],
        id="store not participating",
    ),
    pytest.param(
        "confirm_payment",
        refusal(reserving(None)),
        ["release_payment", "cancel_shopping_list"],
        id="payment unknown",
    ),
    pytest.param(
        "confirm_payment",
        refusal(reserving(authorized(customer_id="someone-else"))),
        ["release_payment", "cancel_shopping_list"],
        id="payment foreign",
    ),
    pytest.param(
        "confirm_payment",
        refusal(reserving(authorized(amount=Decimal("14.99")))),
        ["release_payment", "cancel_shopping_list"],
        id="payment short",
    ),
    pytest.param(
        "confirm_payment",
        refusal(reserving(authorized(status=PaymentStatus.EXPIRED))),
        ["release_payment", "cancel_shopping_list"],
        id="payment expired",
    ),
    pytest.param(
        "confirm_payment",
        refusal(reserving(authorized(status=PaymentStatus.RESERVED, order_id="another-order"))),
        ["release_payment", "cancel_shopping_list"],
        id="payment already used",
    ),
    pytest.param(
        "initiate_shopping",
        refusal(
            lambda: depot_rules.initiate(
                ShoppingList(id="l", order_id="o", stops=(), status=ShoppingListStatus.CANCELLED)
            )
        ),
        ["release_payment", "cancel_shopping_list"],
        id="shopping list no longer pending",
    ),
]


OrderHandle = WorkflowHandle[OrderWorkflow, Order]


@dataclass
class Placed:
    order_id: str
    handle: OrderHandle

    @property
    def workflow_id(self) -> str:
        return order_workflow_id(self.order_id)


@pytest.fixture
async def mall(time_skipping_env: WorkflowEnvironment) -> AsyncIterator[Mall]:
    async with running_mall(time_skipping_env) as running:
        yield running


async def place_order(
    mall: Mall,
    *,
    items: tuple[OrderItem, ...] | None = ITEMS,
    requested: list[RequestedItem] | None = None,
    basket_id: str | None = None,
    payment_id: str = PAYMENT,
) -> Placed:
    order_id = new_id()
    handle = await mall.client.start_workflow(
        OrderWorkflow.run,
        OrderWorkflowInput(
            order_id=order_id,
            customer_id=CUSTOMER,
            payment_id=payment_id,
            items=None if items is None else list(items),
            requested=requested or [],
            basket_id=basket_id,
        ),
        id=mall.track(order_workflow_id(order_id)),
        task_queue="ordering",
    )
    return Placed(order_id, handle)


def everywhere(*events: tuple[str, int]) -> dict[str, list[tuple[str, int]]]:
    """Each subscriber's deliveries: every event it needs (notifications: no approval), in order."""
    return {queue: [event for event in events if ORDER.receives(queue, event[0])] for queue in ORDER.subscribers}


# The saga's commands to other entities (workflows.shared.activity_options.run_command) and the queue each falls
# back to after its quick local attempts.
COMMANDS = {
    "authorize_customer": "customers",
    "create_shopping_list": "depot",
    "confirm_payment": "payments",
    "initiate_shopping": "depot",
    "create_invoice": "payments",
    "release_payment": "payments",
    "cancel_shopping_list": "depot",
}


def hold(mall: Mall, name: str) -> Gate:
    """Hold a saga activity in flight. A command is held on its fallback, on its service's own queue, after its
    quick local attempts failed (as when that service cannot be reached): a local activity holds the order's
    workflow task until it ends, so a cancel sent meanwhile would be accepted only at the task's heartbeat (8 s);
    on the fallback the task is free, as it is for every other step (test_a_cancel_during_a_local_command_…)."""
    if name in COMMANDS:
        mall.fakes.fail_transiently(name, LOCAL_COMMAND_RETRY.maximum_attempts)
        return mall.fakes.block(name, lambda call: call.queue != ORDERING_QUEUE)
    return mall.fakes.block(name)


def steps(mall: Mall, placed: Any) -> list[str]:
    """The activities this order ran, each step once however many attempts it took."""
    names = mall.fakes.commands(placed.workflow_id)
    return [name for i, name in enumerate(names) if i == 0 or names[i - 1] != name]


def attempts_of(mall: Mall, placed: Any, name: str) -> list[tuple[str, int]]:
    """Each attempt of one activity by this order: the queue it ran on (the order's own for a local one) and its
    attempt number there."""
    return [(c.queue, c.attempt) for c in mall.fakes.calls_by(placed.workflow_id) if c.name == name]


def delivered(mall: Mall, order_id: str) -> dict[str, list[tuple[str, int]]]:
    return {queue: mall.fakes.event_log(order_id, queue) for queue in ORDER.subscribers}


async def search_attributes(handle: OrderHandle) -> dict[str, Any]:
    """Our custom attributes only (Temporal adds its own, e.g. TemporalChangeVersion for patches)."""
    ours = {key.name for key in ALL_SEARCH_ATTRIBUTES}
    described = await handle.describe()
    return {pair.key.name: pair.value for pair in described.typed_search_attributes if pair.key.name in ours}


def args_of(mall: Mall, placed: Placed, name: str) -> list[Any]:
    return [c.arg for c in mall.fakes.calls_by(placed.workflow_id) if c.name == name]


async def reached(mall: Mall, placed: Placed, event_name: str) -> None:
    """Until the event was delivered to every subscriber of orders that needs it."""
    await mall.fakes.wait_for_event(placed.order_id, event_name, ORDER.receivers(event_name))


async def approved(mall: Mall) -> Placed:
    placed = await place_order(mall)
    await reached(mall, placed, APPROVED)
    return placed


async def step_shows(placed: Placed, details: str) -> None:
    """Until the saga-step query shows ``details`` (a query is answered between workflow tasks, so the
    task that set them, with its search-attribute upsert, has completed)."""
    async with asyncio.timeout(30):
        while True:
            if await placed.handle.query(OrderWorkflow.get_saga_step) == details:
                return
            await asyncio.sleep(0.02)


async def conflict_of(update: Any) -> ApplicationError:
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await update
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError), f"expected an ApplicationError, got {cause!r}"
    assert cause.type == ErrorKind.CONFLICT.value
    assert cause.non_retryable
    return cause


# ---- the happy path ------------------------------------------------------------------------------


async def test_an_order_whose_steps_all_succeed_runs_the_four_steps_in_order_and_is_approved(mall: Mall) -> None:
    placed = await approved(mall)

    assert steps(mall, placed) == FORWARD
    assert args_of(mall, placed, "authorize_customer") == [AuthorizeCustomer(customer_id=CUSTOMER)]
    assert args_of(mall, placed, "create_shopping_list") == [
        CreateShoppingList(
            order_id=placed.order_id,
            items=[
                Wanted(product_id="apple", store_id="store-b", quantity=2),
                Wanted(product_id="bread", store_id="store-a", quantity=1),
            ],
        )
    ]
    assert args_of(mall, placed, "confirm_payment") == [
        ReservePayment(payment_id=PAYMENT, customer_id=CUSTOMER, order_id=placed.order_id, total=TOTAL)
    ]
    assert args_of(mall, placed, "initiate_shopping") == [ShoppingListRef(list_id=placed.order_id)]
    queues = {c.name: c.queue for c in mall.fakes.calls_by(placed.workflow_id) if c.name in FORWARD}
    # Step 1 (a query of the customer's workflow), 2, 3 and 4 (commands to other entities: the list reads depot's
    # read model itself) need only a client: the order's own worker runs them as local activities
    # (workflows.shared.activity_options.run_command).
    assert queues == {
        "authorize_customer": "ordering",
        "create_shopping_list": "ordering",
        "confirm_payment": "ordering",
        "initiate_shopping": "ordering",
    }
    assert delivered(mall, placed.order_id) == everywhere((CREATED, 1), (APPROVED, 2))
    order = await placed.handle.query(OrderWorkflow.get_order)
    assert order.status is OrderStatus.APPROVED
    assert order.shopping_id == placed.order_id
    assert order.total == TOTAL
    approval: OrderEvent = mall.fakes.events(placed.order_id, "search")[-1]
    assert approval.order.status is OrderStatus.APPROVED
    assert APPROVED not in [name for name, _ in mall.fakes.event_log(placed.order_id, "notifications")]  # no SMS


async def test_search_attributes_name_the_order_and_follow_its_status_from_pending_to_completed(mall: Mall) -> None:
    authorizing = hold(mall, "authorize_customer")
    invoicing = hold(mall, "create_invoice")
    basket_id = new_id()
    placed = await place_order(mall, basket_id=basket_id)

    await authorizing.wait_entered()
    assert await search_attributes(placed.handle) == {
        "OrderId": placed.order_id,
        "CustomerId": CUSTOMER,
        "BasketId": basket_id,
        "StoreIds": ["store-a", "store-b"],
        "OrderStatus": "pending",
    }
    authorizing.release()
    await reached(mall, placed, APPROVED)
    await placed.handle.signal(OrderWorkflow.shopping_list_completed, ShoppingListCompleted(shopping_id="x"))
    await invoicing.wait_entered()  # the approval's task (with its upsert) completed before the signal's
    assert (await search_attributes(placed.handle))["OrderStatus"] == "approved"
    invoicing.release()
    await step_shows(placed, "waiting for the invoice to be paid")
    assert (await search_attributes(placed.handle))["OrderStatus"] == "ready"
    await placed.handle.signal(OrderWorkflow.invoice_paid, InvoicePaid(invoice_id=placed.order_id))
    await placed.handle.result()
    assert (await search_attributes(placed.handle))["OrderStatus"] == "completed"


async def test_a_completed_shopping_list_opens_the_invoice_and_a_paid_invoice_completes_the_order(
    mall: Mall,
) -> None:
    placed = await approved(mall)

    await placed.handle.signal(
        OrderWorkflow.shopping_list_completed, ShoppingListCompleted(shopping_id=placed.order_id)
    )
    await reached(mall, placed, READIED)
    ready = await placed.handle.query(OrderWorkflow.get_order)
    assert ready.status is OrderStatus.READY
    assert ready.invoice_id == placed.order_id
    assert args_of(mall, placed, "create_invoice") == [
        CreateInvoice(
            invoice_id=placed.order_id,
            order_id=placed.order_id,
            customer_id=CUSTOMER,
            payment_id=PAYMENT,
            amount=TOTAL,
        )
    ]

    await placed.handle.signal(OrderWorkflow.invoice_paid, InvoicePaid(invoice_id=placed.order_id))
    order = await placed.handle.result()

    assert order.status is OrderStatus.COMPLETED
    assert steps(mall, placed) == [*FORWARD, "create_invoice"]
    assert delivered(mall, placed.order_id) == everywhere((CREATED, 1), (APPROVED, 2), (READIED, 3), (COMPLETED, 4))


# ---- business failures and compensations ---------------------------------------------------------


@pytest.mark.parametrize(("step", "error", "compensations"), BUSINESS_FAILURES)
async def test_a_business_failure_compensates_the_registered_steps_in_reverse_and_rejects_the_order(
    mall: Mall, step: str, error: DomainError, compensations: list[str]
) -> None:
    mall.fakes.fail(step, error)
    placed = await place_order(mall)

    order = await placed.handle.result()

    forward = FORWARD[: FORWARD.index(step) + 1]
    assert steps(mall, placed) == forward + compensations
    assert order.status is OrderStatus.REJECTED
    assert order.reason == error.message
    assert delivered(mall, placed.order_id) == everywhere((CREATED, 1), (REJECTED, 2))
    rejection: OrderEvent = mall.fakes.events(placed.order_id, "notifications")[-1]
    assert rejection.order.reason == error.message
    assert (await search_attributes(placed.handle))["OrderStatus"] == "rejected"
    if "cancel_shopping_list" in compensations:
        assert args_of(mall, placed, "cancel_shopping_list") == [ShoppingListRef(list_id=placed.order_id)]
    # The list step 2 opened (then cancelled) stays named on the rejected order; none if step 2 never opened one
    # (a release is registered only once step 2 succeeded).
    assert order.shopping_id == (placed.order_id if "release_payment" in compensations else None)
    if "release_payment" in compensations:
        assert args_of(mall, placed, "release_payment") == [
            ReleasePayment(payment_id=PAYMENT, customer_id=CUSTOMER, order_id=placed.order_id)
        ]


async def test_a_compensation_failing_twice_is_retried_until_it_succeeds_and_the_order_still_ends_rejected(
    mall: Mall,
) -> None:
    reason = refusal(reserving(authorized(amount=Decimal("1.00"))))
    mall.fakes.fail("confirm_payment", reason)
    mall.fakes.fail_transiently("release_payment", 2)
    placed = await place_order(mall)

    order = await placed.handle.result()

    assert mall.fakes.commands(placed.workflow_id) == [
        "authorize_customer",
        "create_shopping_list",
        "confirm_payment",
        "release_payment",
        "release_payment",
        "release_payment",
        "cancel_shopping_list",
    ]
    # A command: two quick attempts in the order's own worker, then on payments' queue until it succeeds.
    assert attempts_of(mall, placed, "release_payment") == [("ordering", 1), ("ordering", 2), ("payments", 1)]
    assert order.status is OrderStatus.REJECTED
    assert order.reason == reason.message
    assert delivered(mall, placed.order_id) == everywhere((CREATED, 1), (REJECTED, 2))


@pytest.mark.parametrize("step", FORWARD)
async def test_a_step_failing_transiently_twice_is_retried_without_compensation_and_the_order_is_approved(
    mall: Mall, step: str
) -> None:
    mall.fakes.fail_transiently(step, 2)

    placed = await approved(mall)

    expected = [name for name in FORWARD for _ in range(3 if name == step else 1)]
    assert mall.fakes.commands(placed.workflow_id) == expected
    if step in COMMANDS:  # two quick local attempts, then the activity on the entity's own service's queue
        assert attempts_of(mall, placed, step) == [("ordering", 1), ("ordering", 2), (COMMANDS[step], 1)]
    else:
        assert [attempt for _, attempt in attempts_of(mall, placed, step)] == [1, 2, 3]
    assert delivered(mall, placed.order_id) == everywhere((CREATED, 1), (APPROVED, 2))


# ---- a direct order (no basket) -------------------------------------------------------------------


async def test_a_direct_order_is_priced_by_price_items_before_the_saga_and_approved(mall: Mall) -> None:
    mall.fakes.catalog = {i.product_id: i for i in ITEMS}
    requested = [RequestedItem(product_id="apple", quantity=3), RequestedItem(product_id="bread", quantity=1)]

    placed = await place_order(mall, items=None, requested=requested)
    await reached(mall, placed, APPROVED)

    assert steps(mall, placed) == ["price_items", *FORWARD]
    pricing = [c for c in mall.fakes.calls_by(placed.workflow_id) if c.name == "price_items"]
    assert [(c.queue, c.arg) for c in pricing] == [("baskets", PriceItems(items=requested))]
    created: OrderEvent = mall.fakes.events(placed.order_id, "search")[0]
    assert created.name == CREATED
    assert created.order.items == (item("apple", "store-b", "2.50", 3), item("bread", "store-a", "10.00", 1))
    assert created.order.total == Decimal("17.50")
    confirm = args_of(mall, placed, "confirm_payment")
    assert [c.total for c in confirm] == [Decimal("17.50")]
    assert (await search_attributes(placed.handle))["StoreIds"] == ["store-a", "store-b"]


async def test_a_direct_order_with_an_unknown_product_is_rejected_without_running_the_saga(mall: Mall) -> None:
    mall.fakes.catalog = {i.product_id: i for i in ITEMS}
    requested = [RequestedItem(product_id="apple", quantity=1), RequestedItem(product_id="ghost", quantity=1)]

    placed = await place_order(mall, items=None, requested=requested)
    order = await placed.handle.result()

    assert steps(mall, placed) == ["price_items"]
    assert order.status is OrderStatus.REJECTED
    assert order.reason == "the product ghost does not exist"
    assert order.items == ()
    assert delivered(mall, placed.order_id) == everywhere((CREATED, 1), (REJECTED, 2))


# ---- cancel ----------------------------------------------------------------------------------------

# A cancel accepted while step k runs lets step k finish; the next step's cancellation check stops the
# saga. The compensation of step k+1 is registered before that check, so it runs too (harmless: every
# compensation treats "never created / never reserved" as nothing to undo). Once step 4 has made the list
# available a bot may be completing it, so the list decides first (cancelled), then the payment is released.
CANCEL_RACES = [
    pytest.param("authorize_customer", ["cancel_shopping_list"], id="step 1"),
    pytest.param("create_shopping_list", ["release_payment", "cancel_shopping_list"], id="step 2"),
    pytest.param("confirm_payment", ["release_payment", "cancel_shopping_list"], id="step 3"),
    pytest.param("initiate_shopping", ["cancel_shopping_list", "release_payment"], id="step 4"),
]


@pytest.mark.parametrize(("step", "compensations"), CANCEL_RACES)
async def test_a_cancel_racing_a_saga_step_lets_the_step_finish_runs_no_later_step_and_cancels_the_order(
    mall: Mall, step: str, compensations: list[str]
) -> None:
    gate = hold(mall, step)
    placed = await place_order(mall)
    await gate.wait_entered()

    update = await placed.handle.start_update(OrderWorkflow.cancel, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
    gate.release()
    answered = await update.result()

    assert answered.status is OrderStatus.CANCELLED
    assert answered.id == placed.order_id
    order = await placed.handle.result()
    assert steps(mall, placed) == FORWARD[: FORWARD.index(step) + 1] + compensations
    assert order.status is OrderStatus.CANCELLED
    assert order.shopping_id == (placed.order_id if "release_payment" in compensations else None)
    assert delivered(mall, placed.order_id) == everywhere((CREATED, 1), (CANCELLED, 2))
    assert (await search_attributes(placed.handle))["OrderStatus"] == "cancelled"


async def test_a_cancel_during_a_local_command_is_accepted_once_it_ends_and_cancels_the_order(mall: Mall) -> None:
    """Step 3 held in the order's own worker (a local activity): the workflow task is held with it, so the cancel is
    accepted only at the task's heartbeat; the command ends (or, held past its 10 s, runs again: it is safe to
    repeat), no later step runs, and the order is cancelled."""
    gate = mall.fakes.block("confirm_payment", lambda call: call.queue == ORDERING_QUEUE)
    placed = await place_order(mall)
    await gate.wait_entered()

    update = await placed.handle.start_update(OrderWorkflow.cancel, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
    gate.release()

    assert (await update.result()).status is OrderStatus.CANCELLED
    assert (await placed.handle.result()).status is OrderStatus.CANCELLED
    assert steps(mall, placed) == [*FORWARD[:3], "release_payment", "cancel_shopping_list"]
    assert {queue for queue, _ in attempts_of(mall, placed, "confirm_payment")} == {ORDERING_QUEUE}


async def test_a_cancel_racing_the_pricing_of_a_direct_order_cancels_it_before_any_saga_step(mall: Mall) -> None:
    mall.fakes.catalog = {i.product_id: i for i in ITEMS}
    gate = mall.fakes.block("price_items")
    placed = await place_order(mall, items=None, requested=[RequestedItem(product_id="apple", quantity=1)])
    await gate.wait_entered()

    update = await placed.handle.start_update(OrderWorkflow.cancel, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
    gate.release()

    assert (await update.result()).status is OrderStatus.CANCELLED
    assert (await placed.handle.result()).status is OrderStatus.CANCELLED
    assert steps(mall, placed) == ["price_items"]
    assert delivered(mall, placed.order_id) == everywhere((CREATED, 1), (CANCELLED, 2))


async def test_a_cancel_racing_a_step_that_fails_for_business_answers_conflict_and_the_order_stays_rejected(
    mall: Mall,
) -> None:
    reason = refusal(reserving(authorized(customer_id="someone-else")))
    mall.fakes.fail("confirm_payment", reason)
    gate = hold(mall, "confirm_payment")
    placed = await place_order(mall)
    await gate.wait_entered()

    update = await placed.handle.start_update(OrderWorkflow.cancel, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
    gate.release()

    conflict = await conflict_of(update.result())
    assert conflict.message == "the order was rejected before it could be cancelled"
    order = await placed.handle.result()
    assert order.status is OrderStatus.REJECTED
    assert order.reason == reason.message
    assert steps(mall, placed) == [*FORWARD[:3], "release_payment", "cancel_shopping_list"]
    assert delivered(mall, placed.order_id) == everywhere((CREATED, 1), (REJECTED, 2))


async def test_cancelling_an_approved_order_withdraws_the_shopping_list_first_then_releases_the_payment(
    mall: Mall,
) -> None:
    placed = await approved(mall)

    answered = await placed.handle.execute_update(OrderWorkflow.cancel)

    assert answered.status is OrderStatus.CANCELLED
    order = await placed.handle.result()
    assert order.status is OrderStatus.CANCELLED
    # No invoice exists before the list is completed, and a completed list can no longer be cancelled.
    assert steps(mall, placed) == [*FORWARD, "cancel_shopping_list", "release_payment"]
    assert args_of(mall, placed, "release_payment") == [
        ReleasePayment(payment_id=PAYMENT, customer_id=CUSTOMER, order_id=placed.order_id)
    ]
    assert delivered(mall, placed.order_id) == everywhere((CREATED, 1), (APPROVED, 2), (CANCELLED, 3))


async def test_once_the_list_is_completed_a_cancel_is_refused_and_the_order_goes_on_to_be_paid(mall: Mall) -> None:
    invoicing = hold(mall, "create_invoice")
    placed = await approved(mall)
    await placed.handle.signal(OrderWorkflow.shopping_list_completed, ShoppingListCompleted(shopping_id="x"))
    await invoicing.wait_entered()  # still approved, its invoice being opened

    conflict = await conflict_of(placed.handle.execute_update(OrderWorkflow.cancel))

    assert conflict.message == "the shopping list is completed; the order can no longer be cancelled"
    invoicing.release()
    await step_shows(placed, "waiting for the invoice to be paid")
    await placed.handle.signal(OrderWorkflow.invoice_paid, InvoicePaid(invoice_id=placed.order_id))
    order = await placed.handle.result()
    assert order.status is OrderStatus.COMPLETED
    assert steps(mall, placed) == [*FORWARD, "create_invoice"]


async def test_a_cancel_that_loses_to_the_bots_at_the_shopping_list_is_refused_and_the_order_is_invoiced(
    mall: Mall,
) -> None:
    # The list answers "completed" to the order's cancel: a bot finished it first (its signal follows).
    withdrawing = hold(mall, "cancel_shopping_list")
    placed = await approved(mall)
    update = await placed.handle.start_update(OrderWorkflow.cancel, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
    await withdrawing.wait_entered()
    mall.fakes.shopping_lists[placed.order_id] = ShoppingListStatus.COMPLETED
    await placed.handle.signal(OrderWorkflow.shopping_list_completed, ShoppingListCompleted(shopping_id="x"))
    withdrawing.release()

    conflict = await conflict_of(update.result())

    assert conflict.message == "the shopping list was completed before the order could be cancelled"
    await reached(mall, placed, READIED)
    later = await conflict_of(placed.handle.execute_update(OrderWorkflow.cancel))
    assert later.message == "the order is ready and can no longer be cancelled"
    assert steps(mall, placed) == [*FORWARD, "cancel_shopping_list", "create_invoice"]
    assert delivered(mall, placed.order_id)["ordering"] == [(CREATED, 1), (APPROVED, 2), (READIED, 3)]


async def test_a_shopping_list_cancelled_by_an_operator_cancels_the_approved_order_and_releases_its_payment(
    mall: Mall,
) -> None:
    placed = await approved(mall)

    await placed.handle.signal(OrderWorkflow.shopping_list_cancelled, ShoppingListCancelled(shopping_id="x"))
    order = await placed.handle.result()

    assert order.status is OrderStatus.CANCELLED
    assert steps(mall, placed) == [*FORWARD, "cancel_shopping_list", "release_payment"]
    assert delivered(mall, placed.order_id) == everywhere((CREATED, 1), (APPROVED, 2), (CANCELLED, 3))


CANCELLED_LIST = ShoppingListStatus.CANCELLED


async def test_a_list_cancelled_by_an_operator_during_the_saga_ends_the_order_cancelled_not_rejected(
    mall: Mall,
) -> None:
    mall.fakes.fail(
        "initiate_shopping",
        refusal(
            lambda: depot_rules.initiate(
                ShoppingList(id="l", order_id="o", stops=(), status=ShoppingListStatus.CANCELLED)
            )
        ),
    )
    confirming = hold(mall, "confirm_payment")
    placed = await place_order(mall)
    await confirming.wait_entered()
    await placed.handle.signal(OrderWorkflow.shopping_list_cancelled, ShoppingListCancelled(shopping_id="x"))
    confirming.release()

    order = await placed.handle.result()

    assert order.status is OrderStatus.CANCELLED
    assert steps(mall, placed) == [*FORWARD, "release_payment", "cancel_shopping_list"]


async def test_the_cancel_answers_once_the_ordering_read_model_has_it_while_search_is_still_behind(
    mall: Mall,
) -> None:
    held = mall.fakes.block_event("apply_order_event", CANCELLED, "search")
    placed = await approved(mall)

    answered = await placed.handle.execute_update(OrderWorkflow.cancel)

    assert answered.status is OrderStatus.CANCELLED
    assert mall.fakes.applied(placed.order_id, CANCELLED, "ordering")
    assert not mall.fakes.applied(placed.order_id, CANCELLED, "search")
    held.release()
    await placed.handle.result()  # the run ends only once every subscriber has it
    assert all(mall.fakes.applied(placed.order_id, CANCELLED, queue) for queue in ORDER.subscribers)


async def _hold_in_ready(mall: Mall, placed: Placed) -> None:
    await placed.handle.signal(OrderWorkflow.shopping_list_completed, ShoppingListCompleted(shopping_id="x"))
    await reached(mall, placed, READIED)


@pytest.mark.parametrize("status", ["ready", "completed", "rejected"])
async def test_cancel_is_refused_by_its_validator_once_the_order_is_ready_completed_or_rejected(
    mall: Mall, status: str
) -> None:
    # The final states are held open by holding their event's delivery: the workflow already has the
    # new state and is still running, so the cancel reaches the validator.
    if status == "ready":
        placed = await approved(mall)
        await _hold_in_ready(mall, placed)
        history = [(CREATED, 1), (APPROVED, 2), (READIED, 3)]
        held = None
    elif status == "completed":
        held = mall.fakes.block_event("apply_order_event", COMPLETED, "search")
        placed = await approved(mall)
        await _hold_in_ready(mall, placed)
        await placed.handle.signal(OrderWorkflow.invoice_paid, InvoicePaid(invoice_id=placed.order_id))
        history = [(CREATED, 1), (APPROVED, 2), (READIED, 3), (COMPLETED, 4)]
    else:
        held = mall.fakes.block_event("apply_order_event", REJECTED, "search")
        mall.fakes.fail("authorize_customer", refusal(lambda: customer_rules.authorize_customer(None, CUSTOMER)))
        placed = await place_order(mall)
        history = [(CREATED, 1), (REJECTED, 2)]
    if held is not None:
        await held.wait_entered()
    commands_before = mall.fakes.commands(placed.workflow_id)

    conflict = await conflict_of(placed.handle.execute_update(OrderWorkflow.cancel))

    assert conflict.message == f"the order is {status} and can no longer be cancelled"
    if held is not None:
        held.release()
        order = await placed.handle.result()
    else:
        order = await placed.handle.query(OrderWorkflow.get_order)
    assert order.status.value == status
    assert steps(mall, placed) == commands_before
    assert delivered(mall, placed.order_id) == everywhere(*history)


# ---- queries ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("step", "details"),
    [
        ("authorize_customer", "step 1/5: authorize customer"),
        ("create_shopping_list", "step 2/5: create shopping list"),
        ("confirm_payment", "step 3/5: confirm payment"),
        ("initiate_shopping", "step 4/5: initiate shopping"),
    ],
)
async def test_the_queries_show_the_pending_order_and_the_saga_step_in_flight(
    mall: Mall, step: str, details: str
) -> None:
    gate = hold(mall, step)
    placed = await place_order(mall)
    await gate.wait_entered()

    assert await placed.handle.query(OrderWorkflow.get_saga_step) == details
    order = await placed.handle.query(OrderWorkflow.get_order)
    assert order.status is OrderStatus.PENDING
    assert order.items == ITEMS
    assert order.total == TOTAL
    assert order.customer_id == CUSTOMER
    assert order.shopping_id is None
    gate.release()
    await reached(mall, placed, APPROVED)


async def test_the_saga_step_query_shows_the_compensation_in_flight_and_then_the_rejection(mall: Mall) -> None:
    reason = refusal(reserving(None))
    mall.fakes.fail("confirm_payment", reason)
    releasing = hold(mall, "release_payment")
    placed = await place_order(mall)
    await releasing.wait_entered()

    assert await placed.handle.query(OrderWorkflow.get_saga_step) == "compensating: release payment"
    assert (await placed.handle.query(OrderWorkflow.get_order)).status is OrderStatus.PENDING
    releasing.release()
    order = await placed.handle.result()

    assert await placed.handle.query(OrderWorkflow.get_saga_step) == f"rejected: {reason.message}"
    assert (await placed.handle.query(OrderWorkflow.get_order)) == order


async def test_the_saga_step_query_follows_fulfilment_to_completed(mall: Mall) -> None:
    invoicing = hold(mall, "create_invoice")
    placed = await approved(mall)
    await placed.handle.signal(OrderWorkflow.shopping_list_completed, ShoppingListCompleted(shopping_id="x"))
    await invoicing.wait_entered()

    assert await placed.handle.query(OrderWorkflow.get_saga_step) == "opening the invoice"
    invoicing.release()
    await reached(mall, placed, READIED)
    await step_shows(placed, "waiting for the invoice to be paid")
    await placed.handle.signal(OrderWorkflow.invoice_paid, InvoicePaid(invoice_id=placed.order_id))
    order = await placed.handle.result()

    assert await placed.handle.query(OrderWorkflow.get_saga_step) == "completed"
    assert order.status is OrderStatus.COMPLETED
