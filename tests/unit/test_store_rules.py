"""The rules of stores and products (domain/stores/model.py), table-driven."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.shared.errors import (
    Conflict,
    DomainError,
    ErrorKind,
    InvalidArgument,
    NotFound,
    error_for,
)
from domain.shared.money import MAX_PRICE, money
from domain.shared.text import require_text
from domain.stores import model as rules
from domain.stores.model import Product, Store

BLANKS = ["", " ", "   ", "\t", "\n", " \t\r\n "]


def a_store(participating: bool = False) -> Store:
    return Store(id="s-1", name="Corner Shop", location="Level 1", participating=participating)


def a_product(price: str = "10.00", removed: bool = False) -> Product:
    return Product(
        id="p-1",
        store_id="s-1",
        name="Widget",
        description="A widget",
        sku="W-1",
        price=Decimal(price),
        removed=removed,
    )


# --- errors -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "kind", "wire"),
    [
        (InvalidArgument("x"), ErrorKind.INVALID, "InvalidArgument"),
        (NotFound("x"), ErrorKind.NOT_FOUND, "NotFound"),
        (Conflict("x"), ErrorKind.CONFLICT, "Conflict"),
    ],
)
def test_each_domain_error_has_its_kind_and_wire_name(error: DomainError, kind: ErrorKind, wire: str) -> None:
    assert error.kind is kind
    assert error.kind.value == wire
    assert error.message == "x"
    assert str(error) == "x"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("InvalidArgument", InvalidArgument),
        ("NotFound", NotFound),
        ("Conflict", Conflict),
        ("SomethingElse", InvalidArgument),
        ("", InvalidArgument),
    ],
)
def test_an_error_is_rebuilt_from_its_kind_and_an_unknown_kind_is_invalid_argument(
    kind: str, expected: type[DomainError]
) -> None:
    rebuilt = error_for(kind, "the message")
    assert type(rebuilt) is expected
    assert rebuilt.message == "the message"


@pytest.mark.parametrize("blank", BLANKS)
def test_required_text_rejects_blank_text_naming_the_field(blank: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^the thing cannot be blank$"):
        require_text(blank, "thing")


@pytest.mark.parametrize(
    ("raw", "trimmed"), [("a", "a"), ("  a  ", "a"), ("\u3000a b ", "a b")]
)  # tabs: refused (test_text_rules)
def test_required_text_is_trimmed(raw: str, trimmed: str) -> None:
    assert require_text(raw, "thing") == trimmed


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (Decimal("10"), Decimal("10.00")),
        (Decimal("0"), Decimal("0.00")),
        (Decimal("1.5"), Decimal("1.50")),
        (Decimal("1.234"), Decimal("1.23")),
        (Decimal("1.236"), Decimal("1.24")),
        (Decimal("1.005"), Decimal("1.00")),  # banker's rounding: half to even
        (Decimal("1.015"), Decimal("1.02")),
        (7, Decimal("7.00")),
        ("3.1", Decimal("3.10")),
    ],
)
def test_money_is_quantized_to_cents(raw: Decimal | int | str, expected: Decimal) -> None:
    value = money(raw)
    assert value == expected
    assert value.as_tuple().exponent == -2


# --- stores -------------------------------------------------------------------------------------------


def test_a_store_is_created_trimmed_and_not_participating() -> None:
    store = rules.create_store("s-1", "  Corner Shop ", " Level 1 ")
    assert store == Store(id="s-1", name="Corner Shop", location="Level 1", participating=False)


@pytest.mark.parametrize(
    ("name", "location", "message"),
    [(blank, "Level 1", "the store name cannot be blank") for blank in BLANKS]
    + [("Corner Shop", blank, "the store location cannot be blank") for blank in BLANKS]
    + [("", "", "the store name cannot be blank")],
)
def test_a_store_with_a_blank_name_or_location_is_rejected(name: str, location: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        rules.create_store("s-1", name, location)
    assert caught.value.message == message
    assert caught.value.kind is ErrorKind.INVALID


@pytest.mark.parametrize("participating", [False, True])
def test_a_store_is_rebranded_with_a_trimmed_name_keeping_everything_else(participating: bool) -> None:
    store = a_store(participating)
    rebranded = rules.rebrand_store(store, "  New Name ")
    assert rebranded == store.model_copy(update={"name": "New Name"})
    assert store.name == "Corner Shop"  # the rule returns a new state, it never mutates


@pytest.mark.parametrize("blank", BLANKS)
def test_a_blank_store_name_is_rejected_on_rebrand(blank: str) -> None:
    with pytest.raises(InvalidArgument, match="the store name cannot be blank"):
        rules.rebrand_store(a_store(), blank)


def test_participation_is_enabled_then_disabled() -> None:
    enabled = rules.enable_participation(a_store(participating=False))
    assert enabled.participating is True
    disabled = rules.disable_participation(enabled)
    assert disabled.participating is False
    assert disabled == a_store(participating=False)


@pytest.mark.parametrize(
    ("rule", "participating", "message"),
    [
        (rules.enable_participation, True, "the store is already participating"),
        (rules.disable_participation, False, "the store is not participating"),
    ],
    ids=["enabling participation twice", "disabling when not participating"],
)
def test_toggling_participation_into_the_state_it_is_in_is_a_conflict(
    rule: Callable[[Store], Store], participating: bool, message: str
) -> None:
    with pytest.raises(Conflict) as caught:
        rule(a_store(participating))
    assert caught.value.message == message
    assert caught.value.kind is ErrorKind.CONFLICT


# --- products -----------------------------------------------------------------------------------------


def test_a_product_is_added_trimmed_with_its_price_in_cents() -> None:
    product = rules.add_product("p-1", "s-1", " Widget ", "  A widget ", " W-1 ", Decimal("9.5"))
    assert product == Product(
        id="p-1", store_id="s-1", name="Widget", description="A widget", sku="W-1", price=Decimal("9.50")
    )
    assert product.removed is False


@pytest.mark.parametrize("price", [Decimal("0"), Decimal("0.00"), Decimal("0.000"), Decimal("-0")])
def test_a_free_product_is_allowed(price: Decimal) -> None:
    product = rules.add_product("p-1", "s-1", "Freebie", "", "", price)
    assert product.price == Decimal("0.00")


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        (Decimal("19.99"), Decimal("19.99")),
        (Decimal("19.990"), Decimal("19.99")),
        (Decimal("19.9"), Decimal("19.90")),
        (Decimal("100"), Decimal("100.00")),
    ],
)
def test_a_product_price_is_kept_in_cents(raw: Decimal, stored: Decimal) -> None:
    product = rules.add_product("p-1", "s-1", "Widget", "", "", raw)
    assert product.price == stored
    assert product.price.as_tuple().exponent == -2


@pytest.mark.parametrize("price", ["19.999", "0.001", "0.125", "-0.001"])
@pytest.mark.parametrize(
    "rule",
    [
        lambda price: rules.add_product("p-1", "s-1", "Widget", "", "", price),
        lambda price: rules.increase_price(a_product("0.00"), price),
        lambda price: rules.decrease_price(a_product("100.00"), price),
    ],
    ids=["add", "increase", "decrease"],
)
def test_a_price_in_fractions_of_a_cent_is_refused_not_rounded(rule: Callable[[Decimal], object], price: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        rule(Decimal(price))
    assert caught.value.message == (
        "the product price cannot be negative"
        if price.startswith("-")
        else "the product price cannot have fractions of a cent"
    )


@pytest.mark.parametrize("blank", BLANKS)
def test_a_blank_product_name_is_rejected(blank: str) -> None:
    with pytest.raises(InvalidArgument, match="the product name cannot be blank"):
        rules.add_product("p-1", "s-1", blank, "", "", Decimal("1"))


@pytest.mark.parametrize(
    ("price", "message"),
    [
        (Decimal("-0.01"), "the product price cannot be negative"),
        (Decimal("-1"), "the product price cannot be negative"),
        (Decimal("-1000000"), "the product price cannot be negative"),
        (Decimal("NaN"), "the product price must be a number"),
        (Decimal("Infinity"), "the product price must be a number"),
        (Decimal("-Infinity"), "the product price must be a number"),
    ],
)
def test_a_negative_or_non_numeric_product_price_is_rejected(price: Decimal, message: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        rules.add_product("p-1", "s-1", "Widget", "", "", price)
    assert caught.value.message == message


def test_a_product_is_rebranded_with_a_trimmed_name_and_description() -> None:
    product = a_product()
    rebranded = rules.rebrand_product(product, " Gadget ", " A gadget ")
    assert rebranded == product.model_copy(update={"name": "Gadget", "description": "A gadget"})


def test_a_rebrand_may_clear_the_description() -> None:
    assert rules.rebrand_product(a_product(), "Gadget", "  ").description == ""


@pytest.mark.parametrize("blank", BLANKS)
def test_a_blank_product_name_is_rejected_on_rebrand(blank: str) -> None:
    with pytest.raises(InvalidArgument, match="the product name cannot be blank"):
        rules.rebrand_product(a_product(), blank, "desc")


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        ("10.00", "10.01", "10.01"),
        ("10.00", "11", "11.00"),
        ("0.00", "0.01", "0.01"),
        ("10.00", "10.010", "10.01"),
    ],
)
def test_a_price_increase_to_a_higher_price_is_applied(current: str, new: str, expected: str) -> None:
    product = a_product(current)
    assert rules.increase_price(product, Decimal(new)) == product.model_copy(update={"price": Decimal(expected)})


@pytest.mark.parametrize(
    ("current", "new"),
    [("10.00", "10.00"), ("10.00", "10"), ("10.00", "9.99"), ("10.00", "0")],
    ids=["equal", "equal unquantized", "lower", "zero"],
)
def test_a_price_increase_that_is_not_higher_is_rejected(current: str, new: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        rules.increase_price(a_product(current), Decimal(new))
    assert caught.value.message == f"the new price must be higher than the current price {current}"


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [("10.00", "9.99", "9.99"), ("10.00", "0", "0.00"), ("10.00", "9.990", "9.99")],
)
def test_a_price_decrease_to_a_lower_price_is_applied(current: str, new: str, expected: str) -> None:
    product = a_product(current)
    assert rules.decrease_price(product, Decimal(new)) == product.model_copy(update={"price": Decimal(expected)})


@pytest.mark.parametrize(
    ("current", "new"),
    [("10.00", "10.00"), ("10.00", "10.01"), ("10.00", "20")],
    ids=["equal", "higher", "much higher"],
)
def test_a_price_decrease_that_is_not_lower_is_rejected(current: str, new: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        rules.decrease_price(a_product(current), Decimal(new))
    assert caught.value.message == f"the new price must be lower than the current price {current}"


@pytest.mark.parametrize(
    "rule",
    [rules.increase_price, rules.decrease_price],
    ids=["increase", "decrease"],
)
@pytest.mark.parametrize(
    ("price", "message"),
    [
        (Decimal("-1"), "the product price cannot be negative"),
        (Decimal("NaN"), "the product price must be a number"),
        (Decimal("Infinity"), "the product price must be a number"),
    ],
)
def test_a_price_change_to_a_negative_or_non_numeric_price_is_rejected(
    rule: Callable[[Product, Decimal], Product], price: Decimal, message: str
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        rule(a_product("10.00"), price)
    assert caught.value.message == message


def test_a_product_is_removed() -> None:
    product = a_product()
    removed = rules.remove_product(product)
    assert removed == product.model_copy(update={"removed": True})


@pytest.mark.parametrize(
    "command",
    [
        lambda p: rules.rebrand_product(p, "New", ""),
        lambda p: rules.increase_price(p, Decimal("20")),
        lambda p: rules.decrease_price(p, Decimal("1")),
        rules.remove_product,
    ],
    ids=["rebrand", "increase price", "decrease price", "remove again"],
)
def test_every_command_on_a_removed_product_is_a_conflict(command: Callable[[Product], Product]) -> None:
    with pytest.raises(Conflict) as caught:
        command(a_product(removed=True))
    assert caught.value.message == "the product has been removed"
    assert caught.value.kind is ErrorKind.CONFLICT


@pytest.mark.parametrize(
    "change",
    [
        lambda s: rules.rebrand_store(s, "x"),
        rules.enable_participation,
    ],
)
def test_store_state_is_immutable(change: Callable[[Store], Store]) -> None:
    store = a_store()
    change(store)
    assert store == a_store()
    with pytest.raises(ValidationError, match="frozen"):
        store.name = "mutated"  # type: ignore[misc]


def test_the_highest_allowed_price_is_accepted_on_add_and_increase() -> None:
    assert rules.add_product("p-1", "s-1", "Dear", "", "", MAX_PRICE).price == MAX_PRICE
    assert rules.increase_price(a_product("999999.99"), MAX_PRICE).price == MAX_PRICE


@pytest.mark.parametrize(
    "price", [Decimal("1000000.01"), Decimal("1000000.001"), Decimal("1e10"), Decimal("1e30"), Decimal("1e400")]
)
@pytest.mark.parametrize(
    "rule",
    [
        lambda price: rules.add_product("p-1", "s-1", "Dear", "", "", price),
        lambda price: rules.increase_price(a_product("10"), price),
        lambda price: rules.decrease_price(a_product("10"), price),
    ],
    ids=["add", "increase", "decrease"],
)
def test_a_price_above_the_highest_allowed_is_rejected_as_invalid(
    rule: Callable[[Decimal], Product], price: Decimal
) -> None:
    with pytest.raises(InvalidArgument) as caught:
        rule(price)
    assert caught.value.message == "the product price cannot be more than 1000000.00"


@pytest.mark.parametrize(
    ("sent", "kept"),
    [("29.970000000000002", "29.97"), ("35.970000000000006", "35.97"), ("0.30000000000000004", "0.30")],
)
def test_a_float_sum_of_whole_cents_is_that_amount(sent: str, kept: str) -> None:
    assert money(Decimal(kept)) == rules.add_product("p-1", "s-1", "Rope", "", "", Decimal(sent)).price


@pytest.mark.parametrize("sent", ["29.975", "19.990000000000000001", "0.001", "29.9700000001"])
def test_a_real_fraction_of_a_cent_is_refused(sent: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^the product price cannot have fractions of a cent$"):
        rules.add_product("p-1", "s-1", "Rope", "", "", Decimal(sent))
