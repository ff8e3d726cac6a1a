from __future__ import annotations

from datetime import datetime
from typing import Literal

from domain.ordering.model import Order
from domain.shared.events import DomainEvent

OrderEventName = Literal[
    "ordering.OrderCreated",
    "ordering.OrderApproved",
    "ordering.OrderRejected",
    "ordering.OrderReadied",
    "ordering.OrderCompleted",
    "ordering.OrderCancelled",
]


class OrderEvent(DomainEvent):
    name: OrderEventName
    order: Order


def order_event(name: str, number: int, occurred_at: datetime, order: Order) -> OrderEvent:
    return OrderEvent.model_validate(
        {"name": name, "aggregate_id": order.id, "number": number, "occurred_at": occurred_at, "order": order}
    )
