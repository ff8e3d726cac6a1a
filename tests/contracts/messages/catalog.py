"""Which events exist, who emits them and who subscribes: names and wiring only, no message contents.

Everything here is read from the product code (the event-name ``Literal`` types of ``domain/<svc>/events.py``
and the ``*_SUBSCRIBERS`` tuples the workflows publish to), so a new event or a new subscriber shows up
here, and then as a missing interaction, without anyone remembering to add it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, get_args

from domain.baskets.events import BasketEvent, BasketEventName
from domain.customers.events import CustomerEvent, CustomerEventName
from domain.depot.events import ShoppingListEvent, ShoppingListEventName
from domain.ordering.events import OrderEvent, OrderEventName
from domain.payments.events import InvoiceEvent, InvoiceEventName, PaymentEvent, PaymentEventName
from domain.shared.events import DomainEvent
from domain.stores.events import ProductEvent, ProductEventName, StoreEvent, StoreEventName
from workflows.baskets import basket_workflow
from workflows.baskets.messages import BASKET_SUBSCRIBERS
from workflows.customers import customer_workflow
from workflows.customers.messages import CUSTOMER_SUBSCRIBERS
from workflows.depot import shopping_list_workflow
from workflows.depot.messages import SHOPPING_LIST_SUBSCRIBERS
from workflows.ordering import order_workflow
from workflows.ordering.messages import ORDER_SUBSCRIBERS
from workflows.payments import invoice_workflow, payment_workflow
from workflows.payments.messages import PAYMENT_SUBSCRIBERS
from workflows.stores import product_workflow, store_workflow
from workflows.stores.messages import PRODUCT_SUBSCRIBERS, STORE_SUBSCRIBERS

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
    """One kind of aggregate: the service (and workflow) that emits its events and who receives them."""

    service: str  # the emitting service: the provider is ``<service>-events``
    field: str  # the snapshot's field in the event (``StoreEvent.store``)
    event_model: type[DomainEvent]
    event_names: tuple[str, ...]
    projection: str  # the activity name the workflow pushes the event to
    subscribers: tuple[str, ...]
    workflow_module: ModuleType

    @property
    def provider(self) -> str:
        return provider_name(self.service)


def _names(literal: Any) -> tuple[str, ...]:
    return tuple(get_args(literal))


AGGREGATES = (
    Aggregate(
        "stores", "store", StoreEvent, _names(StoreEventName), "apply_store_event", STORE_SUBSCRIBERS, store_workflow
    ),
    Aggregate(
        "stores",
        "product",
        ProductEvent,
        _names(ProductEventName),
        "apply_product_event",
        PRODUCT_SUBSCRIBERS,
        product_workflow,
    ),
    Aggregate(
        "customers",
        "customer",
        CustomerEvent,
        _names(CustomerEventName),
        "apply_customer_event",
        CUSTOMER_SUBSCRIBERS,
        customer_workflow,
    ),
    Aggregate(
        "baskets",
        "basket",
        BasketEvent,
        _names(BasketEventName),
        "apply_basket_event",
        BASKET_SUBSCRIBERS,
        basket_workflow,
    ),
    Aggregate(
        "ordering", "order", OrderEvent, _names(OrderEventName), "apply_order_event", ORDER_SUBSCRIBERS, order_workflow
    ),
    Aggregate(
        "depot",
        "shopping_list",
        ShoppingListEvent,
        _names(ShoppingListEventName),
        "apply_shopping_list_event",
        SHOPPING_LIST_SUBSCRIBERS,
        shopping_list_workflow,
    ),
    Aggregate(
        "payments",
        "payment",
        PaymentEvent,
        _names(PaymentEventName),
        "apply_payment_event",
        PAYMENT_SUBSCRIBERS,
        payment_workflow,
    ),
    Aggregate(
        "payments",
        "invoice",
        InvoiceEvent,
        _names(InvoiceEventName),
        "apply_invoice_event",
        PAYMENT_SUBSCRIBERS,  # InvoiceWorkflow publishes to the same subscribers as payments
        invoice_workflow,
    ),
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
