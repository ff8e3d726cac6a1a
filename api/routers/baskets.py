"""``/api/baskets``: a customer's basket, from start to checkout."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import computed_field
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from api.access import Caller, acting_customer
from api.deps import (
    ACCEPTS_IDEMPOTENCY_KEY,
    BasketsReadModel,
    Entities,
    IdempotencyKey,
    TemporalClient,
    command,
    get_or_404,
    new_id,
)
from api.http import JsonRoute
from api.idempotency import current_update_id
from api.schemas import (
    ERROR_RESPONSES,
    ApiModel,
    BasketIdPath,
    CustomerId,
    IdResponse,
    MoneyOut,
    PaymentId,
    ProductId,
    Quantity,
    RequestModel,
)
from domain.baskets import model as rules
from domain.baskets.model import Basket
from domain.shared.errors import Conflict
from domain.shared.text import require_id
from readmodels.baskets import queries
from readmodels.baskets.tables import BasketRow
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
from workflows.shared.client import create_entity, start_entity

router = APIRouter(prefix="/api/baskets", tags=["baskets"], responses=ERROR_RESPONSES, route_class=JsonRoute)


class StartBasketRequest(RequestModel):
    customer_id: CustomerId = ""


class ItemRequest(RequestModel):
    product_id: ProductId = ""
    quantity: Quantity = 1


class CheckoutRequest(RequestModel):
    payment_id: PaymentId = ""


class BasketItemView(ApiModel):
    product_id: str
    store_id: str
    store_name: str
    product_name: str
    price: MoneyOut
    quantity: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def product_price(self) -> MoneyOut:
        """The book's name for the line's price (its ``Item.productPrice``); ``price`` is kept beside it."""
        return self.price


class BasketView(ApiModel):
    id: str
    customer_id: str
    status: str
    items: list[BasketItemView]
    total: MoneyOut
    payment_id: str | None = None


class BasketResponse(ApiModel):
    basket: BasketView


def _view(basket: Basket | BasketRow) -> BasketResponse:
    return BasketResponse(basket=BasketView.model_validate(basket, from_attributes=True))


@router.post("", response_model=IdResponse)
async def start_basket(
    body: StartBasketRequest,
    client: TemporalClient,
    db: BasketsReadModel,
    entities: Entities,
    principal: Caller,
    key: IdempotencyKey = None,
) -> IdResponse:
    customer_id = acting_customer(principal, body.customer_id)
    basket_id = new_id("baskets", key)
    rules.start_basket(basket_id, customer_id)
    start = start_entity(
        BasketWorkflow.run,
        BasketWorkflowInput(
            basket_id=basket_id,
            ttl_seconds=entities.basket_ttl_seconds,
            continue_as_new_after=entities.continue_as_new_after,
        ),
        id=basket_workflow_id(basket_id),
        task_queue=TASK_QUEUE,
        search_attributes=TypedSearchAttributes(
            [SearchAttributePair(BASKET_ID, basket_id), SearchAttributePair(CUSTOMER_ID, customer_id)]
        ),
        static_summary=f"Basket of customer {customer_id[:8]}…",
    )
    created = await create_entity(
        client, BasketWorkflow.start, StartBasket(customer_id=customer_id), start, current_update_id()
    )
    if created is None:  # closed: fine if it was created, else the key's first use failed
        await _basket_row(db, basket_id)
    return IdResponse(id=basket_id)


@router.get("/{basket_id}", response_model=BasketResponse)
async def get_basket(basket_id: BasketIdPath, db: BasketsReadModel) -> BasketResponse:
    return _view(await _basket_row(db, basket_id))


async def _basket_row(db: BasketsReadModel, basket_id: str) -> BasketRow:
    return await get_or_404(queries.get_basket(db, basket_id), f"basket {basket_id}")


async def _command(
    client: TemporalClient, db: BasketsReadModel, basket_id: str, update: Any, arg: object = None
) -> BasketResponse:
    async def closed() -> None:
        row = await _basket_row(db, basket_id)
        raise Conflict(f"the basket is {row.status.replace('_', ' ')}")

    basket: Basket = await command(
        client, basket_workflow_id(basket_id), update, f"basket {basket_id}", arg, when_closed=closed
    )
    return _view(basket)


@router.put("/{basket_id}/addItem", response_model=BasketResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY])
async def add_item(
    basket_id: BasketIdPath, body: ItemRequest, client: TemporalClient, db: BasketsReadModel
) -> BasketResponse:
    require_id(body.product_id, "product ID")  # a 400 before the basket's state is asked (a 409 if closed)
    # Names and prices come from baskets' own copy of the catalogue (event-carried state).
    product = (await queries.catalog_products(db, [body.product_id])).get(body.product_id)
    cmd = AddItem(product_id=body.product_id, quantity=body.quantity, product=product)
    return await _command(client, db, basket_id, BasketWorkflow.add_item, cmd)


@router.put("/{basket_id}/removeItem", response_model=BasketResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY])
async def remove_item(
    basket_id: BasketIdPath, body: ItemRequest, client: TemporalClient, db: BasketsReadModel
) -> BasketResponse:
    require_id(body.product_id, "product ID")  # a 400 before the basket's state is asked (a 409 if closed)
    cmd = RemoveItem(product_id=body.product_id, quantity=body.quantity)
    return await _command(client, db, basket_id, BasketWorkflow.remove_item, cmd)


@router.put("/{basket_id}/checkout", response_model=BasketResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY])
async def checkout(
    basket_id: BasketIdPath, body: CheckoutRequest, client: TemporalClient, db: BasketsReadModel
) -> BasketResponse:
    """Starts the order (its ID is the basket's ID) and closes the basket."""
    # A 400 before the basket's state is asked: left out, it was a 409 on a closed basket (the fuzzer's find).
    require_id(body.payment_id, "payment ID")
    return await _command(client, db, basket_id, BasketWorkflow.checkout, Checkout(payment_id=body.payment_id))


@router.delete("/{basket_id}", response_model=BasketResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY])
async def cancel_basket(basket_id: BasketIdPath, client: TemporalClient, db: BasketsReadModel) -> BasketResponse:
    return await _command(client, db, basket_id, BasketWorkflow.cancel)
