"""The rules of payments (domain/payments/model.py), invoices (domain/payments/invoice.py) and their events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.payments import model as rules
from domain.payments.events import InvoiceEvent, PaymentEvent, invoice_event, payment_event
from domain.payments.invoice import Invoice, InvoiceStatus, cancel_invoice, pay_invoice
from domain.payments.model import Payment, PaymentStatus
from domain.shared.errors import Conflict, ErrorKind, InvalidArgument, NotFound
from domain.shared.money import MAX_PAYMENT

BLANKS = ["", " ", "   ", "\t", "\n", " \t\r\n "]
NOON = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
P = PaymentStatus


def a_payment(status: PaymentStatus = P.AUTHORIZED, order_id: str | None = None, amount: str = "20.00") -> Payment:
    return Payment(id="pay-1", customer_id="c-1", amount=Decimal(amount), status=status, order_id=order_id)


def an_invoice(status: InvoiceStatus = InvoiceStatus.PENDING) -> Invoice:
    return Invoice(
        id="inv-1", order_id="o-1", customer_id="c-1", payment_id="pay-1", amount=Decimal("20.00"), status=status
    )


# --- authorizing --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "stored"),
    [
        ("0.01", "0.01"),
        ("1", "1.00"),
        ("20", "20.00"),
        ("20.5", "20.50"),
        ("20.500", "20.50"),
        ("999999999.99", "999999999.99"),
        ("1000000000.00", "1000000000.00"),
    ],
)
def test_a_payment_is_authorized_in_cents_for_the_customer(amount: str, stored: str) -> None:
    payment = rules.authorize_payment("pay-1", "c-1", Decimal(amount))
    assert payment == Payment(id="pay-1", customer_id="c-1", amount=Decimal(stored), status=P.AUTHORIZED, order_id=None)
    assert payment.amount.as_tuple().exponent == -2
    assert payment.final is False


def test_the_highest_payment_allowed_is_accepted() -> None:
    assert rules.authorize_payment("pay-1", "c-1", MAX_PAYMENT).amount == Decimal("1000000000.00")


@pytest.mark.parametrize(
    ("customer_id", "amount", "message"),
    [(blank, "10", "the customer ID cannot be blank") for blank in BLANKS]
    + [
        ("c-1", amount, "the payment amount must be greater than zero")
        for amount in ["0", "0.00", "-0", "-0.00", "-0.01", "-0.001", "-1", "-1e400", "NaN", "Infinity", "-Infinity"]
    ]
    + [
        ("c-1", amount, "the payment amount cannot be more than 1000000000.00")
        for amount in ["1000000000.01", "1000000000.001", "1e10", "1e400"]
    ]
    + [
        ("c-1", amount, "the payment amount cannot have fractions of a cent")
        for amount in ["0.001", "0.009", "10.005", "19.999", "1e-400"]
    ]
    + [
        # the customer is checked first, then the amount being positive, then the cap, then the cents
        ("", "0", "the customer ID cannot be blank"),
        ("c-1", "-0.001", "the payment amount must be greater than zero"),
    ],
)
def test_a_payment_for_no_one_or_an_impossible_amount_is_invalid(customer_id: str, amount: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        rules.authorize_payment("pay-1", customer_id, Decimal(amount))
    assert caught.value.message == message
    assert caught.value.kind is ErrorKind.INVALID


@pytest.mark.parametrize(
    ("status", "final"),
    [(P.AUTHORIZED, False), (P.RESERVED, False), (P.CAPTURED, True), (P.RELEASED, True), (P.EXPIRED, True)],
)
def test_captured_released_and_expired_payments_are_final(status: PaymentStatus, final: bool) -> None:
    assert a_payment(status, "o-1").final is final


# --- reserving ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "total",
    ["0", "0.00", "0.01", "19.99", "20", "20.00", "20.000"],
    ids=["zero", "zero in cents", "one cent", "a cent short of the amount", "equal", "equal in cents", "equal 3dp"],
)
def test_an_authorized_payment_covering_the_total_is_reserved_for_the_order(total: str) -> None:
    payment = a_payment(P.AUTHORIZED, amount="20.00")
    reserved = rules.reserve_payment(payment, "pay-1", "c-1", "o-1", Decimal(total))
    assert reserved == payment.model_copy(update={"status": P.RESERVED, "order_id": "o-1"})
    assert reserved.amount == Decimal("20.00")  # the whole authorization is held, not just the total


@pytest.mark.parametrize("total", ["20.00", "20.01", "1000"])
def test_reserving_again_for_the_same_order_answers_the_same_reservation(total: str) -> None:
    reserved = a_payment(P.RESERVED, "o-1")
    assert rules.reserve_payment(reserved, "pay-1", "c-1", "o-1", Decimal(total)) is reserved


@pytest.mark.parametrize(
    ("payment", "customer_id", "order_id", "total", "error", "message"),
    [
        (None, "c-1", "o-1", "1", NotFound, "the payment pay-1 does not exist"),
        (a_payment(), "c-2", "o-1", "1", Conflict, "the payment pay-1 belongs to another customer"),
        (a_payment(), "", "o-1", "1", Conflict, "the payment pay-1 belongs to another customer"),
        (a_payment(), " c-1 ", "o-1", "1", Conflict, "the payment pay-1 belongs to another customer"),
        (a_payment(), "C-1", "o-1", "1", Conflict, "the payment pay-1 belongs to another customer"),
        (a_payment(P.RESERVED, "o-1"), "c-2", "o-1", "1", Conflict, "the payment pay-1 belongs to another customer"),
        (a_payment(P.RESERVED, "o-2"), "c-1", "o-1", "1", Conflict, "the payment pay-1 is reserved by order o-2"),
        (a_payment(P.CAPTURED, "o-2"), "c-1", "o-1", "1", Conflict, "the payment pay-1 is captured by order o-2"),
        (a_payment(P.CAPTURED, "o-1"), "c-1", "o-1", "1", Conflict, "the payment pay-1 is captured by order o-1"),
        (a_payment(P.RELEASED, "o-1"), "c-1", "o-1", "1", Conflict, "the payment pay-1 is released by order o-1"),
        (a_payment(P.RELEASED), "c-1", "o-1", "1", Conflict, "the payment pay-1 is released"),
        (a_payment(P.EXPIRED), "c-1", "o-1", "1", Conflict, "the payment pay-1 is expired"),
        (
            a_payment(amount="20.00"),
            "c-1",
            "o-1",
            "20.01",
            Conflict,
            "the payment of 20.00 does not cover the order total 20.01",
        ),
        (
            a_payment(amount="20.00"),
            "c-1",
            "o-1",
            "20.001",
            Conflict,
            "the payment of 20.00 does not cover the order total 20.001",
        ),
        (
            a_payment(amount="0.01"),
            "c-1",
            "o-1",
            "1000000",
            Conflict,
            "the payment of 0.01 does not cover the order total 1000000",
        ),
        # the customer is checked before the status, the status before the amount
        (a_payment(P.EXPIRED), "c-2", "o-1", "1", Conflict, "the payment pay-1 belongs to another customer"),
        (a_payment(P.RESERVED, "o-2"), "c-1", "o-1", "99", Conflict, "the payment pay-1 is reserved by order o-2"),
    ],
    ids=[
        "unknown payment",
        "another customer",
        "blank customer",
        "untrimmed customer",
        "customer of another case",
        "another customer, reserved for this order",
        "reserved by another order",
        "captured by another order",
        "captured by this order",
        "released by this order",
        "released with no order",
        "expired",
        "one cent short",
        "sub-cent short",
        "far short",
        "customer before status",
        "status before amount",
    ],
)
def test_a_payment_that_cannot_be_reserved_for_the_order_is_refused(
    payment: Payment | None,
    customer_id: str,
    order_id: str,
    total: str,
    error: type[NotFound | Conflict],
    message: str,
) -> None:
    with pytest.raises(error) as caught:
        rules.reserve_payment(payment, "pay-1", customer_id, order_id, Decimal(total))
    assert type(caught.value) is error
    assert caught.value.message == message


def test_a_payment_for_a_malformed_customer_id_is_refused_so_ids_compare_as_given() -> None:
    # IDs are never trimmed: " c-1 " is refused up front instead of being stored as "c-1" and compared as given
    with pytest.raises(InvalidArgument, match=r"^the customer ID is not a valid ID$"):
        rules.authorize_payment("pay-1", " c-1 ", Decimal("20"))
    payment = rules.authorize_payment("pay-1", "c-1", Decimal("20"))
    assert rules.reserve_payment(payment, "pay-1", "c-1", "o-1", Decimal("20")).status is P.RESERVED


# --- releasing ----------------------------------------------------------------------------------------


def test_releasing_frees_this_orders_reservation() -> None:
    released = rules.release_payment(a_payment(P.RESERVED, "o-1"), "o-1")
    assert released == a_payment(P.RELEASED, "o-1")
    assert released.final is True


@pytest.mark.parametrize(
    "payment",
    [
        # an order cancelled or rejected before step 3 never held it: the authorization stays usable
        a_payment(P.AUTHORIZED),
        a_payment(P.RESERVED, "o-2"),
        a_payment(P.CAPTURED, "o-1"),
        a_payment(P.CAPTURED, "o-2"),
        a_payment(P.RELEASED, "o-1"),
        a_payment(P.RELEASED, "o-2"),
        a_payment(P.EXPIRED),
    ],
    ids=[
        "authorized, never reserved",
        "reserved for another order",
        "captured by this order",
        "captured by another order",
        "already released by this order",
        "already released by another order",
        "expired",
    ],
)
def test_releasing_what_this_order_does_not_hold_changes_nothing(payment: Payment) -> None:
    assert rules.release_payment(payment, "o-1") is payment


def test_releasing_twice_changes_nothing_the_second_time() -> None:
    once = rules.release_payment(a_payment(P.RESERVED, "o-1"), "o-1")
    assert rules.release_payment(once, "o-1") is once
    assert once == a_payment(P.RELEASED, "o-1")


# --- capturing and expiring ---------------------------------------------------------------------------


def test_a_payment_reserved_for_the_order_is_captured() -> None:
    payment = a_payment(P.RESERVED, "o-1")
    assert rules.capture_payment(payment, "o-1") == payment.model_copy(update={"status": P.CAPTURED})


def test_capturing_again_for_the_same_order_answers_the_same_capture() -> None:
    captured = a_payment(P.CAPTURED, "o-1")
    assert rules.capture_payment(captured, "o-1") is captured


@pytest.mark.parametrize(
    "payment",
    [
        a_payment(P.AUTHORIZED),
        a_payment(P.RESERVED, "o-2"),
        a_payment(P.CAPTURED, "o-2"),
        a_payment(P.RELEASED, "o-1"),
        a_payment(P.RELEASED, "o-2"),
        a_payment(P.EXPIRED),
    ],
    ids=[
        "authorized",
        "reserved for another order",
        "captured by another order",
        "released by this order",
        "released by another order",
        "expired",
    ],
)
def test_a_payment_not_reserved_for_the_order_cannot_be_captured(payment: Payment) -> None:
    with pytest.raises(Conflict) as caught:
        rules.capture_payment(payment, "o-1")
    assert caught.value.message == "the payment pay-1 is not reserved for order o-1"
    assert caught.value.kind is ErrorKind.CONFLICT


def test_an_authorized_payment_expires() -> None:
    payment = a_payment(P.AUTHORIZED)
    assert rules.expire_payment(payment) == payment.model_copy(update={"status": P.EXPIRED})
    assert rules.expire_payment(payment).final is True


@pytest.mark.parametrize(
    "payment",
    [
        a_payment(P.RESERVED, "o-1"),
        a_payment(P.CAPTURED, "o-1"),
        a_payment(P.RELEASED, "o-1"),
        a_payment(P.EXPIRED),
    ],
    ids=["reserved", "captured", "released", "already expired"],
)
def test_a_payment_that_is_no_longer_only_authorized_does_not_expire(payment: Payment) -> None:
    assert rules.expire_payment(payment) is payment


# --- the lifecycle: every status x every command ------------------------------------------------------

COMMANDS: dict[str, Callable[[Payment], Payment]] = {
    "reserve": lambda p: rules.reserve_payment(p, "pay-1", "c-1", "o-1", Decimal("20.00")),
    "release": lambda p: rules.release_payment(p, "o-1"),
    "capture": lambda p: rules.capture_payment(p, "o-1"),
    "expire": rules.expire_payment,
}

# the payments as this order (o-1) of this customer (c-1) may find them
STATES: dict[str, Payment] = {
    "authorized": a_payment(P.AUTHORIZED),
    "reserved here": a_payment(P.RESERVED, "o-1"),
    "reserved elsewhere": a_payment(P.RESERVED, "o-2"),
    "captured here": a_payment(P.CAPTURED, "o-1"),
    "captured elsewhere": a_payment(P.CAPTURED, "o-2"),
    "released": a_payment(P.RELEASED, "o-2"),
    "expired": a_payment(P.EXPIRED),
}

SAME = "unchanged"
# state -> command -> (status, order_id) after, SAME for the very same payment back, or the conflict message
OUTCOMES: dict[str, dict[str, tuple[PaymentStatus, str | None] | str]] = {
    "authorized": {
        "reserve": (P.RESERVED, "o-1"),
        "release": SAME,  # this order never held it: the authorization stays usable
        "capture": "the payment pay-1 is not reserved for order o-1",
        "expire": (P.EXPIRED, None),
    },
    "reserved here": {
        "reserve": SAME,
        "release": (P.RELEASED, "o-1"),
        "capture": (P.CAPTURED, "o-1"),
        "expire": SAME,
    },
    "reserved elsewhere": {
        "reserve": "the payment pay-1 is reserved by order o-2",
        "release": SAME,
        "capture": "the payment pay-1 is not reserved for order o-1",
        "expire": SAME,
    },
    "captured here": {
        "reserve": "the payment pay-1 is captured by order o-1",
        "release": SAME,
        "capture": SAME,
        "expire": SAME,
    },
    "captured elsewhere": {
        "reserve": "the payment pay-1 is captured by order o-2",
        "release": SAME,
        "capture": "the payment pay-1 is not reserved for order o-1",
        "expire": SAME,
    },
    "released": {
        "reserve": "the payment pay-1 is released by order o-2",
        "release": SAME,
        "capture": "the payment pay-1 is not reserved for order o-1",
        "expire": SAME,
    },
    "expired": {
        "reserve": "the payment pay-1 is expired",
        "release": SAME,
        "capture": "the payment pay-1 is not reserved for order o-1",
        "expire": SAME,
    },
}

LIFECYCLE = [(state, command) for state in STATES for command in COMMANDS]


def test_the_payment_lifecycle_table_covers_every_status_and_command() -> None:
    assert {p.status for p in STATES.values()} == set(PaymentStatus)
    assert set(OUTCOMES) == set(STATES)
    assert all(set(row) == set(COMMANDS) for row in OUTCOMES.values())


@pytest.mark.parametrize(("state", "command"), LIFECYCLE, ids=[f"{s}-{c}" for s, c in LIFECYCLE])
def test_every_payment_command_in_every_status_is_applied_answered_or_a_conflict(state: str, command: str) -> None:
    payment = STATES[state]
    outcome = OUTCOMES[state][command]
    if outcome == SAME:
        assert COMMANDS[command](payment) is payment
    elif isinstance(outcome, str):
        with pytest.raises(Conflict) as caught:
            COMMANDS[command](payment)
        assert caught.value.message == outcome
    else:
        after = COMMANDS[command](payment)
        assert (after.status, after.order_id) == outcome
        assert (after.id, after.customer_id, after.amount) == ("pay-1", "c-1", Decimal("20.00"))


def test_payment_state_is_immutable() -> None:
    payment = a_payment()
    rules.reserve_payment(payment, "pay-1", "c-1", "o-1", Decimal("1"))
    rules.release_payment(payment, "o-1")
    rules.expire_payment(payment)
    assert payment == a_payment()
    with pytest.raises(ValidationError, match="frozen"):
        payment.status = P.CAPTURED  # type: ignore[misc]


# --- invoices -----------------------------------------------------------------------------------------


def test_a_new_invoice_is_pending() -> None:
    invoice = Invoice(id="inv-1", order_id="o-1", customer_id="c-1", payment_id="pay-1", amount=Decimal("20.00"))
    assert invoice.status is InvoiceStatus.PENDING


@pytest.mark.parametrize(
    ("rule", "to"),
    [(pay_invoice, InvoiceStatus.PAID), (cancel_invoice, InvoiceStatus.CANCELLED)],
    ids=["pay", "cancel"],
)
def test_a_pending_invoice_is_paid_or_cancelled_keeping_everything_else(
    rule: Callable[[Invoice], Invoice], to: InvoiceStatus
) -> None:
    invoice = an_invoice()
    assert rule(invoice) == invoice.model_copy(update={"status": to})
    assert invoice.status is InvoiceStatus.PENDING


@pytest.mark.parametrize("status", [InvoiceStatus.PAID, InvoiceStatus.CANCELLED])
@pytest.mark.parametrize(
    ("rule", "action"),
    [(pay_invoice, "paid"), (cancel_invoice, "cancelled")],
    ids=["pay", "cancel"],
)
def test_an_invoice_that_is_no_longer_pending_can_be_neither_paid_nor_cancelled(
    rule: Callable[[Invoice], Invoice], action: str, status: InvoiceStatus
) -> None:
    with pytest.raises(Conflict) as caught:
        rule(an_invoice(status))
    assert caught.value.message == f"the invoice is {status.value}; only a pending invoice can be {action}"
    assert caught.value.kind is ErrorKind.CONFLICT


def test_invoice_state_is_immutable() -> None:
    invoice = an_invoice()
    pay_invoice(invoice)
    with pytest.raises(ValidationError, match="frozen"):
        invoice.status = InvoiceStatus.PAID  # type: ignore[misc]
    assert invoice == an_invoice()


# --- events -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "payments.PaymentAuthorized",
        "payments.PaymentReserved",
        "payments.PaymentCaptured",
        "payments.PaymentReleased",
        "payments.PaymentExpired",
    ],
)
def test_a_payment_event_carries_the_full_snapshot_under_the_payment_id(name: str) -> None:
    payment = a_payment(P.RESERVED, "o-1")
    event = payment_event(name, 2, NOON, payment)
    assert (event.name, event.aggregate_id, event.number, event.occurred_at) == (name, "pay-1", 2, NOON)
    assert event.payment == payment
    assert PaymentEvent.model_validate_json(event.model_dump_json()) == event


@pytest.mark.parametrize("name", ["payments.InvoiceCreated", "payments.InvoicePaid", "payments.InvoiceCancelled"])
def test_an_invoice_event_carries_the_full_snapshot_under_the_invoice_id(name: str) -> None:
    invoice = an_invoice()
    event = invoice_event(name, 1, NOON, invoice)
    assert (event.name, event.aggregate_id, event.number, event.occurred_at) == (name, "inv-1", 1, NOON)
    assert event.invoice == invoice
    assert InvoiceEvent.model_validate_json(event.model_dump_json()) == event


@pytest.mark.parametrize(
    "build",
    [
        lambda: payment_event("payments.InvoicePaid", 1, NOON, a_payment()),
        lambda: payment_event("", 1, NOON, a_payment()),
        lambda: invoice_event("payments.PaymentCaptured", 1, NOON, an_invoice()),
        lambda: invoice_event("payments.InvoiceDeleted", 1, NOON, an_invoice()),
    ],
    ids=["invoice name on a payment", "blank", "payment name on an invoice", "unknown invoice event"],
)
def test_a_payments_event_with_a_name_of_the_wrong_kind_cannot_be_built(build: Callable[[], object]) -> None:
    with pytest.raises(ValidationError, match="name"):
        build()
