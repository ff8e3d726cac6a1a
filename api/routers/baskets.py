"""``/api/baskets``: a customer's basket, from start to checkout."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from activities.baskets.activities import catalog_products
from activities.baskets.tables import BasketRow
from activities.shared.temporal import create_entity, start_entity
from api.deps import Context, IdempotencyKey, new_id, update
from api.schemas import ERROR_RESPONSES, ApiModel, IdResponse
from domain.baskets import model as rules
from domain.baskets.model import Basket
from domain.shared.errors import Conflict, NotFound
from workflows.baskets.basket_workflow import BasketWorkflow
from workflows.baskets.messages import (
    TASK_QUEUE,
    AddItem,
    BasketWorkflowInput,
    Checkout,
    RemoveItem,
    StartBasket,
    basket_workflow_id,
)
from workflows.search_attributes import BASKET_ID, CUSTOMER_ID

router = APIRouter(prefix="/api/baskets", tags=["baskets"], responses=ERROR_RESPONSES)


class StartBasketRequest(ApiModel):
    customer_id: str


class ItemRequest(ApiModel):
    product_id: str
    quantity: int = 1


class CheckoutRequest(ApiModel):
    payment_id: str = ""


class BasketItemView(ApiModel):
    product_id: str
    store_id: str
    store_name: str
    product_name: str
    price: float
    quantity: int


class BasketView(ApiModel):
    id: str
    customer_id: str
    status: str
    items: list[BasketItemView]
    total: float
    payment_id: str | None = None


class BasketResponse(ApiModel):
    basket: BasketView


def _view(basket: Basket | BasketRow) -> BasketResponse:
    return BasketResponse(basket=BasketView.model_validate(basket, from_attributes=True))


@router.post("", response_model=IdResponse)
async def start_basket(body: StartBasketRequest, ctx: Context, key: IdempotencyKey = None) -> IdResponse:
    basket_id = new_id("baskets", key)
    rules.start_basket(basket_id, body.customer_id)
    start = start_entity(
        BasketWorkflow.run,
        BasketWorkflowInput(
            basket_id=basket_id,
            ttl_seconds=ctx.basket_ttl_seconds,
            continue_as_new_after=ctx.continue_as_new_after,
        ),
        id=basket_workflow_id(basket_id),
        task_queue=TASK_QUEUE,
        search_attributes=TypedSearchAttributes(
            [SearchAttributePair(BASKET_ID, basket_id), SearchAttributePair(CUSTOMER_ID, body.customer_id)]
        ),
        static_summary=f"Basket of customer {body.customer_id[:8]}…",
    )
    created = await create_entity(
        ctx.client, BasketWorkflow.start, StartBasket(customer_id=body.customer_id), start, key
    )
    if created is None:
        await _basket_row(ctx, basket_id)  # closed: fine if it was created, else the key's first use failed
    return IdResponse(id=basket_id)


@router.get("/{basket_id}", response_model=BasketResponse)
async def get_basket(basket_id: str, ctx: Context) -> BasketResponse:
    return _view(await _basket_row(ctx, basket_id))


async def _basket_row(ctx: Context, basket_id: str) -> BasketRow:
    async with ctx.sessions("baskets")() as session:
        row = await session.get(BasketRow, basket_id)
    if row is None:
        raise NotFound(f"the basket {basket_id} does not exist")
    return row


async def _command(ctx: Context, basket_id: str, command: Any, arg: object = None) -> BasketResponse:
    async def closed() -> None:
        row = await _basket_row(ctx, basket_id)
        raise Conflict(f"the basket is {row.status.replace('_', ' ')}")

    handle = ctx.client.get_workflow_handle(basket_workflow_id(basket_id))
    basket: Basket = await update(handle, command, f"basket {basket_id}", arg, when_closed=closed)
    return _view(basket)


@router.put("/{basket_id}/addItem", response_model=BasketResponse)
async def add_item(basket_id: str, body: ItemRequest, ctx: Context) -> BasketResponse:
    # Names and prices come from baskets' own copy of the catalogue (event-carried state).
    product = (await catalog_products(ctx.sessions("baskets"), [body.product_id])).get(body.product_id)
    cmd = AddItem(product_id=body.product_id, quantity=body.quantity, product=product)
    return await _command(ctx, basket_id, BasketWorkflow.add_item, cmd)


@router.put("/{basket_id}/removeItem", response_model=BasketResponse)
async def remove_item(basket_id: str, body: ItemRequest, ctx: Context) -> BasketResponse:
    cmd = RemoveItem(product_id=body.product_id, quantity=body.quantity)
    return await _command(ctx, basket_id, BasketWorkflow.remove_item, cmd)


@router.put("/{basket_id}/checkout", response_model=BasketResponse)
async def checkout(basket_id: str, body: CheckoutRequest, ctx: Context) -> BasketResponse:
    """Starts the order (its ID is the basket's ID) and closes the basket."""
    return await _command(ctx, basket_id, BasketWorkflow.checkout, Checkout(payment_id=body.payment_id))


@router.delete("/{basket_id}", response_model=BasketResponse)
async def cancel_basket(basket_id: str, ctx: Context) -> BasketResponse:
    return await _command(ctx, basket_id, BasketWorkflow.cancel)
