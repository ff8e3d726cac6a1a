"""Stores events. Each carries the aggregate's whole snapshot (see domain.shared.events)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from domain.shared.events import DomainEvent, build_event
from domain.stores.model import Product, Store

StoreEventName = Literal["stores.StoreCreated", "stores.StoreRebranded", "stores.StoreParticipationToggled"]
ProductEventName = Literal[
    "stores.ProductAdded", "stores.ProductRebranded", "stores.ProductPriceChanged", "stores.ProductRemoved"
]


class StoreEvent(DomainEvent):
    name: StoreEventName
    store: Store


class ProductEvent(DomainEvent):
    name: ProductEventName
    product: Product


def store_event(name: str, number: int, occurred_at: datetime, store: Store) -> StoreEvent:
    return build_event(StoreEvent, name, number, occurred_at, store=store)


def product_event(name: str, number: int, occurred_at: datetime, product: Product) -> ProductEvent:
    return build_event(ProductEvent, name, number, occurred_at, product=product)
