"""Payment authorizations: authorized → reserved (for one order) → captured; released; expired."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.shared.errors import Conflict, InvalidArgument, NotFound
from domain.shared.money import MAX_PAYMENT, cents
from domain.shared.text import require_id


class PaymentStatus(StrEnum):
    AUTHORIZED = "authorized"
    RESERVED = "reserved"
    CAPTURED = "captured"
    RELEASED = "released"
    EXPIRED = "expired"


class Payment(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    customer_id: str
    amount: Decimal
    status: PaymentStatus = PaymentStatus.AUTHORIZED
    order_id: str | None = None

    @property
    def final(self) -> bool:
        return self.status in (PaymentStatus.CAPTURED, PaymentStatus.RELEASED, PaymentStatus.EXPIRED)


def authorize_payment(payment_id: str, customer_id: str, amount: Decimal) -> Payment:
    customer = require_id(customer_id, "customer ID")
    if not amount.is_finite() or amount <= 0:
        raise InvalidArgument("the payment amount must be greater than zero")
    if amount > MAX_PAYMENT:
        raise InvalidArgument(f"the payment amount cannot be more than {MAX_PAYMENT}")
    return Payment(id=payment_id, customer_id=customer, amount=cents(amount, "payment amount"))


def reserve_payment(
    payment: Payment | None, payment_id: str, customer_id: str, order_id: str, total: Decimal
) -> Payment:
    """Saga step 3. Repeating it for the same order answers the same reservation (retries are safe)."""
    if payment is None:
        raise NotFound(f"the payment {payment_id} does not exist")
    if payment.customer_id != customer_id:
        raise Conflict(f"the payment {payment_id} belongs to another customer")
    if payment.status is PaymentStatus.RESERVED and payment.order_id == order_id:
        return payment
    if payment.status is not PaymentStatus.AUTHORIZED:
        used = f" by order {payment.order_id}" if payment.order_id else ""
        raise Conflict(f"the payment {payment_id} is {payment.status.value}{used}")
    if payment.amount < total:
        raise Conflict(f"the payment of {payment.amount} does not cover the order total {total}")
    return payment.model_copy(update={"status": PaymentStatus.RESERVED, "order_id": order_id})


def release_payment(payment: Payment, order_id: str) -> Payment:
    """Compensation of step 3: frees this order's reservation, and nothing else. An authorization the order
    never reserved (it was cancelled or rejected first), another order's reservation, and a payment that is
    already final are left as they are; releasing twice changes nothing (retries are safe)."""
    if payment.status is not PaymentStatus.RESERVED or payment.order_id != order_id:
        return payment
    return payment.model_copy(update={"status": PaymentStatus.RELEASED})


def capture_payment(payment: Payment, order_id: str) -> Payment:
    if payment.status is PaymentStatus.CAPTURED and payment.order_id == order_id:
        return payment
    if payment.status is not PaymentStatus.RESERVED or payment.order_id != order_id:
        raise Conflict(f"the payment {payment.id} is not reserved for order {order_id}")
    return payment.model_copy(update={"status": PaymentStatus.CAPTURED})


def expire_payment(payment: Payment) -> Payment:
    if payment.status is not PaymentStatus.AUTHORIZED:
        return payment
    return payment.model_copy(update={"status": PaymentStatus.EXPIRED})
