from __future__ import annotations

from datetime import datetime
from typing import Literal

from domain.ordering.model import Order
from domain.shared.events import DomainEvent, build_event

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
    return build_event(OrderEvent, name, number, occurred_at, order=order)
