"""The rules of orders (domain/ordering/model.py), their events and the customer SMS (domain/notifications.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.notifications import order_message
from domain.ordering import model as rules
from domain.ordering.events import OrderEvent, order_event
from domain.ordering.model import FINAL, Order, OrderItem, OrderStatus
from domain.shared.errors import Conflict, ErrorKind, InvalidArgument
from domain.shared.lines import MAX_LINES
from domain.shared.money import MAX_QUANTITY

BLANKS = ["", " ", "   ", "\t", "\n", " \t\r\n "]
CREATED = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LATER = CREATED + timedelta(minutes=5)
ORDER_ID = "3f2a9c1e-0000-4000-8000-000000000001"


def an_item(product_id: str = "p-1", store_id: str = "s-1", price: str = "10.00", quantity: int = 1) -> OrderItem:
    return OrderItem(
        product_id=product_id,
        store_id=store_id,
        store_name=f"Store {store_id}",
        product_name=f"Product {product_id}",
        price=Decimal(price),
        quantity=quantity,
    )


def an_order(status: OrderStatus = OrderStatus.PENDING, items: tuple[OrderItem, ...] | None = None) -> Order:
    return Order(
        id=ORDER_ID,
        customer_id="c-1",
        payment_id="pay-1",
        items=(an_item(quantity=2),) if items is None else items,
        status=status,
        basket_id="b-1",
        created_at=CREATED,
        updated_at=CREATED,
    )


# --- the order itself ---------------------------------------------------------------------------------


def test_a_new_order_is_pending_with_nothing_attached() -> None:
    order = Order(id="o-1", customer_id="c-1", payment_id="pay-1", items=())
    assert order.status is OrderStatus.PENDING
    assert (order.basket_id, order.shopping_id, order.invoice_id, order.reason) == (None, None, None, None)
    assert (order.created_at, order.updated_at) == (None, None)


@pytest.mark.parametrize(
    ("items", "total"),
    [
        ((), "0.00"),
        ((an_item(price="10.00", quantity=1),), "10.00"),
        ((an_item(price="19.99", quantity=3),), "59.97"),
        ((an_item(price="0.00", quantity=MAX_QUANTITY),), "0.00"),
        ((an_item("p-1", price="0.01"), an_item("p-2", price="0.02", quantity=2)), "0.05"),
        ((an_item(price="1000000.00", quantity=MAX_QUANTITY),), "1000000000.00"),
    ],
)
def test_the_order_total_is_the_sum_of_price_times_quantity(items: tuple[OrderItem, ...], total: str) -> None:
    order = an_order(items=items)
    assert order.total == Decimal(total)
    assert order.model_dump()["total"] == Decimal(total)


@pytest.mark.parametrize(
    ("store_ids", "expected"),
    [
        ((), []),
        (("s-1",), ["s-1"]),
        (("s-2", "s-1"), ["s-1", "s-2"]),
        (("s-2", "s-1", "s-2", "s-3", "s-1"), ["s-1", "s-2", "s-3"]),
    ],
)
def test_the_stores_of_an_order_are_listed_once_each_in_order(store_ids: tuple[str, ...], expected: list[str]) -> None:
    items = tuple(an_item(f"p-{n}", store_id) for n, store_id in enumerate(store_ids))
    assert an_order(items=items).store_ids == expected


def test_the_final_statuses_are_completed_rejected_and_cancelled() -> None:
    assert set(FINAL) == {OrderStatus.COMPLETED, OrderStatus.REJECTED, OrderStatus.CANCELLED}


# --- validating a request -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "quantities",
    [
        {"p-1": 1},
        {"p-1": MAX_QUANTITY},
        {"p-1": 1, "p-2": 2, "p-3": MAX_QUANTITY},
    ],
)
def test_a_sensible_request_passes(quantities: dict[str, int]) -> None:
    rules.validate_request("c-1", "pay-1", quantities)  # no error


@pytest.mark.parametrize(
    ("customer_id", "payment_id", "product_id", "message"),
    [
        (" c-1 ", "pay-1", "p-1", "the customer ID is not a valid ID"),
        ("c-1", "pay 1", "p-1", "the payment ID is not a valid ID"),
        ("c-1", "pay-1", " p-1 ", "the product ID is not a valid ID"),
        ("c-1", "pay-1", "p\x00", "the product ID is not a valid ID"),
    ],
)
def test_a_request_with_a_malformed_id_is_refused(
    customer_id: str, payment_id: str, product_id: str, message: str
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        rules.validate_request(customer_id, payment_id, {product_id: 1})
    assert caught.value.message == message


def test_an_order_of_more_different_products_than_a_search_attribute_holds_is_refused() -> None:
    rules.validate_request("c-1", "pay-1", {f"p-{i}": 1 for i in range(MAX_LINES)})
    with pytest.raises(InvalidArgument, match=r"^an order holds at most 40 different products$"):
        rules.validate_request("c-1", "pay-1", {f"p-{i}": 1 for i in range(MAX_LINES + 1)})


@pytest.mark.parametrize(
    ("customer_id", "payment_id", "quantities", "message"),
    [(blank, "pay-1", {"p-1": 1}, "the customer ID cannot be blank") for blank in BLANKS]
    + [("c-1", blank, {"p-1": 1}, "the payment ID cannot be blank") for blank in BLANKS]
    + [("c-1", "pay-1", {blank: 1}, "the product ID cannot be blank") for blank in BLANKS]
    + [
        ("c-1", "pay-1", {}, "the order has no items"),
        ("c-1", "pay-1", {"p-1": 0}, "the quantity must be at least 1"),
        ("c-1", "pay-1", {"p-1": -1}, "the quantity must be at least 1"),
        ("c-1", "pay-1", {"p-1": MAX_QUANTITY + 1}, "the quantity cannot be more than 1000"),
        ("c-1", "pay-1", {"p-1": 1, "p-2": 0}, "the quantity must be at least 1"),
        ("c-1", "pay-1", {"p-1": 1, "p-2": 10**6}, "the quantity cannot be more than 1000"),
        # the checks run in order: customer, payment, items, then each line in turn
        ("", "", {}, "the customer ID cannot be blank"),
        ("c-1", "", {}, "the payment ID cannot be blank"),
        ("c-1", "pay-1", {"": 0}, "the product ID cannot be blank"),
        ("c-1", "pay-1", {"p-1": 0, "": 1}, "the quantity must be at least 1"),
        ("c-1", "pay-1", {"p-1": 1, "": 0}, "the product ID cannot be blank"),
    ],
)
def test_a_request_with_a_blank_id_no_items_or_a_bad_quantity_is_invalid(
    customer_id: str, payment_id: str, quantities: dict[str, int], message: str
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        rules.validate_request(customer_id, payment_id, quantities)
    assert caught.value.message == message
    assert caught.value.kind is ErrorKind.INVALID


# --- transitions --------------------------------------------------------------------------------------


def test_a_pending_order_is_approved_with_its_shopping_list() -> None:
    order = an_order(OrderStatus.PENDING)
    approved = rules.approve(order, "list-1", LATER)
    assert approved == order.model_copy(
        update={"status": OrderStatus.APPROVED, "shopping_id": "list-1", "updated_at": LATER}
    )
    assert approved.created_at == CREATED
    assert order.status is OrderStatus.PENDING  # the rule returns a new state, it never mutates


@pytest.mark.parametrize("reason", ["the customer c-1 is disabled", "", "the payment of 1.00 does not cover"])
def test_a_pending_order_is_rejected_with_its_reason(reason: str) -> None:
    order = an_order(OrderStatus.PENDING)
    rejected = rules.reject(order, reason, LATER)
    assert rejected == order.model_copy(update={"status": OrderStatus.REJECTED, "reason": reason, "updated_at": LATER})


def test_an_approved_order_is_readied_with_its_invoice() -> None:
    order = an_order(OrderStatus.APPROVED).model_copy(update={"shopping_id": "list-1"})
    readied = rules.ready(order, "inv-1", LATER)
    assert readied == order.model_copy(update={"status": OrderStatus.READY, "invoice_id": "inv-1", "updated_at": LATER})
    assert readied.shopping_id == "list-1"


def test_a_ready_order_is_completed() -> None:
    order = an_order(OrderStatus.READY).model_copy(update={"shopping_id": "list-1", "invoice_id": "inv-1"})
    completed = rules.complete(order, LATER)
    assert completed == order.model_copy(update={"status": OrderStatus.COMPLETED, "updated_at": LATER})


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.APPROVED])
def test_a_pending_or_approved_order_is_cancelled(status: OrderStatus) -> None:
    order = an_order(status)
    cancelled = rules.cancel(order, LATER)
    assert cancelled == order.model_copy(update={"status": OrderStatus.CANCELLED, "updated_at": LATER})
    assert rules.ensure_cancellable(order) is order


def test_the_whole_happy_path_keeps_everything_it_collected() -> None:
    order = an_order()
    order = rules.approve(order, "list-1", CREATED + timedelta(seconds=1))
    order = rules.ready(order, "inv-1", CREATED + timedelta(seconds=2))
    order = rules.complete(order, CREATED + timedelta(seconds=3))
    assert order.status is OrderStatus.COMPLETED
    assert (order.shopping_id, order.invoice_id, order.reason) == ("list-1", "inv-1", None)
    assert (order.created_at, order.updated_at) == (CREATED, CREATED + timedelta(seconds=3))
    assert order.total == Decimal("20.00")


# --- the lifecycle: every status x every command ------------------------------------------------------

COMMANDS: dict[str, tuple[Callable[[Order], Order], OrderStatus]] = {
    "approve": (lambda o: rules.approve(o, "list-1", LATER), OrderStatus.APPROVED),
    "reject": (lambda o: rules.reject(o, "no", LATER), OrderStatus.REJECTED),
    "ready": (lambda o: rules.ready(o, "inv-1", LATER), OrderStatus.READY),
    "complete": (lambda o: rules.complete(o, LATER), OrderStatus.COMPLETED),
    "cancel": (lambda o: rules.cancel(o, LATER), OrderStatus.CANCELLED),
}

ALLOWED: dict[str, set[OrderStatus]] = {
    "approve": {OrderStatus.PENDING},
    "reject": {OrderStatus.PENDING},
    "ready": {OrderStatus.APPROVED},
    "complete": {OrderStatus.READY},
    "cancel": {OrderStatus.PENDING, OrderStatus.APPROVED},
}

LIFECYCLE = [(status, command) for status in OrderStatus for command in COMMANDS]


@pytest.mark.parametrize(("status", "command"), LIFECYCLE, ids=[f"{s.value}-{c}" for s, c in LIFECYCLE])
def test_every_command_in_every_status_is_either_applied_or_a_conflict(status: OrderStatus, command: str) -> None:
    rule, to = COMMANDS[command]
    order = an_order(status)
    if status in ALLOWED[command]:
        moved = rule(order)
        assert moved.status is to
        assert moved.updated_at == LATER
    else:
        with pytest.raises(Conflict) as caught:
            rule(order)
        assert caught.value.message == f"the order is {status.value}; it cannot become {to.value}"
        assert caught.value.kind is ErrorKind.CONFLICT


@pytest.mark.parametrize("status", FINAL)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_final_order_accepts_no_command(command: str, status: OrderStatus) -> None:
    with pytest.raises(Conflict, match=r"^the order is \w+; it cannot become \w+$"):
        COMMANDS[command][0](an_order(status))


@pytest.mark.parametrize(
    "status",
    [OrderStatus.READY, OrderStatus.COMPLETED, OrderStatus.REJECTED, OrderStatus.CANCELLED],
)
def test_an_order_past_approval_can_no_longer_be_cancelled(status: OrderStatus) -> None:
    with pytest.raises(Conflict) as caught:
        rules.ensure_cancellable(an_order(status))
    assert caught.value.message == f"the order is {status.value} and can no longer be cancelled"
    assert caught.value.kind is ErrorKind.CONFLICT


@pytest.mark.parametrize("status", list(OrderStatus))
def test_ensure_cancellable_agrees_with_cancel(status: OrderStatus) -> None:
    order = an_order(status)
    try:
        rules.ensure_cancellable(order)
    except Conflict:
        with pytest.raises(Conflict):
            rules.cancel(order, LATER)
    else:
        assert rules.cancel(order, LATER).status is OrderStatus.CANCELLED


def test_order_state_is_immutable() -> None:
    order = an_order()
    rules.approve(order, "list-1", LATER)
    rules.cancel(order, LATER)
    assert order == an_order()
    with pytest.raises(ValidationError, match="frozen"):
        order.status = OrderStatus.COMPLETED  # type: ignore[misc]


# --- events -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "ordering.OrderCreated",
        "ordering.OrderApproved",
        "ordering.OrderRejected",
        "ordering.OrderReadied",
        "ordering.OrderCompleted",
        "ordering.OrderCancelled",
    ],
)
def test_an_order_event_carries_the_full_snapshot_under_the_order_id(name: str) -> None:
    order = an_order()
    event = order_event(name, 2, LATER, order)
    assert (event.name, event.aggregate_id, event.number, event.occurred_at) == (name, ORDER_ID, 2, LATER)
    assert event.order == order
    assert OrderEvent.model_validate_json(event.model_dump_json()) == event


@pytest.mark.parametrize("name", ["", "ordering.OrderDeleted", "baskets.BasketStarted"])
def test_an_order_event_with_an_unknown_name_cannot_be_built(name: str) -> None:
    with pytest.raises(ValidationError, match="name"):
        order_event(name, 1, LATER, an_order())


# --- the SMS a customer receives ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_name", "status", "reason", "message"),
    [
        ("ordering.OrderCreated", OrderStatus.PENDING, None, "Hi Ada, we received your order 3f2a9c1e for 20.00."),
        (
            "ordering.OrderRejected",
            OrderStatus.REJECTED,
            "the customer c-1 is disabled",
            "Hi Ada, your order 3f2a9c1e could not be placed: the customer c-1 is disabled.",
        ),
        (
            "ordering.OrderReadied",
            OrderStatus.READY,
            None,
            "Hi Ada, your order 3f2a9c1e is ready. Please pay the invoice of 20.00.",
        ),
        (
            "ordering.OrderCompleted",
            OrderStatus.COMPLETED,
            None,
            "Hi Ada, your order 3f2a9c1e is paid and complete. Thank you!",
        ),
        (
            "ordering.OrderCancelled",
            OrderStatus.CANCELLED,
            None,
            "Hi Ada, your order 3f2a9c1e has been cancelled; nothing was charged.",
        ),
    ],
)
def test_the_customer_is_told_about_each_milestone_of_the_order(
    event_name: str, status: OrderStatus, reason: str | None, message: str
) -> None:
    order = an_order(status).model_copy(update={"reason": reason})
    assert order_message(event_name, order, "Ada") == message


@pytest.mark.parametrize(
    "event_name",
    ["ordering.OrderApproved", "", "ordering.orderCreated", "baskets.BasketCheckedOut", "OrderCreated"],
)
def test_events_the_customer_is_not_told_about_have_no_message(event_name: str) -> None:
    assert order_message(event_name, an_order(), "Ada") is None


@pytest.mark.parametrize("reason", [None, ""])
def test_a_rejection_without_a_reason_says_unknown_reason(reason: str | None) -> None:
    order = an_order(OrderStatus.REJECTED).model_copy(update={"reason": reason})
    assert order_message("ordering.OrderRejected", order, "Ada") == (
        "Hi Ada, your order 3f2a9c1e could not be placed: unknown reason."
    )


def test_a_customer_without_a_name_is_greeted_as_there() -> None:
    assert order_message("ordering.OrderCompleted", an_order(), "") == (
        "Hi there, your order 3f2a9c1e is paid and complete. Thank you!"
    )


def test_a_blank_but_not_empty_customer_name_is_used_as_it_is() -> None:
    # current behaviour: only the empty name falls back to "there"
    assert order_message("ordering.OrderCompleted", an_order(), "  ") == (
        "Hi   , your order 3f2a9c1e is paid and complete. Thank you!"
    )


@pytest.mark.parametrize(
    ("order_id", "ref"),
    [("3f2a9c1e-0000-4000-8000-000000000001", "3f2a9c1e"), ("12345678", "12345678"), ("abc", "abc"), ("", "")],
)
def test_the_order_is_referred_to_by_its_first_eight_characters(order_id: str, ref: str) -> None:
    order = an_order().model_copy(update={"id": order_id})
    assert order_message("ordering.OrderCompleted", order, "Ada") == (
        f"Hi Ada, your order {ref} is paid and complete. Thank you!"
    )


@pytest.mark.parametrize(
    ("items", "shown"),
    [
        ((), "0.00"),
        ((an_item(price="0.01"),), "0.01"),
        ((an_item(price="19.99", quantity=3),), "59.97"),
        ((an_item("p-1", price="10.00"), an_item("p-2", price="0.50", quantity=2)), "11.00"),
    ],
)
def test_the_total_is_shown_in_cents(items: tuple[OrderItem, ...], shown: str) -> None:
    assert order_message("ordering.OrderCreated", an_order(items=items), "Ada") == (
        f"Hi Ada, we received your order 3f2a9c1e for {shown}."
    )
