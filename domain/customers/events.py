from __future__ import annotations

from datetime import datetime
from typing import Literal

from domain.customers.model import Customer
from domain.shared.events import DomainEvent, build_event

CustomerEventName = Literal[
    "customers.CustomerRegistered",
    "customers.CustomerSmsChanged",
    "customers.CustomerEnabled",
    "customers.CustomerDisabled",
]


class CustomerEvent(DomainEvent):
    name: CustomerEventName
    customer: Customer


def customer_event(name: str, number: int, occurred_at: datetime, customer: Customer) -> CustomerEvent:
    return build_event(CustomerEvent, name, number, occurred_at, customer=customer)
