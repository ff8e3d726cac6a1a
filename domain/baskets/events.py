from __future__ import annotations

from datetime import datetime
from typing import Literal

from domain.baskets.model import Basket
from domain.shared.events import DomainEvent, build_event

BasketEventName = Literal[
    "baskets.BasketStarted",
    "baskets.BasketItemAdded",
    "baskets.BasketItemRemoved",
    "baskets.BasketCheckedOut",
    "baskets.BasketCancelled",
]


class BasketEvent(DomainEvent):
    name: BasketEventName
    basket: Basket


def basket_event(name: str, number: int, occurred_at: datetime, basket: Basket) -> BasketEvent:
    return build_event(BasketEvent, name, number, occurred_at, basket=basket)
