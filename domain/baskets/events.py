from __future__ import annotations

from datetime import datetime
from typing import Literal

from domain.baskets.model import Basket
from domain.shared.events import DomainEvent

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
    return BasketEvent.model_validate(
        {
            "name": name,
            "aggregate_id": basket.id,
            "number": number,
            "occurred_at": occurred_at,
            "basket": basket,
        }
    )
