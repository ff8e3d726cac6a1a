from __future__ import annotations

from datetime import datetime
from typing import Literal

from domain.depot.model import ShoppingList
from domain.shared.events import DomainEvent, build_event

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
    return build_event(ShoppingListEvent, name, number, occurred_at, shopping_list=shopping_list)
