"""Which events exist, who emits them and who subscribes: names and wiring only, no message contents.

Everything here is read from the product code: the service registry's entity workflows and the ``EntitySpec``
each declares (event type and names, projection, subscribers), so a new event or a new subscriber shows up
here, and then as a missing interaction, without anyone remembering to add it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from domain.shared.events import DomainEvent
from mallbots.services import DEFINITIONS
from workflows.shared.spec import EntitySpec

ROOT = Path(__file__).resolve().parents[3]
PACT_DIR = ROOT / "contracts" / "pacts"

# SPEC §3, word for word: the events the product promises.
SPEC_EVENTS = (
    "stores.StoreCreated",
    "stores.StoreRebranded",
    "stores.StoreParticipationToggled",
    "stores.ProductAdded",
    "stores.ProductRebranded",
    "stores.ProductPriceChanged",
    "stores.ProductRemoved",
    "customers.CustomerRegistered",
    "customers.CustomerSmsChanged",
    "customers.CustomerEnabled",
    "customers.CustomerDisabled",
    "baskets.BasketStarted",
    "baskets.BasketItemAdded",
    "baskets.BasketItemRemoved",
    "baskets.BasketCheckedOut",
    "baskets.BasketCancelled",
    "ordering.OrderCreated",
    "ordering.OrderApproved",
    "ordering.OrderRejected",
    "ordering.OrderReadied",
    "ordering.OrderCompleted",
    "ordering.OrderCancelled",
    "depot.ShoppingListCreated",
    "depot.ShoppingListAvailable",
    "depot.ShoppingListAssigned",
    "depot.ShoppingListCompleted",
    "depot.ShoppingListCancelled",
    "payments.PaymentAuthorized",
    "payments.PaymentReserved",
    "payments.PaymentCaptured",
    "payments.PaymentReleased",
    "payments.PaymentExpired",
    "payments.InvoiceCreated",
    "payments.InvoicePaid",
    "payments.InvoiceCancelled",
)


@dataclass(frozen=True)
class Aggregate:
    """One kind of aggregate: the entity workflow that emits its events, as the service registry runs it."""

    service: str  # the emitting service: the provider is ``<service>-events``
    workflow: type

    @property
    def spec(self) -> EntitySpec[Any, Any]:
        spec: EntitySpec[Any, Any] = self.workflow.ENTITY  # type: ignore[attr-defined]
        return spec

    @property
    def field(self) -> str:
        return self.spec.snapshot_field  # the snapshot's field in the event (``StoreEvent.store``)

    @property
    def event_model(self) -> type[DomainEvent]:
        event_type: type[DomainEvent] = self.spec.event_type
        return event_type

    @property
    def event_names(self) -> tuple[str, ...]:
        return self.spec.event_names

    @property
    def projection(self) -> str:
        return self.spec.projection  # the activity name the workflow pushes the event to

    @property
    def subscribers(self) -> tuple[str, ...]:
        return self.spec.subscribers

    @property
    def workflow_module(self) -> ModuleType:
        return sys.modules[self.workflow.__module__]

    @property
    def provider(self) -> str:
        return provider_name(self.service)


# Every entity workflow the service registry runs (a workflow without an ``ENTITY`` emits no events).
AGGREGATES = tuple(
    Aggregate(service, workflow)
    for service, definition in DEFINITIONS.items()
    for workflow in definition.workflows
    if hasattr(workflow, "ENTITY")
)

# The provider state of each event: what happened to the aggregate, from its creation on. The consumer
# names it in its pact; the provider replays exactly that with its domain rules to produce the message.
STATES = {
    "stores.StoreCreated": "a store was created",
    "stores.StoreRebranded": "a store was rebranded",
    "stores.StoreParticipationToggled": "a store started participating in the mall",
    "stores.ProductAdded": "a product was added to a store",
    "stores.ProductRebranded": "a product was rebranded",
    "stores.ProductPriceChanged": "the price of a product was increased",
    "stores.ProductRemoved": "a product was removed",
    "customers.CustomerRegistered": "a customer registered",
    "customers.CustomerSmsChanged": "a customer changed their SMS number",
    "customers.CustomerDisabled": "a customer was disabled",
    "customers.CustomerEnabled": "a disabled customer was enabled again",
    "baskets.BasketStarted": "a customer started a basket",
    "baskets.BasketItemAdded": "an item was added to a basket",
    "baskets.BasketItemRemoved": "part of an item was removed from a basket",
    "baskets.BasketCheckedOut": "a basket was checked out",
    "baskets.BasketCancelled": "an open basket was cancelled",
    "ordering.OrderCreated": "a basket was checked out into an order",
    "ordering.OrderApproved": "the create-order saga approved an order",
    "ordering.OrderRejected": "the create-order saga rejected an order of a disabled customer",
    "ordering.OrderReadied": "the shopping list of an approved order was completed and invoiced",
    "ordering.OrderCompleted": "the invoice of a ready order was paid",
    "ordering.OrderCancelled": "a pending order was cancelled",
    "depot.ShoppingListCreated": "a shopping list was created for an order",
    "depot.ShoppingListAvailable": "a shopping list was made available to the bots",
    "depot.ShoppingListAssigned": "a bot took an available shopping list",
    "depot.ShoppingListCompleted": "a bot completed its shopping list",
    "depot.ShoppingListCancelled": "a pending shopping list was cancelled",
    "payments.PaymentAuthorized": "a customer authorized a payment",
    "payments.PaymentReserved": "a payment was reserved for an order",
    "payments.PaymentCaptured": "a reserved payment was captured",
    "payments.PaymentReleased": "a reserved payment was released",
    "payments.PaymentExpired": "a payment authorization expired unused",
    "payments.InvoiceCreated": "an invoice was opened for a ready order",
    "payments.InvoicePaid": "an invoice was paid",
    "payments.InvoiceCancelled": "an open invoice was cancelled",
}


def consumer_name(subscriber: str) -> str:
    return f"{subscriber}-projections"


def provider_name(service: str) -> str:
    return f"{service}-events"


def description(event_name: str) -> str:
    article = "an" if event_name[0] in "aeiou" else "a"
    return f"{article} {event_name} event"


def pact_file(consumer: str, provider: str, directory: Path = PACT_DIR) -> Path:
    return directory / f"{consumer}-{provider}.json"


@dataclass(frozen=True)
class Pair:
    """One event delivered to one subscriber: one message interaction."""

    aggregate: Aggregate
    event_name: str
    subscriber: str

    @property
    def consumer(self) -> str:
        return consumer_name(self.subscriber)

    @property
    def provider(self) -> str:
        return self.aggregate.provider

    @property
    def description(self) -> str:
        return description(self.event_name)

    @property
    def state(self) -> str:
        return STATES[self.event_name]

    @property
    def id(self) -> str:
        return f"{self.event_name}->{self.subscriber}"


PAIRS = tuple(
    Pair(aggregate, name, subscriber)
    for aggregate in AGGREGATES
    for subscriber in aggregate.subscribers
    for name in aggregate.event_names
)


def pact_files() -> dict[tuple[str, str], list[Pair]]:
    """(consumer, provider) → its interactions, in a fixed order (the pact files are written in it)."""
    files: dict[tuple[str, str], list[Pair]] = {}
    for pair in PAIRS:
        files.setdefault((pair.consumer, pair.provider), []).append(pair)
    return files


def providers() -> list[str]:
    return sorted({aggregate.provider for aggregate in AGGREGATES})
