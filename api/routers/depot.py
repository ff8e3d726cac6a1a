"""``/api/depot/shopping``: shopping lists for the bots."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from sqlmodel import select

from activities.depot.tables import ShoppingListRow
from api.deps import Context, update
from api.schemas import ERROR_RESPONSES, ApiModel
from domain.depot import model as rules
from domain.depot.model import ShoppingList, ShoppingListStatus
from domain.shared.errors import Conflict, NotFound
from workflows.depot.messages import AssignBot, shopping_list_workflow_id
from workflows.depot.shopping_list_workflow import ShoppingListWorkflow

router = APIRouter(prefix="/api/depot/shopping", tags=["depot"], responses=ERROR_RESPONSES)


class AssignRequest(ApiModel):
    bot_id: str = ""


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
async def get_shopping_lists(ctx: Context, status: ShoppingListStatus | None = None) -> ShoppingListsResponse:
    async with ctx.sessions("depot")() as session:
        query = select(ShoppingListRow).order_by(ShoppingListRow.id)
        if status is not None:
            query = query.where(ShoppingListRow.status == status.value)
        rows = (await session.exec(query)).all()
    return ShoppingListsResponse(shopping_lists=[_view(r) for r in rows])


@router.get("/{list_id}", response_model=ShoppingListResponse)
async def get_shopping_list(list_id: str, ctx: Context) -> ShoppingListResponse:
    return ShoppingListResponse(shopping_list=_view(await _row(ctx, list_id)))


async def _row(ctx: Context, list_id: str) -> ShoppingListRow:
    async with ctx.sessions("depot")() as session:
        row = await session.get(ShoppingListRow, list_id)
    if row is None:
        raise NotFound(f"the shopping list {list_id} does not exist")
    return row


async def _command(
    ctx: Context, list_id: str, command: Any, rule: Callable[[ShoppingList], object], arg: object = None
) -> ShoppingListResponse:
    async def closed() -> None:
        # The list's workflow has ended: the domain rule, shown the final state from the read model,
        # refuses with the same message the running workflow's validator gives.
        row = await _row(ctx, list_id)
        rule(ShoppingList.model_validate(row, from_attributes=True))
        raise Conflict(f"the shopping list is already {row.status}")

    handle = ctx.client.get_workflow_handle(shopping_list_workflow_id(list_id))
    result: ShoppingList = await update(handle, command, f"shopping list {list_id}", arg, when_closed=closed)
    return ShoppingListResponse(shopping_list=_view(result))


@router.put("/{list_id}/assign", response_model=ShoppingListResponse)
async def assign_bot(list_id: str, body: AssignRequest, ctx: Context) -> ShoppingListResponse:
    return await _command(
        ctx,
        list_id,
        ShoppingListWorkflow.assign,
        lambda shopping_list: rules.assign(shopping_list, body.bot_id),
        AssignBot(bot_id=body.bot_id),
    )


@router.put("/{list_id}/complete", response_model=ShoppingListResponse)
async def complete_shopping_list(list_id: str, ctx: Context) -> ShoppingListResponse:
    """Completing the list makes the order ``ready`` and opens its invoice."""
    return await _command(ctx, list_id, ShoppingListWorkflow.complete, rules.complete)
