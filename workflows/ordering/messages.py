"""Ordering: task queue, IDs, the saga's input, signals and the activity payloads of every saga step."""

from __future__ import annotations

from pydantic import BaseModel

from domain.notifications import NOTIFIED_EVENTS
from domain.ordering.events import OrderEvent, order_event
from domain.ordering.model import OrderItem, OrderStatus
from workflows.shared.spec import EntitySpec

TASK_QUEUE = "ordering"
ORDER = EntitySpec(
    OrderEvent,
    order_event,
    subscribers=("ordering", "search", "notifications"),
    home_queue=TASK_QUEUE,
    interests=(("notifications", NOTIFIED_EVENTS),),  # no SMS for an approval: it is not sent there
)


def order_workflow_id(order_id: str) -> str:
    return f"order:{order_id}"


class RequestedItem(BaseModel):
    product_id: str
    quantity: int


class OrderWorkflowInput(BaseModel):
    order_id: str
    customer_id: str
    payment_id: str
    items: list[OrderItem] | None = None  # priced by the basket at checkout
    requested: list[RequestedItem] = []  # a direct order: priced by the saga's first step
    basket_id: str | None = None


class ShoppingListCompleted(BaseModel):
    shopping_id: str


class ShoppingListCancelled(BaseModel):
    shopping_id: str


class InvoicePaid(BaseModel):
    invoice_id: str


class WaitForStatus(BaseModel):
    """``GET /api/ordering/{id}?waitFor=…``: wait until the order is in one of ``statuses`` (or final), for at most
    ``timeout_seconds``."""

    statuses: list[OrderStatus]
    timeout_seconds: float


MAX_WAIT_SECONDS = 60.0


class PriceItems(BaseModel):
    items: list[RequestedItem]
