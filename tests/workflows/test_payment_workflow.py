"""PaymentWorkflow, InvoiceWorkflow and ShoppingListWorkflow on the time-skipping server, activities replaced
by same-named fakes; the order they signal is a stand-in workflow started as ``order:<id>``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from activities.depot.activities import ShoppingListCommands
from domain.customers import model as customer_rules
from domain.depot.model import DepotProduct, DepotStore, ListItem, ShoppingList, ShoppingListStatus, Stop, Wanted
from domain.payments.invoice import Invoice, InvoiceStatus
from domain.payments.model import Payment, PaymentStatus
from domain.shared.errors import ErrorKind, NotFound
from tests.workflows.fakes import Gate, Mall, ReceivedSignal, new_id, running_mall, start_stand_in_order
from workflows.customers.messages import AuthorizeCustomer
from workflows.depot.messages import (
    AssignBot,
    CreateShoppingList,
    DepotCatalog,
    ShoppingListWorkflowInput,
    shopping_list_workflow_id,
)
from workflows.depot.shopping_list_workflow import ShoppingListWorkflow
from workflows.payments.invoice_workflow import InvoiceWorkflow
from workflows.payments.messages import (
    AuthorizePayment,
    CapturePayment,
    InvoiceWorkflowInput,
    PaymentWorkflowInput,
    ReleasePayment,
    ReservePayment,
    invoice_workflow_id,
    payment_workflow_id,
)
from workflows.payments.payment_workflow import PaymentWorkflow

CUSTOMER = "customer-1"
ORDER = "order-1"
TTL = 3600.0
SHORT_TASKS = timedelta(seconds=1)  # lets commands in while a local-activity delivery is held

PaymentHandle = WorkflowHandle[PaymentWorkflow, Payment | None]
InvoiceHandle = WorkflowHandle[InvoiceWorkflow, Invoice | None]
ListHandle = WorkflowHandle[ShoppingListWorkflow, ShoppingList | None]


@pytest.fixture
async def mall(time_skipping_env: WorkflowEnvironment) -> AsyncIterator[Mall]:
    async with running_mall(time_skipping_env) as running:
        yield running


def application_error(err: BaseException | None) -> ApplicationError:
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


def hold(mall: Mall, projection: str, event_name: str) -> Gate:
    """Hold the delivery of one event to the entity's own service (a local activity)."""
    return mall.fakes.block(projection, lambda call: call.arg.name == event_name)


# ==== PaymentWorkflow =====================================================================================

AUTHORIZED = "payments.PaymentAuthorized"
RESERVED = "payments.PaymentReserved"
RELEASED = "payments.PaymentReleased"
CAPTURED = "payments.PaymentCaptured"
EXPIRED = "payments.PaymentExpired"


async def new_payment(
    mall: Mall,
    *,
    amount: str | None = "20",
    ttl_seconds: float = 30 * 86400.0,
    task_timeout: timedelta | None = None,
) -> tuple[str, PaymentHandle]:
    payment_id = new_id()
    handle = await mall.client.start_workflow(
        PaymentWorkflow.run,
        PaymentWorkflowInput(payment_id=payment_id, ttl_seconds=ttl_seconds),
        id=mall.track(payment_workflow_id(payment_id)),
        task_queue="payments",
        task_timeout=task_timeout,
    )
    if amount is not None:
        await handle.execute_update(
            PaymentWorkflow.authorize, AuthorizePayment(customer_id=CUSTOMER, amount=Decimal(amount))
        )
    return payment_id, handle


def payment_events(mall: Mall, payment_id: str) -> list[tuple[str, int]]:
    return mall.fakes.event_log(payment_id, "payments")


def reserve(
    payment_id: str, *, order_id: str = ORDER, customer_id: str = CUSTOMER, total: str = "15"
) -> ReservePayment:
    return ReservePayment(payment_id=payment_id, customer_id=customer_id, order_id=order_id, total=Decimal(total))


def release(payment_id: str, *, order_id: str = ORDER, customer_id: str = CUSTOMER) -> ReleasePayment:
    return ReleasePayment(payment_id=payment_id, customer_id=customer_id, order_id=order_id)


async def test_authorizing_a_payment_checks_the_customer_and_publishes_payment_authorized(mall: Mall) -> None:
    payment_id, handle = await new_payment(mall, amount=None)

    payment = await handle.execute_update(
        PaymentWorkflow.authorize, AuthorizePayment(customer_id=CUSTOMER, amount=Decimal("20"))
    )

    assert payment == Payment(id=payment_id, customer_id=CUSTOMER, amount=Decimal("20.00"))
    asked = [(c.queue, c.arg) for c in mall.fakes.calls_by(handle.id) if c.name == "authorize_customer"]
    assert asked == [("payments", AuthorizeCustomer(customer_id=CUSTOMER))]
    assert payment_events(mall, payment_id) == [(AUTHORIZED, 1)]
    again = await handle.execute_update(
        PaymentWorkflow.authorize, AuthorizePayment(customer_id=CUSTOMER, amount=Decimal("99"))
    )
    assert again == payment
    assert payment_events(mall, payment_id) == [(AUTHORIZED, 1)]


@pytest.mark.parametrize("amount", ["0", "-5"])
async def test_an_authorization_of_zero_or_less_is_refused_as_invalid_before_asking_customers(
    mall: Mall, amount: str
) -> None:
    payment_id, handle = await new_payment(mall, amount=None)

    await refused(
        handle.execute_update(
            PaymentWorkflow.authorize, AuthorizePayment(customer_id=CUSTOMER, amount=Decimal(amount))
        ),
        ErrorKind.INVALID,
        "the payment amount must be greater than zero",
    )

    assert mall.fakes.commands(handle.id) == []
    assert payment_events(mall, payment_id) == []
    assert await handle.query(PaymentWorkflow.get_payment) is None


async def test_an_authorization_for_an_unknown_customer_fails_and_the_payment_workflow_ends(mall: Mall) -> None:
    try:
        customer_rules.authorize_customer(None, CUSTOMER)
    except NotFound as err:
        mall.fakes.fail("authorize_customer", err)
    payment_id, handle = await new_payment(mall, amount=None)

    await refused(
        handle.execute_update(PaymentWorkflow.authorize, AuthorizePayment(customer_id=CUSTOMER, amount=Decimal("5"))),
        ErrorKind.NOT_FOUND,
        f"the customer {CUSTOMER} is not registered",
    )

    assert await handle.result() is None
    assert payment_events(mall, payment_id) == []


async def test_reserving_for_an_order_publishes_payment_reserved_and_repeating_it_is_idempotent(mall: Mall) -> None:
    payment_id, handle = await new_payment(mall)

    reserved = await handle.execute_update(PaymentWorkflow.reserve, reserve(payment_id))
    again = await handle.execute_update(PaymentWorkflow.reserve, reserve(payment_id))

    assert reserved.status is PaymentStatus.RESERVED
    assert reserved.order_id == ORDER
    assert again == reserved
    assert payment_events(mall, payment_id) == [(AUTHORIZED, 1), (RESERVED, 2)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"customer_id": "someone-else"}, "the payment {id} belongs to another customer", id="foreign"),
        pytest.param({"total": "20.01"}, "the payment of 20.00 does not cover the order total 20.01", id="short"),
        pytest.param({"order_id": "order-2"}, "the payment {id} is reserved by order order-1", id="used by another"),
    ],
)
async def test_a_reservation_the_rules_refuse_is_a_conflict_and_changes_nothing(
    mall: Mall, kwargs: dict[str, str], message: str
) -> None:
    payment_id, handle = await new_payment(mall)
    if kwargs.get("order_id") == "order-2":
        await handle.execute_update(PaymentWorkflow.reserve, reserve(payment_id))
    before = await handle.query(PaymentWorkflow.get_payment)
    events_before = payment_events(mall, payment_id)

    await refused(
        handle.execute_update(PaymentWorkflow.reserve, reserve(payment_id, **kwargs)),
        ErrorKind.CONFLICT,
        message.format(id=payment_id),
    )

    assert await handle.query(PaymentWorkflow.get_payment) == before
    assert payment_events(mall, payment_id) == events_before


async def test_reserving_a_payment_never_authorized_is_not_found(mall: Mall) -> None:
    payment_id, handle = await new_payment(mall, amount=None)

    await refused(
        handle.execute_update(PaymentWorkflow.reserve, reserve(payment_id)),
        ErrorKind.NOT_FOUND,
        f"the payment {payment_id} does not exist",
    )


async def test_releasing_the_reservation_of_this_customer_and_order_ends_the_payment_released(mall: Mall) -> None:
    payment_id, handle = await new_payment(mall)
    await handle.execute_update(PaymentWorkflow.reserve, reserve(payment_id))

    released = await handle.execute_update(PaymentWorkflow.release, release(payment_id))

    assert released.status is PaymentStatus.RELEASED
    assert await handle.result() == released
    assert payment_events(mall, payment_id) == [(AUTHORIZED, 1), (RESERVED, 2), (RELEASED, 3)]


@pytest.mark.parametrize(
    "other",
    [
        # The reservation names its order: a release frees only that order's reservation (rule 6).
        pytest.param({"order_id": "order-2"}, id="another order"),
        pytest.param({"customer_id": "someone-else", "order_id": "order-2"}, id="another customer's order"),
    ],
)
async def test_a_release_for_another_order_leaves_the_reservation_alone(mall: Mall, other: dict[str, str]) -> None:
    payment_id, handle = await new_payment(mall)
    reserved = await handle.execute_update(PaymentWorkflow.reserve, reserve(payment_id))

    answered = await handle.execute_update(PaymentWorkflow.release, release(payment_id, **other))

    assert answered == reserved
    assert await handle.query(PaymentWorkflow.get_payment) == reserved
    assert payment_events(mall, payment_id) == [(AUTHORIZED, 1), (RESERVED, 2)]
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING


async def test_releasing_twice_writes_one_event_and_answers_the_released_payment(mall: Mall) -> None:
    payment_id, handle = await new_payment(mall, task_timeout=SHORT_TASKS)
    await handle.execute_update(PaymentWorkflow.reserve, reserve(payment_id))
    held = hold(mall, "apply_payment_event", RELEASED)  # keeps the workflow running, already released

    first = asyncio.ensure_future(handle.execute_update(PaymentWorkflow.release, release(payment_id)))
    await held.wait_entered()
    second = await handle.execute_update(PaymentWorkflow.release, release(payment_id))
    held.release()

    assert second.status is PaymentStatus.RELEASED
    assert await first == second
    assert await handle.result() == second
    assert payment_events(mall, payment_id) == [(AUTHORIZED, 1), (RESERVED, 2), (RELEASED, 3)]


async def test_capturing_the_reserved_payment_for_its_order_ends_it_captured(mall: Mall) -> None:
    payment_id, handle = await new_payment(mall)
    await handle.execute_update(PaymentWorkflow.reserve, reserve(payment_id))

    await refused(
        handle.execute_update(PaymentWorkflow.capture, CapturePayment(payment_id=payment_id, order_id="order-2")),
        ErrorKind.CONFLICT,
        f"the payment {payment_id} is not reserved for order order-2",
    )
    captured = await handle.execute_update(
        PaymentWorkflow.capture, CapturePayment(payment_id=payment_id, order_id=ORDER)
    )

    assert captured.status is PaymentStatus.CAPTURED
    assert captured.order_id == ORDER
    assert await handle.result() == captured
    assert payment_events(mall, payment_id) == [(AUTHORIZED, 1), (RESERVED, 2), (CAPTURED, 3)]


async def test_capturing_a_payment_that_was_never_reserved_is_a_conflict(mall: Mall) -> None:
    payment_id, handle = await new_payment(mall)

    await refused(
        handle.execute_update(PaymentWorkflow.capture, CapturePayment(payment_id=payment_id, order_id=ORDER)),
        ErrorKind.CONFLICT,
        f"the payment {payment_id} is not reserved for order {ORDER}",
    )
    assert payment_events(mall, payment_id) == [(AUTHORIZED, 1)]


async def test_an_authorization_unused_for_its_time_to_live_expires(mall: Mall) -> None:
    payment_id, handle = await new_payment(mall, ttl_seconds=TTL)

    expired = await handle.result()  # the server skips time to the timer

    assert expired is not None
    assert expired.status is PaymentStatus.EXPIRED
    assert payment_events(mall, payment_id) == [(AUTHORIZED, 1), (EXPIRED, 2)]
    authorized, expiry = mall.fakes.events(payment_id, "payments")
    assert expiry.occurred_at - authorized.occurred_at >= timedelta(seconds=TTL)


async def test_a_reserved_payment_never_expires(mall: Mall) -> None:
    payment_id, handle = await new_payment(mall, ttl_seconds=TTL)
    await handle.execute_update(PaymentWorkflow.reserve, reserve(payment_id))

    await mall.env.sleep(3 * TTL)

    still = await handle.query(PaymentWorkflow.get_payment)
    assert still is not None
    assert still.status is PaymentStatus.RESERVED
    assert payment_events(mall, payment_id) == [(AUTHORIZED, 1), (RESERVED, 2)]
    captured = await handle.execute_update(
        PaymentWorkflow.capture, CapturePayment(payment_id=payment_id, order_id=ORDER)
    )
    assert await handle.result() == captured
    assert payment_events(mall, payment_id) == [(AUTHORIZED, 1), (RESERVED, 2), (CAPTURED, 3)]


# ==== InvoiceWorkflow =====================================================================================

INVOICE_CREATED = "payments.InvoiceCreated"
INVOICE_PAID = "payments.InvoicePaid"
INVOICE_CANCELLED = "payments.InvoiceCancelled"


async def open_invoice(mall: Mall, *, task_timeout: timedelta | None = None) -> tuple[Invoice, InvoiceHandle]:
    order_id = new_id()
    invoice = Invoice(
        id=order_id, order_id=order_id, customer_id=CUSTOMER, payment_id="payment-1", amount=Decimal("15.00")
    )
    handle = await mall.client.start_workflow(
        InvoiceWorkflow.run,
        InvoiceWorkflowInput(invoice_id=invoice.id),
        id=mall.track(invoice_workflow_id(invoice.id)),
        task_queue="payments",
        task_timeout=task_timeout,
    )
    opened = await handle.execute_update(InvoiceWorkflow.open, invoice)
    assert opened == invoice
    return invoice, handle


def invoice_events(mall: Mall, invoice_id: str) -> list[tuple[str, int]]:
    return mall.fakes.event_log(invoice_id, "payments")


async def test_opening_an_invoice_publishes_invoice_created_and_reopening_answers_the_same_invoice(
    mall: Mall,
) -> None:
    invoice, handle = await open_invoice(mall)

    again = await handle.execute_update(InvoiceWorkflow.open, invoice.model_copy(update={"amount": Decimal("1")}))

    assert again == invoice
    assert await handle.query(InvoiceWorkflow.get_invoice) == invoice
    assert invoice_events(mall, invoice.id) == [(INVOICE_CREATED, 1)]


async def test_paying_an_invoice_captures_the_payment_then_tells_the_order_it_was_paid(mall: Mall) -> None:
    invoice, handle = await open_invoice(mall)
    order = await start_stand_in_order(mall, invoice.order_id)

    paid = await handle.execute_update(InvoiceWorkflow.pay)

    assert paid.status is InvoiceStatus.PAID
    captures = [(c.queue, c.arg) for c in mall.fakes.calls_by(handle.id) if c.name == "capture_payment"]
    assert captures == [("payments", CapturePayment(payment_id="payment-1", order_id=invoice.order_id))]
    # An activity task, never a local activity: the payment runs on the invoice's own worker (run_command's rule).
    history = await handle.fetch_history()
    assert [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ] == ["capture_payment"]
    assert await order.result() == [ReceivedSignal(name="invoice_paid", payload={"invoice_id": invoice.id})]
    assert await handle.result() == paid
    assert invoice_events(mall, invoice.id) == [(INVOICE_CREATED, 1), (INVOICE_PAID, 2)]


async def test_a_capture_refused_for_business_fails_the_payment_of_the_invoice_and_tells_the_order_nothing(
    mall: Mall,
) -> None:
    invoice, handle = await open_invoice(mall)
    order = await start_stand_in_order(mall, invoice.order_id)
    mall.fakes.fail("capture_payment", NotFound("the payment payment-1 does not exist"))

    await refused(
        handle.execute_update(InvoiceWorkflow.pay), ErrorKind.NOT_FOUND, "the payment payment-1 does not exist"
    )

    assert await order.query("received") == []
    current = await handle.query(InvoiceWorkflow.get_invoice)
    assert current is not None
    assert current.status is InvoiceStatus.PENDING
    assert invoice_events(mall, invoice.id) == [(INVOICE_CREATED, 1)]


async def test_a_paid_invoice_refuses_a_second_payment_and_answers_a_cancel_as_it_is(mall: Mall) -> None:
    invoice, handle = await open_invoice(mall, task_timeout=SHORT_TASKS)
    await start_stand_in_order(mall, invoice.order_id)
    held = hold(mall, "apply_invoice_event", INVOICE_PAID)  # keeps the workflow running, already paid

    paying = asyncio.ensure_future(handle.execute_update(InvoiceWorkflow.pay))
    await held.wait_entered()
    _, answered = await asyncio.gather(
        refused(
            handle.execute_update(InvoiceWorkflow.pay),
            ErrorKind.CONFLICT,
            "the invoice is paid; only a pending invoice can be paid",
        ),
        handle.execute_update(InvoiceWorkflow.cancel),
    )
    held.release()

    assert answered.status is InvoiceStatus.PAID
    assert await paying == answered
    assert await handle.result() == answered
    assert [c.name for c in mall.fakes.calls_by(handle.id)].count("capture_payment") == 1
    assert invoice_events(mall, invoice.id) == [(INVOICE_CREATED, 1), (INVOICE_PAID, 2)]


async def test_cancelling_a_pending_invoice_publishes_invoice_cancelled_and_ends_it(mall: Mall) -> None:
    invoice, handle = await open_invoice(mall)

    cancelled = await handle.execute_update(InvoiceWorkflow.cancel)

    assert cancelled.status is InvoiceStatus.CANCELLED
    assert await handle.result() == cancelled
    assert mall.fakes.commands(handle.id) == []
    assert invoice_events(mall, invoice.id) == [(INVOICE_CREATED, 1), (INVOICE_CANCELLED, 2)]


async def test_an_ended_invoice_refuses_further_commands(mall: Mall) -> None:
    invoice, handle = await open_invoice(mall)
    await handle.execute_update(InvoiceWorkflow.cancel)
    await handle.result()

    with pytest.raises(RPCError) as caught:
        await handle.execute_update(InvoiceWorkflow.pay)

    assert caught.value.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION)
    assert mall.fakes.commands(handle.id) == []
    assert invoice_events(mall, invoice.id) == [(INVOICE_CREATED, 1), (INVOICE_CANCELLED, 2)]


# ==== ShoppingListWorkflow ================================================================================

LIST_CREATED = "depot.ShoppingListCreated"
LIST_AVAILABLE = "depot.ShoppingListAvailable"
LIST_ASSIGNED = "depot.ShoppingListAssigned"
LIST_COMPLETED = "depot.ShoppingListCompleted"
LIST_CANCELLED = "depot.ShoppingListCancelled"


async def new_list(mall: Mall, *, task_timeout: timedelta | None = None) -> tuple[ShoppingList, ListHandle]:
    order_id = new_id()
    shopping_list = ShoppingList(
        id=order_id,
        order_id=order_id,
        stops=(
            Stop(
                store_id="store-a",
                store_name="Corner Shop",
                store_location="1st floor",
                items=(ListItem(product_id="apple", product_name="Apple", quantity=2),),
            ),
        ),
    )
    handle = await mall.client.start_workflow(
        ShoppingListWorkflow.run,
        ShoppingListWorkflowInput(list_id=shopping_list.id),
        id=mall.track(shopping_list_workflow_id(shopping_list.id)),
        task_queue="depot",
        task_timeout=task_timeout,
    )
    created = await handle.execute_update(ShoppingListWorkflow.create, shopping_list)
    assert created == shopping_list
    return shopping_list, handle


# Depot's caches as the saga's step 2 finds them: two stores, one product each.
CATALOG = DepotCatalog(
    stores={
        "store-a": DepotStore(id="store-a", name="Zoo Shop", location="1st floor", participating=True),
        "store-b": DepotStore(id="store-b", name="Art Shop", location="2nd floor", participating=True),
    },
    products={
        "apple": DepotProduct(id="apple", store_id="store-a", name="Apple"),
        "brush": DepotProduct(id="brush", store_id="store-b", name="Brush"),
    },
)


def opening(mall: Mall, *lines: tuple[str, str]) -> tuple[CreateShoppingList, ListHandle]:
    """A new order's opening of its list, with these (product, store) lines, against ``CATALOG``; and the list."""
    mall.fakes.depot_catalog = CATALOG
    order_id = new_id()
    workflow_id = mall.track(shopping_list_workflow_id(order_id))
    cmd = CreateShoppingList(order_id=order_id, items=[Wanted(product_id=p, store_id=s, quantity=1) for p, s in lines])
    return cmd, mall.client.get_workflow_handle_for(ShoppingListWorkflow.run, workflow_id)


async def test_a_list_opened_by_the_saga_is_made_from_depots_caches_once_however_often_it_is_opened_at_once(
    mall: Mall,
) -> None:
    cmd, handle = opening(mall, ("apple", "store-a"), ("brush", "store-b"))
    order_id = cmd.order_id
    command = ShoppingListCommands(mall.client)

    opened = await asyncio.gather(*(command.create_shopping_list(cmd) for _ in range(3)))

    assert opened == [order_id] * 3
    shopping_list = await handle.query(ShoppingListWorkflow.get_shopping_list)
    assert shopping_list is not None
    assert shopping_list.status is ShoppingListStatus.PENDING
    # One stop per store, in the order of the stores' names, named from the caches.
    assert [(stop.store_name, [i.product_name for i in stop.items]) for stop in shopping_list.stops] == [
        ("Art Shop", ["Brush"]),
        ("Zoo Shop", ["Apple"]),
    ]
    assert list_events(mall, order_id) == [(LIST_CREATED, 1)]
    assert len([c for c in mall.fakes.calls if c.name == "look_up_products" and order_id in c.workflow_id]) == 1


async def test_a_list_refused_by_depots_caches_writes_nothing_ends_its_run_and_refuses_a_second_opening(
    mall: Mall,
) -> None:
    cmd, handle = opening(mall, ("apple", "store-a"), ("ghost", "store-a"))
    order_id = cmd.order_id
    command = ShoppingListCommands(mall.client)

    with pytest.raises(ApplicationError) as refused:
        await command.create_shopping_list(cmd)

    assert (refused.value.type, refused.value.message) == (
        ErrorKind.NOT_FOUND.value,
        "the product ghost does not exist",
    )
    assert refused.value.non_retryable
    assert await handle.result() is None  # the run ended with no list: nothing waits on it
    assert list_events(mall, order_id) == []
    # An attempt that lost the first one's answer is refused too, never told the list exists.
    with pytest.raises(ApplicationError) as again:
        await command.create_shopping_list(cmd)
    assert again.value.type == ErrorKind.CONFLICT.value
    assert again.value.message == f"the shopping list for order {order_id} could not be opened"


def list_events(mall: Mall, list_id: str) -> list[tuple[str, int]]:
    return mall.fakes.event_log(list_id, "depot")


async def advance(handle: ListHandle, to: ShoppingListStatus) -> None:
    if to in (ShoppingListStatus.AVAILABLE, ShoppingListStatus.ASSIGNED):
        await handle.execute_update(ShoppingListWorkflow.initiate)
    if to is ShoppingListStatus.ASSIGNED:
        await handle.execute_update(ShoppingListWorkflow.assign, AssignBot(bot_id="bot-7"))


async def test_a_shopping_list_goes_from_pending_to_available_to_assigned_to_completed_and_tells_the_order(
    mall: Mall,
) -> None:
    shopping_list, handle = await new_list(mall)
    order = await start_stand_in_order(mall, shopping_list.order_id)

    again = await handle.execute_update(ShoppingListWorkflow.create, shopping_list.model_copy(update={"stops": ()}))
    assert again == shopping_list
    available = await handle.execute_update(ShoppingListWorkflow.initiate)
    assert available.status is ShoppingListStatus.AVAILABLE
    assert await handle.execute_update(ShoppingListWorkflow.initiate) == available  # a retried saga step
    assigned = await handle.execute_update(ShoppingListWorkflow.assign, AssignBot(bot_id="bot-7"))
    assert (assigned.status, assigned.bot_id) == (ShoppingListStatus.ASSIGNED, "bot-7")
    completed = await handle.execute_update(ShoppingListWorkflow.complete)

    assert completed.status is ShoppingListStatus.COMPLETED
    assert await order.result() == [
        ReceivedSignal(name="shopping_list_completed", payload={"shopping_id": shopping_list.id})
    ]
    assert await handle.result() == completed
    assert list_events(mall, shopping_list.id) == [
        (LIST_CREATED, 1),
        (LIST_AVAILABLE, 2),
        (LIST_ASSIGNED, 3),
        (LIST_COMPLETED, 4),
    ]


async def test_assigning_a_blank_bot_is_invalid_and_assigning_a_list_not_available_is_a_conflict(
    mall: Mall,
) -> None:
    shopping_list, handle = await new_list(mall)

    await refused(
        handle.execute_update(ShoppingListWorkflow.assign, AssignBot(bot_id="bot-7")),
        ErrorKind.CONFLICT,
        "the shopping list is pending; only an available list can be assigned",
    )
    await handle.execute_update(ShoppingListWorkflow.initiate)
    await refused(
        handle.execute_update(ShoppingListWorkflow.assign, AssignBot(bot_id="  ")),
        ErrorKind.INVALID,
        "the bot ID cannot be blank",
    )
    await advance(handle, ShoppingListStatus.ASSIGNED)
    await refused(
        handle.execute_update(ShoppingListWorkflow.assign, AssignBot(bot_id="bot-8")),
        ErrorKind.CONFLICT,
        "the shopping list is assigned; only an available list can be assigned",
    )

    current = await handle.query(ShoppingListWorkflow.get_shopping_list)
    assert current is not None
    assert current.bot_id == "bot-7"
    assert list_events(mall, shopping_list.id) == [(LIST_CREATED, 1), (LIST_AVAILABLE, 2), (LIST_ASSIGNED, 3)]


@pytest.mark.parametrize("status", [ShoppingListStatus.PENDING, ShoppingListStatus.AVAILABLE])
async def test_completing_a_list_not_assigned_is_a_conflict_and_tells_the_order_nothing(
    mall: Mall, status: ShoppingListStatus
) -> None:
    shopping_list, handle = await new_list(mall)
    order = await start_stand_in_order(mall, shopping_list.order_id)
    await advance(handle, status)
    events_before = list_events(mall, shopping_list.id)

    await refused(
        handle.execute_update(ShoppingListWorkflow.complete),
        ErrorKind.CONFLICT,
        f"the shopping list is {status.value}; only an assigned list can be completed",
    )

    assert await order.query("received") == []
    assert list_events(mall, shopping_list.id) == events_before


@pytest.mark.parametrize(
    "status", [ShoppingListStatus.PENDING, ShoppingListStatus.AVAILABLE, ShoppingListStatus.ASSIGNED]
)
async def test_a_list_in_any_open_state_can_be_cancelled_which_ends_it(mall: Mall, status: ShoppingListStatus) -> None:
    shopping_list, handle = await new_list(mall)
    await advance(handle, status)
    events_before = list_events(mall, shopping_list.id)

    cancelled = await handle.execute_update(ShoppingListWorkflow.cancel)

    assert cancelled.status is ShoppingListStatus.CANCELLED
    assert await handle.result() == cancelled
    assert list_events(mall, shopping_list.id) == [*events_before, (LIST_CANCELLED, len(events_before) + 1)]


async def test_cancelling_a_completed_list_answers_it_as_it_is(mall: Mall) -> None:
    shopping_list, handle = await new_list(mall, task_timeout=SHORT_TASKS)
    await start_stand_in_order(mall, shopping_list.order_id)
    await advance(handle, ShoppingListStatus.ASSIGNED)
    held = hold(mall, "apply_shopping_list_event", LIST_COMPLETED)  # keeps the workflow running, completed

    completing = asyncio.ensure_future(handle.execute_update(ShoppingListWorkflow.complete))
    await held.wait_entered()
    answered = await handle.execute_update(ShoppingListWorkflow.cancel)
    held.release()

    assert answered.status is ShoppingListStatus.COMPLETED
    assert await completing == answered
    assert await handle.result() == answered
    assert list_events(mall, shopping_list.id) == [
        (LIST_CREATED, 1),
        (LIST_AVAILABLE, 2),
        (LIST_ASSIGNED, 3),
        (LIST_COMPLETED, 4),
    ]
