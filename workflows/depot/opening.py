"""Opening a shopping list, for whoever opens one: the saga's step (``ShoppingListCommands.create_shopping_list``)
or an operator (``POST /api/depot/shopping``). Client side: never imported by workflow code."""

from __future__ import annotations

from temporalio.client import Client, WithStartWorkflowOperation

from domain.depot.model import ShoppingList
from workflows.depot.messages import (
    TASK_QUEUE,
    CreateShoppingList,
    ShoppingListWorkflowInput,
    shopping_list_workflow_id,
)
from workflows.depot.shopping_list_workflow import ShoppingListWorkflow
from workflows.shared.client import create_entity, start_entity
from workflows.shared.summaries import counted


def _start(
    list_id: str, order_id: str, contents: str
) -> WithStartWorkflowOperation[ShoppingListWorkflowInput, ShoppingList | None]:
    return start_entity(
        ShoppingListWorkflow.run,
        ShoppingListWorkflowInput(list_id=list_id),
        id=shopping_list_workflow_id(list_id),
        task_queue=TASK_QUEUE,
        static_summary=f"Shopping list for order {order_id[:8]}… · {contents}",
    )


async def open_shopping_list(client: Client, shopping_list: ShoppingList) -> None:
    """Start its entity with the list in one round trip; a list that exists already is left as it is."""
    start = _start(shopping_list.id, shopping_list.order_id, counted(len(shopping_list.stops), "stop"))
    await create_entity(client, ShoppingListWorkflow.create, shopping_list, start)


async def open_order_list(client: Client, cmd: CreateShoppingList) -> ShoppingList | None:
    """Start the order's list, which builds itself from depot's caches, in one round trip: the list as it is
    (also when it existed already), or None when its run has already ended. A refusal is raised as it is."""
    start = _start(cmd.order_id, cmd.order_id, counted(len(cmd.items), "item"))
    opened: ShoppingList | None = await create_entity(client, ShoppingListWorkflow.open, cmd, start)
    return opened
