"""Baskets: items with the names and prices captured when added. Pure rules."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, computed_field

from domain.ordering.model import OrderItem
from domain.shared.errors import Conflict, InvalidArgument, NotFound
from domain.shared.lines import MAX_LINES, LineItem, lines_total, require_quantity
from domain.shared.text import require_id


class BasketStatus(StrEnum):
    OPEN = "open"
    CHECKED_OUT = "checked_out"
    CANCELLED = "cancelled"


class CatalogProduct(BaseModel):
    """What baskets know of a product, from their own cache of stores events."""

    model_config = ConfigDict(frozen=True)

    id: str
    store_id: str
    store_name: str
    name: str
    price: Decimal
    store_participating: bool
    removed: bool = False


BasketItem = LineItem  # the product's names and price as they were when it was added


class Basket(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    customer_id: str
    status: BasketStatus = BasketStatus.OPEN
    items: tuple[BasketItem, ...] = ()
    payment_id: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def total(self) -> Decimal:
        return basket_total(self.items)


def basket_total(items: tuple[BasketItem, ...] | list[BasketItem]) -> Decimal:
    return lines_total(items)


def start_basket(basket_id: str, customer_id: str) -> Basket:
    return Basket(id=basket_id, customer_id=require_id(customer_id, "customer ID"))


def _open(basket: Basket) -> Basket:
    if basket.status is not BasketStatus.OPEN:
        raise Conflict(f"the basket is {basket.status.value.replace('_', ' ')}")
    return basket


def priced_line(product: CatalogProduct | None, product_id: str, quantity: int) -> BasketItem:
    """A line priced from the catalogue: the product must be sold, by a store that takes part in the mall."""
    require_quantity(quantity)
    require_id(product_id, "product ID")
    if product is None or product.removed:
        raise NotFound(f"the product {product_id} does not exist")
    if not product.store_participating:
        raise Conflict(f"the store {product.store_name} is not participating in the mall")
    return BasketItem(
        product_id=product.id,
        store_id=product.store_id,
        store_name=product.store_name,
        product_name=product.name,
        price=product.price,
        quantity=quantity,
    )


def order_items(lines: tuple[BasketItem, ...] | list[BasketItem]) -> list[OrderItem]:
    """What an order is made of: the lines with the names and prices they were captured with."""
    return list(lines)


def add_item(basket: Basket, product: CatalogProduct | None, product_id: str, quantity: int) -> Basket:
    """Re-adding a product sums the quantities and keeps the price captured first."""
    _open(basket)
    line = priced_line(product, product_id, quantity)
    items = list(basket.items)
    for index, item in enumerate(items):
        if item.product_id == line.product_id:
            items[index] = item.model_copy(update={"quantity": require_quantity(item.quantity + quantity)})
            break
    else:
        if len(items) >= MAX_LINES:
            raise InvalidArgument(f"a basket holds at most {MAX_LINES} different products")
        items.append(line)
    return basket.model_copy(update={"items": tuple(items)})


def remove_item(basket: Basket, product_id: str, quantity: int) -> Basket:
    _open(basket)
    require_quantity(quantity)
    require_id(product_id, "product ID")
    items = []
    found = False
    for item in basket.items:
        if item.product_id == product_id:
            found = True
            if item.quantity > quantity:
                items.append(item.model_copy(update={"quantity": item.quantity - quantity}))
        else:
            items.append(item)
    if not found:
        raise NotFound(f"the product {product_id} is not in the basket")
    return basket.model_copy(update={"items": tuple(items)})


def check_out(basket: Basket, payment_id: str) -> Basket:
    _open(basket)
    payment = require_id(payment_id, "payment ID")
    if not basket.items:
        raise InvalidArgument("the basket is empty")
    return basket.model_copy(update={"status": BasketStatus.CHECKED_OUT, "payment_id": payment})


def cancel_basket(basket: Basket) -> Basket:
    _open(basket)
    return basket.model_copy(update={"status": BasketStatus.CANCELLED})
