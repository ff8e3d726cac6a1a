"""Shopping lists: one stop per store for the bots. pending → available → assigned → completed; cancelled."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.shared.errors import Conflict, InvalidArgument, NotFound
from domain.shared.lines import require_quantity
from domain.shared.text import require_id


class ShoppingListStatus(StrEnum):
    PENDING = "pending"
    AVAILABLE = "available"
    ASSIGNED = "assigned"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class DepotStore(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    location: str
    participating: bool


class DepotProduct(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    store_id: str
    name: str
    removed: bool = False


class ListItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    product_id: str
    product_name: str
    quantity: int


class Stop(BaseModel):
    model_config = ConfigDict(frozen=True)

    store_id: str
    store_name: str
    store_location: str
    items: tuple[ListItem, ...]


class ShoppingList(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    order_id: str
    stops: tuple[Stop, ...]
    status: ShoppingListStatus = ShoppingListStatus.PENDING
    bot_id: str | None = None


class Wanted(BaseModel):
    """One line of the order as depot needs it."""

    model_config = ConfigDict(frozen=True)

    product_id: str
    store_id: str
    quantity: int


def create_shopping_list(
    list_id: str,
    order_id: str,
    wanted: list[Wanted],
    stores: dict[str, DepotStore],
    products: dict[str, DepotProduct],
) -> ShoppingList:
    """Group the order's lines by store, with names and locations from depot's own caches."""
    grouped: dict[str, list[ListItem]] = {}
    for line in wanted:
        require_quantity(line.quantity)
        product = products.get(line.product_id)
        if product is None or product.removed:
            raise NotFound(f"the product {line.product_id} does not exist")
        if line.store_id != product.store_id:
            raise InvalidArgument(f"the product {line.product_id} is not sold by store {line.store_id}")
        store = stores.get(product.store_id)
        if store is None:
            raise NotFound(f"the store {product.store_id} does not exist")
        if not store.participating:
            # A basket keeps what was added while the store took part; the bots only shop in the mall.
            raise Conflict(f"the store {store.name} is not participating in the mall")
        grouped.setdefault(product.store_id, []).append(
            ListItem(product_id=product.id, product_name=product.name, quantity=line.quantity)
        )
    if not grouped:
        raise InvalidArgument("the shopping list has no items")
    stops = tuple(
        Stop(store_id=s, store_name=stores[s].name, store_location=stores[s].location, items=tuple(items))
        for s, items in sorted(grouped.items(), key=lambda kv: stores[kv[0]].name)
    )
    return ShoppingList(id=list_id, order_id=order_id, stops=stops)


def _from(shopping_list: ShoppingList, allowed: ShoppingListStatus, action: str) -> None:
    if shopping_list.status is not allowed:
        raise Conflict(
            f"the shopping list is {shopping_list.status.value}; only an {allowed.value} list can be {action}"
        )


def initiate(shopping_list: ShoppingList) -> ShoppingList:
    if shopping_list.status is ShoppingListStatus.AVAILABLE:
        return shopping_list
    _from(shopping_list, ShoppingListStatus.PENDING, "made available")
    return shopping_list.model_copy(update={"status": ShoppingListStatus.AVAILABLE})


def assign(shopping_list: ShoppingList, bot_id: str) -> ShoppingList:
    bot = require_id(bot_id, "bot ID")
    _from(shopping_list, ShoppingListStatus.AVAILABLE, "assigned")
    return shopping_list.model_copy(update={"status": ShoppingListStatus.ASSIGNED, "bot_id": bot})


def complete(shopping_list: ShoppingList) -> ShoppingList:
    _from(shopping_list, ShoppingListStatus.ASSIGNED, "completed")
    return shopping_list.model_copy(update={"status": ShoppingListStatus.COMPLETED})


def cancel(shopping_list: ShoppingList) -> ShoppingList:
    if shopping_list.status in (ShoppingListStatus.COMPLETED, ShoppingListStatus.CANCELLED):
        raise Conflict(f"the shopping list is already {shopping_list.status.value}")
    return shopping_list.model_copy(update={"status": ShoppingListStatus.CANCELLED})
