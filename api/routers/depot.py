"""``/api/depot/shopping``: shopping lists for the bots."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import Field

from api.access import Caller, acting_bot
from api.deps import ACCEPTS_IDEMPOTENCY_KEY, DepotReadModel, IdempotencyKey, TemporalClient, command, get_or_404
from api.http import JsonRoute
from api.schemas import (
    ERROR_RESPONSES,
    MAX_ITEMS,
    ApiModel,
    BotId,
    IdResponse,
    OrderId,
    ProductId,
    Quantity,
    RequestModel,
    ShoppingListIdPath,
    StoreId,
)
from domain.depot import model as rules
from domain.depot.model import ShoppingList, ShoppingListStatus, Wanted
from domain.shared.errors import Conflict
from domain.shared.text import require_id
from readmodels.depot import queries
from readmodels.depot.tables import ShoppingListRow
from workflows.depot.messages import AssignBot, shopping_list_workflow_id
from workflows.depot.opening import open_shopping_list
from workflows.depot.shopping_list_workflow import ShoppingListWorkflow

router = APIRouter(prefix="/api/depot/shopping", tags=["depot"], responses=ERROR_RESPONSES, route_class=JsonRoute)


class AssignRequest(RequestModel):
    bot_id: BotId = ""


class ListItemView(ApiModel):
    product_id: str
    product_name: str
    quantity: int


class StopView(ApiModel):
    store_id: str
    store_name: str
    store_location: str
    items: list[ListItemView]


class ShoppingListView(ApiModel):
    id: str
    order_id: str
    status: str
    bot_id: str | None = None
    stops: list[StopView]


class ShoppingListResponse(ApiModel):
    shopping_list: ShoppingListView


class ShoppingListsResponse(ApiModel):
    shopping_lists: list[ShoppingListView]


def _view(shopping_list: ShoppingList | ShoppingListRow) -> ShoppingListView:
    return ShoppingListView.model_validate(shopping_list, from_attributes=True)


@router.get("", response_model=ShoppingListsResponse)
async def get_shopping_lists(db: DepotReadModel, status: ShoppingListStatus | None = None) -> ShoppingListsResponse:
    return ShoppingListsResponse(shopping_lists=[_view(r) for r in await queries.shopping_lists(db, status)])


@router.get("/{list_id}", response_model=ShoppingListResponse)
async def get_shopping_list(list_id: ShoppingListIdPath, db: DepotReadModel) -> ShoppingListResponse:
    return ShoppingListResponse(shopping_list=_view(await _row(db, list_id)))


async def _row(db: DepotReadModel, list_id: str) -> ShoppingListRow:
    return await get_or_404(queries.get_shopping_list(db, list_id), f"shopping list {list_id}")


async def _command(
    client: TemporalClient,
    db: DepotReadModel,
    list_id: str,
    update: Any,
    rule: Callable[[ShoppingList], object],
    arg: object = None,
) -> ShoppingListResponse:
    async def closed() -> None:
        # The list's workflow has ended: the domain rule, shown the final state from the read model,
        # refuses with the same message the running workflow's validator gives.
        row = await _row(db, list_id)
        rule(ShoppingList.model_validate(row, from_attributes=True))
        raise Conflict(f"the shopping list is already {row.status}")

    result: ShoppingList = await command(
        client, shopping_list_workflow_id(list_id), update, f"shopping list {list_id}", arg, when_closed=closed
    )
    return ShoppingListResponse(shopping_list=_view(result))


@router.put("/{list_id}/assign", response_model=ShoppingListResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY])
async def assign_bot(
    list_id: ShoppingListIdPath, body: AssignRequest, client: TemporalClient, db: DepotReadModel, principal: Caller
) -> ShoppingListResponse:
    """A bot takes the list as itself (its token's subject is its bot ID); an operator names the bot."""
    bot_id = acting_bot(principal, body.bot_id)
    return await _command(
        client,
        db,
        list_id,
        ShoppingListWorkflow.assign,
        lambda shopping_list: rules.assign(shopping_list, bot_id),
        AssignBot(bot_id=bot_id),
    )


@router.put("/{list_id}/complete", response_model=ShoppingListResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY])
async def complete_shopping_list(
    list_id: ShoppingListIdPath, client: TemporalClient, db: DepotReadModel
) -> ShoppingListResponse:
    """Completing the list makes the order ``ready`` and opens its invoice."""
    return await _command(client, db, list_id, ShoppingListWorkflow.complete, rules.complete)


# ---- the book's operator endpoints: the saga is the normal way a list is opened and cancelled -------------


class WantedItemRequest(RequestModel):
    product_id: ProductId = ""
    store_id: StoreId = ""
    quantity: Quantity = 1


class CreateShoppingListRequest(RequestModel):
    order_id: OrderId = ""
    items: Annotated[list[WantedItemRequest], Field(max_length=MAX_ITEMS, json_schema_extra={"minItems": 1})] = []


@router.post("", response_model=IdResponse)
async def create_shopping_list(
    body: CreateShoppingListRequest, client: TemporalClient, db: DepotReadModel, key: IdempotencyKey = None
) -> IdResponse:
    """Open a shopping list for an order by hand (one list per order: its ID is the order's)."""
    order_id = require_id(body.order_id, "order ID")
    wanted = [Wanted(product_id=i.product_id, store_id=i.store_id, quantity=i.quantity) for i in body.items]
    for line in wanted:
        require_id(line.product_id, "product ID")
        require_id(line.store_id, "store ID")
    stores, products = await queries.products_and_their_stores(db, [line.product_id for line in wanted])
    await open_shopping_list(client, rules.create_shopping_list(order_id, order_id, wanted, stores, products))
    return IdResponse(id=order_id)


@router.post("/{list_id}", response_model=ShoppingListResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY])
async def cancel_shopping_list(
    list_id: ShoppingListIdPath, client: TemporalClient, db: DepotReadModel
) -> ShoppingListResponse:
    """Cancel a list by hand (the book's ``POST /api/depot/shopping/{id}``); an ended list answers as it is."""
    return await _command(client, db, list_id, ShoppingListWorkflow.cancel, rules.cancel)
