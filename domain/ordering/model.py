"""Orders: the lifecycle the create-order saga and fulfilment drive. Pure rules."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, computed_field

from domain.shared.errors import Conflict, InvalidArgument
from domain.shared.lines import MAX_LINES, LineItem, lines_total, require_quantity
from domain.shared.text import require_id


class OrderStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    READY = "ready"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


FINAL = (OrderStatus.COMPLETED, OrderStatus.REJECTED, OrderStatus.CANCELLED)


OrderItem = LineItem  # an order's line is the basket line it was checked out with, price and names included


class Order(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    customer_id: str
    payment_id: str
    items: tuple[OrderItem, ...]
    status: OrderStatus = OrderStatus.PENDING
    basket_id: str | None = None
    shopping_id: str | None = None
    invoice_id: str | None = None
    reason: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> Decimal:
        return lines_total(self.items)

    @property
    def store_ids(self) -> list[str]:
        return sorted({i.store_id for i in self.items})


def validate_request(customer_id: str, payment_id: str, quantities: dict[str, int]) -> None:
    """The checks any order request must pass before a saga is started."""
    require_id(customer_id, "customer ID")
    require_id(payment_id, "payment ID")
    if not quantities:
        raise InvalidArgument("the order has no items")
    if len(quantities) > MAX_LINES:
        raise InvalidArgument(f"an order holds at most {MAX_LINES} different products")
    for product_id, quantity in quantities.items():
        require_id(product_id, "product ID")
        require_quantity(quantity)


def _move(order: Order, allowed: tuple[OrderStatus, ...], to: OrderStatus, at: datetime, **changes: object) -> Order:
    if order.status not in allowed:
        raise Conflict(f"the order is {order.status.value}; it cannot become {to.value}")
    return order.model_copy(update={"status": to, "updated_at": at, **changes})


def approve(order: Order, shopping_id: str, at: datetime) -> Order:
    return _move(order, (OrderStatus.PENDING,), OrderStatus.APPROVED, at, shopping_id=shopping_id)


def reject(order: Order, reason: str, at: datetime, shopping_id: str | None = None) -> Order:
    """``shopping_id``: the list the saga had opened before it was refused (then cancelled), if any."""
    return _move(order, (OrderStatus.PENDING,), OrderStatus.REJECTED, at, reason=reason, shopping_id=shopping_id)


def ready(order: Order, invoice_id: str, at: datetime) -> Order:
    return _move(order, (OrderStatus.APPROVED,), OrderStatus.READY, at, invoice_id=invoice_id)


def complete(order: Order, at: datetime) -> Order:
    return _move(order, (OrderStatus.READY,), OrderStatus.COMPLETED, at)


def ensure_cancellable(order: Order) -> Order:
    if order.status not in (OrderStatus.PENDING, OrderStatus.APPROVED):
        raise Conflict(f"the order is {order.status.value} and can no longer be cancelled")
    return order


def cancel(order: Order, at: datetime, shopping_id: str | None = None) -> Order:
    """A pending order keeps the list its saga had opened (then cancelled), if any; an approved one has it."""
    return _move(
        order,
        (OrderStatus.PENDING, OrderStatus.APPROVED),
        OrderStatus.CANCELLED,
        at,
        shopping_id=order.shopping_id or shopping_id,
    )
