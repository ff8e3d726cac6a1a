"""``/api/ordering``: orders (started by checkout, or directly), their state, and cancellation."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.access import Caller, acting_customer
from api.deps import (
    ACCEPTS_IDEMPOTENCY_KEY,
    IdempotencyKey,
    OrderingReadModel,
    RequestDeadline,
    TemporalClient,
    command,
    get_or_404,
    new_id,
)
from api.http import JsonRoute
from api.schemas import (
    ERROR_RESPONSES,
    MAX_ITEMS,
    ApiModel,
    CustomerId,
    IdResponse,
    MoneyOut,
    OrderIdPath,
    PaymentId,
    ProductId,
    Quantity,
    RequestModel,
)
from domain.ordering import model as rules
from domain.ordering.model import Order, OrderStatus
from domain.shared.errors import Conflict
from readmodels.ordering import queries
from readmodels.ordering.tables import OrderRow
from workflows.ordering.messages import (
    MAX_WAIT_SECONDS,
    TASK_QUEUE,
    OrderWorkflowInput,
    RequestedItem,
    WaitForStatus,
    order_workflow_id,
)
from workflows.ordering.order_workflow import OrderWorkflow
from workflows.search_attributes import CUSTOMER_ID, ORDER_ID
from workflows.shared.summaries import counted

router = APIRouter(prefix="/api/ordering", tags=["ordering"], responses=ERROR_RESPONSES, route_class=JsonRoute)


class OrderItemRequest(RequestModel):
    product_id: ProductId = ""
    quantity: Quantity = 1


class CreateOrderRequest(RequestModel):
    customer_id: CustomerId = ""
    payment_id: PaymentId = ""
    items: Annotated[list[OrderItemRequest], Field(max_length=MAX_ITEMS, json_schema_extra={"minItems": 1})] = []


class OrderItemView(ApiModel):
    product_id: str
    store_id: str
    store_name: str
    product_name: str
    price: MoneyOut
    quantity: int


class OrderView(ApiModel):
    id: str
    customer_id: str
    payment_id: str
    items: list[OrderItemView]
    total: MoneyOut
    status: str
    shopping_id: str | None = None
    invoice_id: str | None = None
    reason: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class OrderResponse(ApiModel):
    order: OrderView


def _view(order: Order | OrderRow) -> OrderResponse:
    return OrderResponse(order=OrderView.model_validate(order, from_attributes=True))


@router.post("", response_model=IdResponse)
async def create_order(
    body: CreateOrderRequest, client: TemporalClient, principal: Caller, key: IdempotencyKey = None
) -> IdResponse:
    """An order without a basket: the saga prices the items from the mall's catalogue."""
    customer_id = acting_customer(principal, body.customer_id)
    for item in body.items:
        rules.validate_request(customer_id, body.payment_id, {item.product_id: item.quantity})
    quantities: dict[str, int] = {}
    for item in body.items:  # the same product twice is one line
        quantities[item.product_id] = quantities.get(item.product_id, 0) + item.quantity
    rules.validate_request(customer_id, body.payment_id, quantities)
    order_id = new_id("ordering", key)
    order_input = OrderWorkflowInput(
        order_id=order_id,
        customer_id=customer_id,
        payment_id=body.payment_id,
        requested=[RequestedItem(product_id=p, quantity=q) for p, q in quantities.items()],
    )
    return IdResponse(id=await _start(client, order_input))


async def _start(client: TemporalClient, order_input: OrderWorkflowInput) -> str:
    # The same Idempotency-Key after the order finished is the same order: nothing to start.
    items = counted(len(order_input.requested), "item")
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            OrderWorkflow.run,
            order_input,
            id=order_workflow_id(order_input.order_id),
            task_queue=TASK_QUEUE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(ORDER_ID, order_input.order_id),
                    SearchAttributePair(CUSTOMER_ID, order_input.customer_id),
                ]
            ),
            static_summary=f"Order {order_input.order_id[:8]}… · {items} (direct)",
        )
    return order_input.order_id


# A wait answers this much before the request's deadline, so it is never a 503.
WAIT_MARGIN_SECONDS = 0.5
_STATUS = "|".join(s.value for s in OrderStatus)
WaitFor = Annotated[
    str | None,
    Query(
        alias="waitFor",
        max_length=200,
        pattern=f"^({_STATUS})(,({_STATUS}))*$",
        description="comma-separated statuses: answer once the order is in one of them or in a final one",
    ),
]
WaitTimeout = Annotated[
    float,
    Query(
        alias="timeout",
        gt=0,
        le=MAX_WAIT_SECONDS,
        description="seconds to wait at most (capped by the request's deadline)",
    ),
]


@router.get("/{order_id}", response_model=OrderResponse)
async def get_order(
    order_id: OrderIdPath,
    db: OrderingReadModel,
    client: TemporalClient,
    deadline: RequestDeadline,
    wait_for: WaitFor = None,
    wait_seconds: WaitTimeout = 10.0,
) -> OrderResponse:
    """With ``waitFor``, a long poll: answers as soon as the order is in one of those statuses, or a final one
    (``completed``, ``rejected``, ``cancelled``), or after ``timeout`` seconds with the order as it is then. The
    order's workflow says when (no polling); the answer is then read from the read model, as without it."""
    if wait_for is not None:
        statuses = [OrderStatus(s) for s in wait_for.split(",")]
        seconds = max(min(wait_seconds, deadline - WAIT_MARGIN_SECONDS), 0.1)
        with contextlib.suppress(RPCError):  # not started yet, or ended: the read model says which
            await client.get_workflow_handle(order_workflow_id(order_id)).execute_update(
                OrderWorkflow.wait_for_status, WaitForStatus(statuses=statuses, timeout_seconds=seconds)
            )
    return _view(await _order_row(db, order_id))


async def _order_row(db: OrderingReadModel, order_id: str) -> OrderRow:
    return await get_or_404(queries.get_order(db, order_id), f"order {order_id}")


@router.delete("/{order_id}", response_model=OrderResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY])
async def cancel_order(order_id: OrderIdPath, client: TemporalClient, db: OrderingReadModel) -> OrderResponse:
    """Allowed while pending or approved; stops the saga cleanly and undoes what it did."""

    async def closed() -> None:
        row = await _order_row(db, order_id)
        raise Conflict(f"the order is {row.status} and can no longer be cancelled")

    order: Order = await command(
        client, order_workflow_id(order_id), OrderWorkflow.cancel, f"order {order_id}", when_closed=closed
    )
    return _view(order)
