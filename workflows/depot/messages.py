from __future__ import annotations

from pydantic import BaseModel

from domain.depot.events import ShoppingListEvent, shopping_list_event
from domain.depot.model import DepotProduct, DepotStore, ShoppingList, Wanted
from workflows.shared.spec import EntitySpec

TASK_QUEUE = "depot"
SHOPPING_LIST = EntitySpec(ShoppingListEvent, shopping_list_event, subscribers=("depot",), home_queue=TASK_QUEUE)


def shopping_list_workflow_id(list_id: str) -> str:
    return f"shopping-list:{list_id}"


class ShoppingListWorkflowInput(BaseModel):
    list_id: str
    shopping_list: ShoppingList | None = None
    number: int = 0


class CreateShoppingList(BaseModel):
    order_id: str
    items: list[Wanted]


class DepotCatalog(BaseModel):
    """Depot's copies of an order's products and of the stores that sell them (unknown IDs left out)."""

    stores: dict[str, DepotStore]
    products: dict[str, DepotProduct]


class ShoppingListRef(BaseModel):
    list_id: str


class AssignBot(BaseModel):
    bot_id: str
