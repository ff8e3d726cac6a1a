from __future__ import annotations

from datetime import datetime
from typing import Literal

from domain.depot.model import ShoppingList
from domain.shared.events import DomainEvent

ShoppingListEventName = Literal[
    "depot.ShoppingListCreated",
    "depot.ShoppingListAvailable",
    "depot.ShoppingListAssigned",
    "depot.ShoppingListCompleted",
    "depot.ShoppingListCancelled",
]


class ShoppingListEvent(DomainEvent):
    name: ShoppingListEventName
    shopping_list: ShoppingList


def shopping_list_event(
    name: str, number: int, occurred_at: datetime, shopping_list: ShoppingList
) -> ShoppingListEvent:
    return ShoppingListEvent.model_validate(
        {
            "name": name,
            "aggregate_id": shopping_list.id,
            "number": number,
            "occurred_at": occurred_at,
            "shopping_list": shopping_list,
        }
    )
