"""Opening a shopping list, for whoever opens one: the saga's step (``DepotActivities.create_shopping_list``)
or an operator (``POST /api/depot/shopping``). Client side: never imported by workflow code."""

from __future__ import annotations

from temporalio.client import Client

from domain.depot.model import ShoppingList
from workflows.depot.messages import TASK_QUEUE, ShoppingListWorkflowInput, shopping_list_workflow_id
from workflows.depot.shopping_list_workflow import ShoppingListWorkflow
from workflows.shared.client import create_entity, start_entity
from workflows.shared.summaries import counted


async def open_shopping_list(client: Client, shopping_list: ShoppingList) -> None:
    """Start its entity with the list in one round trip; a list that exists already is left as it is."""
    stops = counted(len(shopping_list.stops), "stop")
    start = start_entity(
        ShoppingListWorkflow.run,
        ShoppingListWorkflowInput(list_id=shopping_list.id),
        id=shopping_list_workflow_id(shopping_list.id),
        task_queue=TASK_QUEUE,
        static_summary=f"Shopping list for order {shopping_list.order_id[:8]}… · {stops}",
    )
    await create_entity(client, ShoppingListWorkflow.create, shopping_list, start)
