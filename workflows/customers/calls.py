"""What other workflows ask of the customers service."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.customers.model import Customer
    from workflows.customers.messages import TASK_QUEUE, AuthorizeCustomer
    from workflows.shared.activity_options import ACTIVITY_TIMEOUT, TRANSIENT_RETRY


async def authorize_customer(customer_id: str) -> Customer:
    """The customer is registered and enabled, or a non-retryable NotFound / Conflict failure is raised."""
    customer: Customer = await workflow.execute_activity(
        "authorize_customer",
        AuthorizeCustomer(customer_id=customer_id),
        result_type=Customer,
        task_queue=TASK_QUEUE,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        retry_policy=TRANSIENT_RETRY,
    )
    return customer
