from __future__ import annotations

from pydantic import BaseModel

from domain.baskets.events import BasketEvent, basket_event
from domain.baskets.model import Basket, CatalogProduct
from workflows.shared.spec import EntitySpec

TASK_QUEUE = "baskets"
BASKET = EntitySpec(BasketEvent, basket_event, subscribers=("baskets",), home_queue=TASK_QUEUE)


def basket_workflow_id(basket_id: str) -> str:
    return f"basket:{basket_id}"


class BasketWorkflowInput(BaseModel):
    basket_id: str
    ttl_seconds: float = 86400.0
    basket: Basket | None = None
    number: int = 0
    continue_as_new_after: int = 1000


class StartBasket(BaseModel):
    customer_id: str


class AddItem(BaseModel):
    product_id: str
    quantity: int
    product: CatalogProduct | None  # from baskets' own cache, looked up by the API before the update


class RemoveItem(BaseModel):
    product_id: str
    quantity: int


class Checkout(BaseModel):
    payment_id: str
