"""Customers: task queue, workflow IDs, inputs and command payloads."""

from __future__ import annotations

from pydantic import BaseModel

from domain.customers.events import CustomerEvent, customer_event
from domain.customers.model import Customer
from workflows.shared.spec import EntitySpec

TASK_QUEUE = "customers"
# Notifications' copy holds the SMS number the next order's messages go to: a command waits a moment for it.
CUSTOMER = EntitySpec(
    CustomerEvent,
    customer_event,
    subscribers=("customers", "notifications", "search"),
    home_queue=TASK_QUEUE,
    read_by_commands=("notifications",),
)


def customer_workflow_id(customer_id: str) -> str:
    return f"customer:{customer_id}"


class CustomerWorkflowInput(BaseModel):
    customer_id: str
    customer: Customer | None = None
    number: int = 0
    continue_as_new_after: int = 1000


class RegisterCustomer(BaseModel):
    name: str
    sms_number: str


class ChangeSmsNumber(BaseModel):
    sms_number: str


class AuthorizeCustomer(BaseModel):
    customer_id: str


class AuthorizedCustomer(BaseModel):
    """What a saga learns from authorizing a customer: that it may go on. Never the name or SMS number: this
    result is written into every basket's, payment's and order's history. (``id`` is the field name the full
    customer had, so the results recorded before, which carried it all, still replay: the rest is ignored.)"""

    id: str
    enabled: bool
