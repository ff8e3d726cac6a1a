"""A product line, as baskets capture it and orders keep it: names and price as they were when added."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from domain.shared.errors import InvalidArgument
from domain.shared.money import MAX_QUANTITY

# Every store of an order is one value of its ``StoreIds`` search attribute (2 KB at most): 40 UUIDs fit.
MAX_LINES = 40


class LineItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    product_id: str
    store_id: str
    store_name: str
    product_name: str
    price: Decimal
    quantity: int


def lines_total(lines: Iterable[LineItem]) -> Decimal:
    return sum((line.price * line.quantity for line in lines), Decimal("0.00"))


def require_quantity(quantity: int) -> int:
    """At least one, at most ``MAX_QUANTITY`` (so every total stays exact in its column)."""
    if quantity < 1:
        raise InvalidArgument("the quantity must be at least 1")
    if quantity > MAX_QUANTITY:
        raise InvalidArgument(f"the quantity cannot be more than {MAX_QUANTITY}")
    return quantity
