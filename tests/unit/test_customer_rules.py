"""The rules of customers (domain/customers/model.py), table-driven."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.customers import model as rules
from domain.customers.model import Customer
from domain.shared.errors import Conflict, DomainError, ErrorKind, InvalidArgument, NotFound

BLANKS = ["", " ", "   ", "\t", "\n", " \t\r\n "]

VALID_SMS = [
    "5551234567",
    "+15551234567",
    "+1 555 123 4567",
    "+1 (555) 123-4567",
    "555.123.4567",
    "555)123(4567",
    "12345",  # the fewest digits accepted: five
    "1" + "2" * 14,  # the most digits accepted: fifteen (E.164)
    "+1 (555) 123 - 4567 . 89",  # punctuation does not count
]

INVALID_SMS = [
    "abc",
    "phone me",
    "555-CALL-NOW",
    "1234",  # too short
    "+",
    "++15551234567",
    "(555) 123-4567",  # must start with a digit (after an optional +)
    "-5551234567",
    "1" + "2" * 15,  # sixteen digits: too many
    "1" + " " * 30,  # too long
    "1----",  # one digit
    "12 . - ( ) 3",  # three digits
    "555 123 4567 ext 9",
]


def a_customer(enabled: bool = True) -> Customer:
    return Customer(id="c-1", name="Ada", sms_number="+15551234567", enabled=enabled)


def test_a_customer_is_registered_trimmed_and_enabled() -> None:
    customer = rules.register_customer("c-1", "  Ada Lovelace ", " +1 555 123 4567 ")
    assert customer == Customer(id="c-1", name="Ada Lovelace", sms_number="+1 555 123 4567", enabled=True)


@pytest.mark.parametrize("sms", VALID_SMS)
def test_a_phone_number_is_accepted_as_sms_number(sms: str) -> None:
    assert rules.register_customer("c-1", "Ada", sms).sms_number == sms
    assert rules.change_sms_number(a_customer(), sms).sms_number == sms


@pytest.mark.parametrize(
    ("name", "sms", "message"),
    [(blank, "+15551234567", "the customer name cannot be blank") for blank in BLANKS]
    + [("Ada", blank, "the SMS number cannot be blank") for blank in BLANKS]
    + [("", "", "the customer name cannot be blank")],
)
def test_a_customer_with_a_blank_name_or_sms_number_is_rejected(name: str, sms: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        rules.register_customer("c-1", name, sms)
    assert caught.value.message == message
    assert caught.value.kind is ErrorKind.INVALID


@pytest.mark.parametrize(
    ("name", "sms", "message"),
    [
        ("Ada\x00", "+15551234567", "the customer name cannot contain control characters"),
        ("Ada\x1b[31m", "+15551234567", "the customer name cannot contain control characters"),
        ("A" * 101, "+15551234567", "the customer name cannot be longer than 100 characters"),
        ("Ada", "5551234567\x00", "the SMS number cannot contain control characters"),
        ("Ada", "1" * 33, "the SMS number cannot be longer than 32 characters"),
    ],
)
def test_a_customer_with_control_characters_or_overlong_text_is_rejected(name: str, sms: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        rules.register_customer("c-1", name, sms)
    assert caught.value.message == message


@pytest.mark.parametrize("sms", INVALID_SMS)
def test_an_sms_number_that_is_not_a_phone_number_is_rejected_on_registration(sms: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        rules.register_customer("c-1", "Ada", sms)
    assert caught.value.message == f"the SMS number {sms.strip()!r} is not a phone number"


def test_the_sms_number_is_changed_keeping_everything_else() -> None:
    customer = a_customer(enabled=False)
    changed = rules.change_sms_number(customer, "  555 000 1111 ")
    assert changed == customer.model_copy(update={"sms_number": "555 000 1111"})
    assert customer.sms_number == "+15551234567"


@pytest.mark.parametrize("blank", BLANKS)
def test_a_blank_sms_number_is_rejected_on_change(blank: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^the SMS number cannot be blank$"):
        rules.change_sms_number(a_customer(), blank)


@pytest.mark.parametrize("sms", INVALID_SMS)
def test_an_sms_number_that_is_not_a_phone_number_is_rejected_on_change(sms: str) -> None:
    with pytest.raises(InvalidArgument, match="is not a phone number"):
        rules.change_sms_number(a_customer(), sms)


def test_a_customer_is_disabled_then_enabled_again() -> None:
    disabled = rules.disable_customer(a_customer(enabled=True))
    assert disabled == a_customer(enabled=False)
    assert rules.enable_customer(disabled) == a_customer(enabled=True)


@pytest.mark.parametrize(
    ("rule", "enabled", "message"),
    [
        (rules.enable_customer, True, "the customer is already enabled"),
        (rules.disable_customer, False, "the customer is already disabled"),
    ],
    ids=["enable twice", "disable twice"],
)
def test_enabling_or_disabling_a_customer_twice_is_a_conflict(
    rule: Callable[[Customer], Customer], enabled: bool, message: str
) -> None:
    with pytest.raises(Conflict) as caught:
        rule(a_customer(enabled))
    assert caught.value.message == message
    assert caught.value.kind is ErrorKind.CONFLICT


def test_an_enabled_customer_is_authorized() -> None:
    customer = a_customer(enabled=True)
    assert rules.authorize_customer(customer, "c-1") is customer


@pytest.mark.parametrize(
    ("customer", "error", "kind", "message"),
    [
        (None, NotFound, ErrorKind.NOT_FOUND, "the customer c-9 is not registered"),
        (a_customer(enabled=False), Conflict, ErrorKind.CONFLICT, "the customer c-9 is disabled"),
    ],
    ids=["unknown customer", "disabled customer"],
)
def test_an_unknown_or_disabled_customer_is_not_authorized(
    customer: Customer | None, error: type[DomainError], kind: ErrorKind, message: str
) -> None:
    with pytest.raises(error) as caught:
        rules.authorize_customer(customer, "c-9")
    assert caught.value.kind is kind
    assert caught.value.message == message
