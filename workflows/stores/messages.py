"""Stores: task queue, workflow IDs, workflow inputs and command payloads."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from domain.stores.events import ProductEvent, StoreEvent, product_event, store_event
from domain.stores.model import Product, Store
from workflows.shared.spec import EntitySpec

TASK_QUEUE = "stores"
# Who keeps a copy of stores and products (SPEC §3): the owner's read model first. Baskets' and depot's
# copies are what the next commands read (add an item, the saga's step 2), so a command waits a moment
# for them too (``CATCH_UP``); search follows in the background.
SUBSCRIBERS = ("stores", "baskets", "depot", "search")
STORE = EntitySpec(
    StoreEvent, store_event, subscribers=SUBSCRIBERS, home_queue=TASK_QUEUE, read_by_commands=("baskets", "depot")
)
PRODUCT = EntitySpec(
    ProductEvent, product_event, subscribers=SUBSCRIBERS, home_queue=TASK_QUEUE, read_by_commands=("baskets", "depot")
)


def store_workflow_id(store_id: str) -> str:
    return f"store:{store_id}"


def product_workflow_id(product_id: str) -> str:
    return f"product:{product_id}"


class StoreWorkflowInput(BaseModel):
    store_id: str
    store: Store | None = None
    number: int = 0
    continue_as_new_after: int = 1000


class ProductWorkflowInput(BaseModel):
    product_id: str
    product: Product | None = None
    number: int = 0
    continue_as_new_after: int = 1000


class CreateStore(BaseModel):
    name: str
    location: str
    owner: str = ""  # absent from histories written before stores had owners


class RebrandStore(BaseModel):
    name: str


class AddProduct(BaseModel):
    store_id: str
    name: str
    description: str = ""
    sku: str = ""
    price: Decimal


class RebrandProduct(BaseModel):
    name: str
    description: str = ""


class ChangePrice(BaseModel):
    price: Decimal
