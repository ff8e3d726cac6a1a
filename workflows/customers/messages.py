"""Customers: task queue, workflow IDs, inputs and command payloads."""

from __future__ import annotations

from pydantic import BaseModel

from domain.customers.model import Customer

TASK_QUEUE = "customers"
CUSTOMER_SUBSCRIBERS = ("customers", "notifications", "search")


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
