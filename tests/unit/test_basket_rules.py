"""The rules of baskets (domain/baskets/model.py) and their events (domain/baskets/events.py), table-driven."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.baskets import model as rules
from domain.baskets.events import BasketEvent, basket_event
from domain.baskets.model import Basket, BasketItem, BasketStatus, CatalogProduct
from domain.ordering.model import OrderItem
from domain.shared.errors import Conflict, DomainError, ErrorKind, InvalidArgument, NotFound
from domain.shared.money import MAX_QUANTITY

BLANKS = ["", " ", "   ", "\t", "\n", " \t\r\n "]
NOON = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def a_product(
    product_id: str = "p-1",
    price: str = "10.00",
    participating: bool = True,
    removed: bool = False,
    name: str = "Widget",
    store_id: str = "s-1",
    store_name: str = "Corner Shop",
) -> CatalogProduct:
    return CatalogProduct(
        id=product_id,
        store_id=store_id,
        store_name=store_name,
        name=name,
        price=Decimal(price),
        store_participating=participating,
        removed=removed,
    )


def a_line(product_id: str = "p-1", price: str = "10.00", quantity: int = 1, store_id: str = "s-1") -> BasketItem:
    return BasketItem(
        product_id=product_id,
        store_id=store_id,
        store_name="Corner Shop",
        product_name="Widget",
        price=Decimal(price),
        quantity=quantity,
    )


def a_basket(status: BasketStatus = BasketStatus.OPEN, items: tuple[BasketItem, ...] = ()) -> Basket:
    return Basket(id="b-1", customer_id="c-1", status=status, items=items)


# --- starting a basket --------------------------------------------------------------------------------


def test_a_basket_is_started_open_and_empty_for_the_customer() -> None:
    basket = rules.start_basket("b-1", "c-1")
    assert basket == Basket(id="b-1", customer_id="c-1", status=BasketStatus.OPEN, items=(), payment_id=None)
    assert basket.total == Decimal("0.00")


@pytest.mark.parametrize("customer_id", ["  c-1 ", "c 1", "c/1", "c-1\x00", "é", "c" * 65])
def test_a_basket_for_a_malformed_customer_id_is_rejected(customer_id: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^the customer ID is not a valid ID$"):
        rules.start_basket("b-1", customer_id)


@pytest.mark.parametrize("blank", BLANKS)
def test_a_basket_for_a_blank_customer_id_is_rejected(blank: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        rules.start_basket("b-1", blank)
    assert caught.value.message == "the customer ID cannot be blank"
    assert caught.value.kind is ErrorKind.INVALID


# --- the total ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "total"),
    [
        ((), "0.00"),
        ((a_line(price="10.00", quantity=1),), "10.00"),
        ((a_line(price="10.00", quantity=3),), "30.00"),
        ((a_line(price="0.00", quantity=5),), "0.00"),
        ((a_line(price="0.01", quantity=MAX_QUANTITY),), "10.00"),
        ((a_line("p-1", "19.99", 2), a_line("p-2", "0.02", 1)), "40.00"),
        ((a_line("p-1", "1000000.00", MAX_QUANTITY),), "1000000000.00"),
    ],
)
def test_the_basket_total_is_the_sum_of_price_times_quantity(lines: tuple[BasketItem, ...], total: str) -> None:
    assert rules.basket_total(lines) == Decimal(total)
    assert rules.basket_total(list(lines)) == Decimal(total)
    basket = a_basket(items=lines)
    assert basket.total == Decimal(total)
    assert basket.model_dump()["total"] == Decimal(total)


def test_the_total_of_no_lines_is_zero_in_cents() -> None:
    total = rules.basket_total(())
    assert total == Decimal("0.00")
    assert total.as_tuple().exponent == -2


# --- pricing a line from the catalogue ----------------------------------------------------------------


@pytest.mark.parametrize("quantity", [1, 2, 999, MAX_QUANTITY])
def test_a_line_is_priced_from_the_catalogue_with_the_names_of_that_moment(quantity: int) -> None:
    line = rules.priced_line(a_product(price="12.34"), "p-1", quantity)
    assert line == BasketItem(
        product_id="p-1",
        store_id="s-1",
        store_name="Corner Shop",
        product_name="Widget",
        price=Decimal("12.34"),
        quantity=quantity,
    )


def test_a_free_product_can_be_priced() -> None:
    assert rules.priced_line(a_product(price="0.00"), "p-1", 1).price == Decimal("0.00")


@pytest.mark.parametrize(
    ("product", "quantity", "error", "message"),
    [
        (a_product(), 0, InvalidArgument, "the quantity must be at least 1"),
        (a_product(), -1, InvalidArgument, "the quantity must be at least 1"),
        (a_product(), -1000, InvalidArgument, "the quantity must be at least 1"),
        (a_product(), MAX_QUANTITY + 1, InvalidArgument, "the quantity cannot be more than 1000"),
        (a_product(), 10**9, InvalidArgument, "the quantity cannot be more than 1000"),
        (None, 1, NotFound, "the product p-9 does not exist"),
        (a_product(removed=True), 1, NotFound, "the product p-9 does not exist"),
        (a_product(participating=False), 1, Conflict, "the store Corner Shop is not participating in the mall"),
        # the quantity is checked before the product: a bad request is invalid whatever it names
        (None, 0, InvalidArgument, "the quantity must be at least 1"),
        (a_product(participating=False), MAX_QUANTITY + 1, InvalidArgument, "the quantity cannot be more than 1000"),
        # a removed product does not exist, even in a store that left the mall
        (a_product(removed=True, participating=False), 1, NotFound, "the product p-9 does not exist"),
    ],
    ids=[
        "zero",
        "negative",
        "very negative",
        "one too many",
        "far too many",
        "unknown product",
        "removed product",
        "store not participating",
        "quantity before unknown product",
        "quantity before participation",
        "removed before participation",
    ],
)
def test_a_line_that_cannot_be_priced_is_refused(
    product: CatalogProduct | None, quantity: int, error: type[DomainError], message: str
) -> None:
    with pytest.raises(error) as caught:
        rules.priced_line(product, "p-9", quantity)
    assert type(caught.value) is error
    assert caught.value.message == message


def test_order_items_carry_the_captured_names_prices_and_quantities() -> None:
    lines = [a_line("p-1", "10.00", 2, "s-1"), a_line("p-2", "0.50", 1, "s-2")]
    items = rules.order_items(lines)
    assert items == [
        OrderItem(
            product_id="p-1",
            store_id="s-1",
            store_name="Corner Shop",
            product_name="Widget",
            price=Decimal("10.00"),
            quantity=2,
        ),
        OrderItem(
            product_id="p-2",
            store_id="s-2",
            store_name="Corner Shop",
            product_name="Widget",
            price=Decimal("0.50"),
            quantity=1,
        ),
    ]
    assert rules.order_items(tuple(lines)) == items
    assert rules.order_items([]) == []


# --- adding items -------------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [1, 7, MAX_QUANTITY])
def test_a_new_product_is_added_as_a_line(quantity: int) -> None:
    basket = a_basket()
    added = rules.add_item(basket, a_product(), "p-1", quantity)
    assert added == basket.model_copy(update={"items": (a_line(quantity=quantity),)})
    assert added.total == Decimal("10.00") * quantity
    assert basket.items == ()  # the rule returns a new state, it never mutates


def test_a_second_product_is_appended_after_the_first() -> None:
    basket = rules.add_item(a_basket(), a_product("p-1"), "p-1", 1)
    basket = rules.add_item(basket, a_product("p-2", price="2.50"), "p-2", 2)
    assert [(i.product_id, i.price, i.quantity) for i in basket.items] == [
        ("p-1", Decimal("10.00"), 1),
        ("p-2", Decimal("2.50"), 2),
    ]
    assert basket.total == Decimal("15.00")


@pytest.mark.parametrize(
    ("first", "second", "total"),
    [(1, 1, 2), (2, 3, 5), (1, MAX_QUANTITY - 1, MAX_QUANTITY), (MAX_QUANTITY - 1, 1, MAX_QUANTITY)],
)
def test_re_adding_a_product_sums_the_quantities_up_to_the_maximum(first: int, second: int, total: int) -> None:
    basket = rules.add_item(a_basket(), a_product(), "p-1", first)
    basket = rules.add_item(basket, a_product(), "p-1", second)
    assert basket.items == (a_line(quantity=total),)


def test_re_adding_a_product_keeps_the_price_and_names_captured_first() -> None:
    basket = rules.add_item(a_basket(), a_product(price="10.00"), "p-1", 1)
    repriced = a_product(price="99.99", name="Renamed Widget", store_name="Renamed Shop")
    basket = rules.add_item(basket, repriced, "p-1", 2)
    assert basket.items == (a_line(price="10.00", quantity=3),)
    assert basket.total == Decimal("30.00")


def test_re_adding_keeps_the_line_in_its_place() -> None:
    basket = a_basket(items=(a_line("p-1"), a_line("p-2"), a_line("p-3")))
    basket = rules.add_item(basket, a_product("p-2"), "p-2", 4)
    assert [(i.product_id, i.quantity) for i in basket.items] == [("p-1", 1), ("p-2", 5), ("p-3", 1)]


@pytest.mark.parametrize(("held", "more"), [(MAX_QUANTITY, 1), (MAX_QUANTITY - 1, 2), (600, 401), (1, MAX_QUANTITY)])
def test_re_adding_beyond_the_maximum_quantity_is_refused_and_changes_nothing(held: int, more: int) -> None:
    basket = a_basket(items=(a_line(quantity=held),))
    with pytest.raises(InvalidArgument) as caught:
        rules.add_item(basket, a_product(), "p-1", more)
    assert caught.value.message == "the quantity cannot be more than 1000"
    assert basket.items == (a_line(quantity=held),)


def test_the_line_is_matched_by_the_catalogue_product_id() -> None:
    # the line comes from the catalogue product; the product_id argument only names it in errors
    basket = a_basket(items=(a_line("p-1"),))
    added = rules.add_item(basket, a_product("p-1"), "P-1-as-typed", 1)
    assert added.items == (a_line("p-1", quantity=2),)


@pytest.mark.parametrize(
    ("product", "quantity", "error", "message"),
    [
        (a_product(), 0, InvalidArgument, "the quantity must be at least 1"),
        (a_product(), -3, InvalidArgument, "the quantity must be at least 1"),
        (a_product(), MAX_QUANTITY + 1, InvalidArgument, "the quantity cannot be more than 1000"),
        (None, 1, NotFound, "the product p-1 does not exist"),
        (a_product(removed=True), 1, NotFound, "the product p-1 does not exist"),
        (a_product(participating=False), 1, Conflict, "the store Corner Shop is not participating in the mall"),
    ],
    ids=["zero", "negative", "too many", "unknown", "removed", "store not participating"],
)
def test_an_item_that_cannot_be_priced_is_not_added(
    product: CatalogProduct | None, quantity: int, error: type[DomainError], message: str
) -> None:
    with pytest.raises(error) as caught:
        rules.add_item(a_basket(), product, "p-1", quantity)
    assert type(caught.value) is error
    assert caught.value.message == message


def test_a_product_already_in_the_basket_cannot_be_re_added_once_its_store_left_the_mall() -> None:
    basket = a_basket(items=(a_line(quantity=2),))
    with pytest.raises(Conflict, match=r"^the store Corner Shop is not participating in the mall$"):
        rules.add_item(basket, a_product(participating=False), "p-1", 1)


# --- removing items -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("held", "removed", "left"),
    [(5, 1, 4), (5, 4, 1), (2, 1, 1), (MAX_QUANTITY, MAX_QUANTITY - 1, 1)],
)
def test_removing_fewer_than_held_lowers_the_quantity(held: int, removed: int, left: int) -> None:
    basket = a_basket(items=(a_line("p-1", quantity=held), a_line("p-2", quantity=3)))
    after = rules.remove_item(basket, "p-1", removed)
    assert after.items == (a_line("p-1", quantity=left), a_line("p-2", quantity=3))


@pytest.mark.parametrize(
    ("held", "removed"),
    [(1, 1), (5, 5), (5, 6), (1, MAX_QUANTITY)],
    ids=["exactly one", "exactly all", "one more than held", "many more than held"],
)
def test_removing_as_many_as_held_or_more_drops_the_line(held: int, removed: int) -> None:
    basket = a_basket(items=(a_line("p-1", quantity=2), a_line("p-2", quantity=held), a_line("p-3")))
    after = rules.remove_item(basket, "p-2", removed)
    assert after.items == (a_line("p-1", quantity=2), a_line("p-3"))
    assert after.status is BasketStatus.OPEN


def test_removing_the_last_line_leaves_an_open_empty_basket() -> None:
    after = rules.remove_item(a_basket(items=(a_line(quantity=3),)), "p-1", 3)
    assert after == a_basket()
    assert after.total == Decimal("0.00")


@pytest.mark.parametrize(
    ("items", "product_id", "quantity", "error", "message"),
    [
        ((), "p-1", 1, NotFound, "the product p-1 is not in the basket"),
        ((a_line("p-1"),), "p-2", 1, NotFound, "the product p-2 is not in the basket"),
        ((a_line("p-1"),), " p-1 ", 1, InvalidArgument, "the product ID is not a valid ID"),
        ((a_line("p-1"),), "p-1", 0, InvalidArgument, "the quantity must be at least 1"),
        ((a_line("p-1"),), "p-1", -1, InvalidArgument, "the quantity must be at least 1"),
        ((a_line("p-1"),), "p-1", MAX_QUANTITY + 1, InvalidArgument, "the quantity cannot be more than 1000"),
        # the quantity is checked before the product is looked for
        ((), "p-1", 0, InvalidArgument, "the quantity must be at least 1"),
    ],
    ids=[
        "empty basket",
        "another product",
        "malformed ID",
        "zero",
        "negative",
        "too many",
        "quantity before lookup",
    ],
)
def test_removing_what_is_not_there_or_a_bad_quantity_is_refused(
    items: tuple[BasketItem, ...], product_id: str, quantity: int, error: type[DomainError], message: str
) -> None:
    with pytest.raises(error) as caught:
        rules.remove_item(a_basket(items=items), product_id, quantity)
    assert type(caught.value) is error
    assert caught.value.message == message


# --- checking out and cancelling ----------------------------------------------------------------------


def test_a_basket_with_items_is_checked_out_with_its_payment_id() -> None:
    basket = a_basket(items=(a_line(quantity=2),))
    with pytest.raises(InvalidArgument, match=r"^the payment ID is not a valid ID$"):
        rules.check_out(basket, "  pay-1 ")  # IDs are taken as given: " pay-1" is not "pay-1"
    checked_out = rules.check_out(basket, "pay-1")
    assert checked_out == basket.model_copy(update={"status": BasketStatus.CHECKED_OUT, "payment_id": "pay-1"})
    assert checked_out.items == basket.items
    assert checked_out.total == Decimal("20.00")


def test_a_basket_of_free_items_can_be_checked_out() -> None:
    checked_out = rules.check_out(a_basket(items=(a_line(price="0.00"),)), "pay-1")
    assert checked_out.status is BasketStatus.CHECKED_OUT
    assert checked_out.total == Decimal("0.00")


@pytest.mark.parametrize(
    ("items", "payment_id", "message"),
    [((a_line(),), blank, "the payment ID cannot be blank") for blank in BLANKS]
    + [
        ((), "pay-1", "the basket is empty"),
        ((), "", "the payment ID cannot be blank"),  # the payment ID is checked first
    ],
)
def test_a_checkout_without_a_payment_id_or_items_is_invalid(
    items: tuple[BasketItem, ...], payment_id: str, message: str
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        rules.check_out(a_basket(items=items), payment_id)
    assert caught.value.message == message


def test_an_open_basket_is_cancelled_keeping_its_items() -> None:
    basket = a_basket(items=(a_line(quantity=2),))
    assert rules.cancel_basket(basket) == basket.model_copy(update={"status": BasketStatus.CANCELLED})


def test_an_empty_open_basket_can_be_cancelled() -> None:
    assert rules.cancel_basket(a_basket()).status is BasketStatus.CANCELLED


# --- the lifecycle: every status x every command ------------------------------------------------------

COMMANDS: dict[str, Callable[[Basket], Basket]] = {
    "add item": lambda b: rules.add_item(b, a_product("p-2"), "p-2", 1),
    "re-add item": lambda b: rules.add_item(b, a_product("p-1"), "p-1", 1),
    "remove item": lambda b: rules.remove_item(b, "p-1", 1),
    "check out": lambda b: rules.check_out(b, "pay-1"),
    "cancel": rules.cancel_basket,
}

EXPECTED_FROM_OPEN: dict[str, Basket] = {
    "add item": a_basket(items=(a_line("p-1", quantity=2), a_line("p-2"))),
    "re-add item": a_basket(items=(a_line("p-1", quantity=3),)),
    "remove item": a_basket(items=(a_line("p-1", quantity=1),)),
    "check out": a_basket(BasketStatus.CHECKED_OUT, (a_line("p-1", quantity=2),)).model_copy(
        update={"payment_id": "pay-1"}
    ),
    "cancel": a_basket(BasketStatus.CANCELLED, (a_line("p-1", quantity=2),)),
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_is_allowed_on_an_open_basket(command: str) -> None:
    basket = a_basket(items=(a_line("p-1", quantity=2),))
    assert COMMANDS[command](basket) == EXPECTED_FROM_OPEN[command]


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (BasketStatus.CHECKED_OUT, "the basket is checked out"),
        (BasketStatus.CANCELLED, "the basket is cancelled"),
    ],
)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_on_a_closed_basket_is_a_conflict(command: str, status: BasketStatus, message: str) -> None:
    basket = a_basket(status, (a_line("p-1", quantity=2),))
    with pytest.raises(Conflict) as caught:
        COMMANDS[command](basket)
    assert caught.value.message == message
    assert caught.value.kind is ErrorKind.CONFLICT


@pytest.mark.parametrize("status", [BasketStatus.CHECKED_OUT, BasketStatus.CANCELLED])
@pytest.mark.parametrize(
    "command",
    [
        lambda b: rules.add_item(b, None, "p-9", 0),
        lambda b: rules.remove_item(b, "p-9", 0),
        lambda b: rules.check_out(b, ""),
    ],
    ids=["add bad item", "remove bad item", "check out without payment"],
)
def test_a_closed_basket_is_a_conflict_before_any_input_is_checked(
    command: Callable[[Basket], Basket], status: BasketStatus
) -> None:
    with pytest.raises(Conflict, match=r"^the basket is (checked out|cancelled)$"):
        command(a_basket(status))


def test_basket_state_is_immutable() -> None:
    basket = a_basket(items=(a_line(),))
    rules.add_item(basket, a_product(), "p-1", 1)
    rules.remove_item(basket, "p-1", 1)
    rules.check_out(basket, "pay-1")
    rules.cancel_basket(basket)
    assert basket == a_basket(items=(a_line(),))
    with pytest.raises(ValidationError, match="frozen"):
        basket.status = BasketStatus.CANCELLED  # type: ignore[misc]


# --- events -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "baskets.BasketStarted",
        "baskets.BasketItemAdded",
        "baskets.BasketItemRemoved",
        "baskets.BasketCheckedOut",
        "baskets.BasketCancelled",
    ],
)
def test_a_basket_event_carries_the_full_snapshot_under_the_basket_id(name: str) -> None:
    basket = a_basket(items=(a_line(quantity=2),))
    event = basket_event(name, 3, NOON, basket)
    assert event.name == name
    assert event.aggregate_id == "b-1"
    assert event.number == 3
    assert event.occurred_at == NOON
    assert event.basket == basket
    assert BasketEvent.model_validate_json(event.model_dump_json()) == event


@pytest.mark.parametrize("name", ["", "baskets.BasketDeleted", "ordering.OrderCreated", "BasketStarted"])
def test_a_basket_event_with_an_unknown_name_cannot_be_built(name: str) -> None:
    with pytest.raises(ValidationError, match="name"):
        basket_event(name, 1, NOON, a_basket())
