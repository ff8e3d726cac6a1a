"""Which events exist, who emits them and who subscribes: names and wiring only, no message contents.

Everything here is read from the product code: the service registry's entity workflows and the ``EntitySpec``
each declares (event type and names, projection, subscribers), so a new event or a new subscriber shows up
here, and then as a missing interaction, without anyone remembering to add it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
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
    def provider(self) -> str:
        return provider_name(self.service)


# Every entity workflow the service registry runs (a workflow without an ``ENTITY`` emits no events).
AGGREGATES = tuple(
    Aggregate(service, workflow)
    for service, definition in DEFINITIONS.items()
    for workflow in definition.workflows
    if hasattr(workflow, "ENTITY")
)


@dataclass(frozen=True)
class State:
    """A provider state as Pact writes it: what happened to the aggregate (its name), and the values it
    happened with (its params). The consumer names it in its pact; the provider's state handler drives the
    emitting workflow through exactly that, with those values, and the event it then delivers is the message."""

    name: str
    items: tuple[tuple[str, Any], ...] = ()

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.items)


def state(name: str, **params: Any) -> State:
    return State(name, tuple(sorted(params.items())))


# What the states are about: the values the consumers' examples use too (consumer_examples.py).
STORE = {"storeName": "Robots R Us", "location": "Level 2, unit 14"}
PRODUCT = {"productName": "Robot arm", "description": "Six axes, one gripper", "sku": "ARM-6", "price": "12.50"}
CUSTOMER = {"customerName": "Ada Lovelace", "smsNumber": "+44 20 7946 0001"}
LINE = {"price": "12.50", "quantity": 2}  # an order of one line: two robot arms
PAYMENT = {"amount": "100.00"}

# event name → the provider states in which a subscriber receives it (one interaction per state and subscriber).
STATES: dict[str, tuple[State, ...]] = {
    "stores.StoreCreated": (state("a store was created", **STORE),),
    "stores.StoreRebranded": (state("a store was rebranded", **STORE, newName="Bots R Us"),),
    "stores.StoreParticipationToggled": (state("a store started participating in the mall", **STORE),),
    "stores.ProductAdded": (state("a product was added to a store", **PRODUCT),),
    "stores.ProductRebranded": (
        state("a product was rebranded", **PRODUCT, newName="Robot arm XL", newDescription="Seven axes, two grippers"),
    ),
    "stores.ProductPriceChanged": (state("the price of a product was increased", **PRODUCT, newPrice="14.00"),),
    "stores.ProductRemoved": (state("a product was removed", **PRODUCT),),
    "customers.CustomerRegistered": (state("a customer registered", **CUSTOMER),),
    "customers.CustomerSmsChanged": (
        state("a customer changed their SMS number", **CUSTOMER, newSmsNumber="+44 20 7946 0002"),
    ),
    "customers.CustomerDisabled": (state("a customer was disabled", **CUSTOMER),),
    "customers.CustomerEnabled": (state("a disabled customer was enabled again", **CUSTOMER),),
    "baskets.BasketStarted": (state("a customer started a basket"),),
    "baskets.BasketItemAdded": (state("an item was added to a basket", **LINE),),
    "baskets.BasketItemRemoved": (
        state("part of an item was removed from a basket", price="12.50", quantity=3, removed=1),
    ),
    "baskets.BasketCheckedOut": (state("a basket was checked out", **LINE),),
    "baskets.BasketCancelled": (state("an open basket was cancelled", **LINE),),
    "ordering.OrderCreated": (
        state("a basket was checked out into an order", **LINE),
        state("a direct order was placed", **LINE),
    ),
    "ordering.OrderApproved": (state("the create-order saga approved an order", **LINE),),
    "ordering.OrderRejected": (state("the create-order saga rejected an order of a disabled customer", **LINE),),
    "ordering.OrderReadied": (state("the shopping list of an approved order was completed and invoiced", **LINE),),
    "ordering.OrderCompleted": (state("the invoice of a ready order was paid", **LINE),),
    "ordering.OrderCancelled": (state("an approved order was cancelled by its customer", **LINE),),
    "depot.ShoppingListCreated": (state("a shopping list was created for an order", **LINE),),
    "depot.ShoppingListAvailable": (state("a shopping list was made available to the bots", **LINE),),
    "depot.ShoppingListAssigned": (state("a bot took an available shopping list", **LINE),),
    "depot.ShoppingListCompleted": (state("a bot completed its shopping list", **LINE),),
    "depot.ShoppingListCancelled": (
        state("a pending shopping list was cancelled: the payment did not cover the order", **LINE, amount="10.00"),
    ),
    "payments.PaymentAuthorized": (state("a customer authorized a payment", **PAYMENT),),
    "payments.PaymentReserved": (state("a payment was reserved for an order", **PAYMENT, **LINE),),
    "payments.PaymentCaptured": (state("a reserved payment was captured", **PAYMENT, **LINE),),
    "payments.PaymentReleased": (state("a reserved payment was released", **PAYMENT, **LINE),),
    "payments.PaymentExpired": (state("a payment authorization expired unused", **PAYMENT),),
    "payments.InvoiceCreated": (state("an invoice was opened for a ready order", **LINE),),
    "payments.InvoicePaid": (state("an invoice was paid", **LINE),),
    "payments.InvoiceCancelled": (state("an open invoice was cancelled", **LINE),),
}
# A second state of one event is told apart in its description too (Pact keys an interaction by both; people
# and ``Verifier.filter`` read the description).
VARIANTS = {"a direct order was placed": "of a direct order"}


def consumer_name(subscriber: str) -> str:
    """The subscribing service, by the name it has everywhere (its worker, its HTTP pacts): a pacticipant is
    an application, whichever way it talks, so ``can-i-deploy --pacticipant search`` sees all of search."""
    return subscriber


def provider_name(service: str) -> str:
    """The emitting service: the same pacticipant that provides its HTTP API to ``mallbots-client``."""
    return service


def description(event_name: str, state: State | None = None) -> str:
    article = "an" if event_name[0] in "aeiou" else "a"
    variant = VARIANTS.get(state.name) if state is not None else None
    return f"{article} {event_name} event" + (f" {variant}" if variant else "")


def pact_file(consumer: str, provider: str, directory: Path = PACT_DIR) -> Path:
    return directory / f"{consumer}-{provider}.json"


@dataclass(frozen=True)
class Pair:
    """One event delivered to one subscriber: one message interaction."""

    aggregate: Aggregate
    event_name: str
    subscriber: str
    state: State

    @property
    def consumer(self) -> str:
        return consumer_name(self.subscriber)

    @property
    def provider(self) -> str:
        return self.aggregate.provider

    @property
    def description(self) -> str:
        return description(self.event_name, self.state)

    @property
    def id(self) -> str:
        variant = VARIANTS.get(self.state.name)
        return f"{self.event_name}->{self.subscriber}" + (f" ({variant})" if variant else "")


# Every event of every entity the registry runs, to every subscriber its declaration names for it (all of them,
# unless its ``interests`` say otherwise), in every state.
PAIRS = tuple(
    Pair(aggregate, name, subscriber, event_state)
    for aggregate in AGGREGATES
    for subscriber in aggregate.subscribers
    for name in aggregate.event_names
    if aggregate.spec.receives(subscriber, name)
    for event_state in STATES.get(name, ())
)


def pact_files() -> dict[tuple[str, str], list[Pair]]:
    """(consumer, provider) → its interactions, in a fixed order (the pact files are written in it)."""
    files: dict[tuple[str, str], list[Pair]] = {}
    for pair in PAIRS:
        files.setdefault((pair.consumer, pair.provider), []).append(pair)
    return files


def providers() -> list[str]:
    return sorted({aggregate.provider for aggregate in AGGREGATES})
