"""The provider side: each provider state replayed with the emitting workflow's own code, then serialized.

A workflow keeps its aggregate's state, runs a pure domain rule for each command and builds the event
with its ``*_event`` builder (``workflows.shared.entity.Entity.apply``); the payload is what temporalio's
pydantic data converter makes of that event. The scenarios below do exactly that, step by step from the
aggregate's creation, with the same rule modules and builders the workflows import (checked by
``test_message_catalog``). Nothing here is written as JSON by hand.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, TypeVar

from pact.types import Message
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.baskets import model as baskets
from domain.baskets.events import basket_event
from domain.customers import model as customers
from domain.customers.events import customer_event
from domain.depot import model as depot
from domain.depot.events import shopping_list_event
from domain.ordering import model as ordering
from domain.ordering.events import order_event
from domain.ordering.model import Order, OrderItem
from domain.payments import invoice as invoices
from domain.payments import model as payments
from domain.payments.events import invoice_event, payment_event
from domain.shared.events import DomainEvent
from domain.stores import model as stores
from domain.stores.events import product_event, store_event
from tests.contracts.messages.catalog import STATES, description

S = TypeVar("S")
START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)

STORE_ID, PRODUCT_ID, CUSTOMER_ID = "pact-store-1", "pact-product-1", "pact-customer-1"
BASKET_ID, ORDER_ID, PAYMENT_ID, BOT_ID = "pact-basket-1", "pact-order-1", "pact-payment-1", "pact-bot-1"


def now(number: int) -> datetime:
    """``workflow.now()`` when the aggregate's event ``number`` is applied."""
    return START + timedelta(minutes=number)


class History(Generic[S]):
    """An entity's state and event numbering as ``Entity.apply`` keeps them: run the rule, keep the new state,
    number the event, build it at ``workflow.now()``."""

    def __init__(self, build_event: Callable[[str, int, datetime, S], DomainEvent], state: S | None = None) -> None:
        self._build_event = build_event
        self.state = state
        self.number = 0
        self.last: DomainEvent | None = None

    def current(self) -> S:
        assert self.state is not None
        return self.state

    def apply(self, event_name: str, change: Callable[[], S]) -> History[S]:
        new_state = change()
        self.state = new_state
        self.number += 1
        self.last = self._build_event(event_name, self.number, now(self.number), new_state)
        return self

    def then(self, event_name: str, rule: Callable[[S], S]) -> History[S]:
        return self.apply(event_name, lambda: rule(self.current()))

    def then_at(self, event_name: str, rule: Callable[[S, datetime], S]) -> History[S]:
        """A rule that also takes the time (``workflow.now()``) of the event it makes."""
        return self.apply(event_name, lambda: rule(self.current(), now(self.number + 1)))

    def event(self) -> DomainEvent:
        assert self.last is not None
        return self.last


Step = tuple[str, Callable[[S], S]]


def _replay(history: History[S], steps: tuple[Step[S], ...]) -> DomainEvent:
    for name, rule in steps:
        history.then(name, rule)
    return history.event()


# ---- stores ------------------------------------------------------------------------------------------


def _store(*steps: Step[stores.Store]) -> DomainEvent:
    created = History(store_event).apply(
        "stores.StoreCreated", lambda: stores.create_store(STORE_ID, "Robots R Us", "Level 2, unit 14")
    )
    return _replay(created, steps)


def _product(*steps: Step[stores.Product]) -> DomainEvent:
    added = History(product_event).apply(
        "stores.ProductAdded",
        lambda: stores.add_product(
            PRODUCT_ID, STORE_ID, "Robot arm", "Six axes, one gripper", "ARM-6", Decimal("12.50")
        ),
    )
    return _replay(added, steps)


# ---- customers -----------------------------------------------------------------------------------------


def _customer(*steps: Step[customers.Customer]) -> DomainEvent:
    registered = History(customer_event).apply(
        "customers.CustomerRegistered",
        lambda: customers.register_customer(CUSTOMER_ID, "Ada Lovelace", "+44 20 7946 0001"),
    )
    return _replay(registered, steps)


# ---- baskets -------------------------------------------------------------------------------------------

ARM = baskets.CatalogProduct(
    id=PRODUCT_ID,
    store_id=STORE_ID,
    store_name="Robots R Us",
    name="Robot arm",
    price=Decimal("12.50"),
    store_participating=True,
)


def _started_basket(basket_id: str) -> History[baskets.Basket]:
    return History(basket_event).apply("baskets.BasketStarted", lambda: baskets.start_basket(basket_id, CUSTOMER_ID))


def _basket(*steps: Step[baskets.Basket]) -> DomainEvent:
    return _replay(_started_basket(BASKET_ID), steps)


def _add_arms(quantity: int) -> Step[baskets.Basket]:
    return "baskets.BasketItemAdded", lambda b: baskets.add_item(b, ARM, PRODUCT_ID, quantity)


CHECK_OUT: Step[baskets.Basket] = ("baskets.BasketCheckedOut", lambda b: baskets.check_out(b, PAYMENT_ID))


# ---- ordering ------------------------------------------------------------------------------------------


def _checked_out_order() -> Order:
    """``OrderWorkflow.__init__``'s order, from a checked-out basket (order ID = basket ID; the items are
    mapped as ``BasketWorkflow._start_order`` maps them), created at the time of its first event."""
    basket = _started_basket(ORDER_ID).then(*_add_arms(2)).then(*CHECK_OUT).current()
    assert basket.payment_id is not None
    return Order(
        id=basket.id,
        customer_id=basket.customer_id,
        payment_id=basket.payment_id,
        items=tuple(OrderItem(**item.model_dump()) for item in basket.items),
        basket_id=basket.id,
        created_at=now(1),
        updated_at=now(1),
    )


TimedStep = tuple[str, Callable[[Order, datetime], Order]]


def _order(*steps: TimedStep) -> DomainEvent:
    history = History(order_event).apply("ordering.OrderCreated", _checked_out_order)
    for name, rule in steps:
        history.then_at(name, rule)
    return history.event()


APPROVE: TimedStep = ("ordering.OrderApproved", lambda o, at: ordering.approve(o, o.id, at))  # list ID = order ID
READY: TimedStep = ("ordering.OrderReadied", lambda o, at: ordering.ready(o, o.id, at))  # invoice ID = order ID


# ---- depot ---------------------------------------------------------------------------------------------


def _created_shopping_list() -> depot.ShoppingList:
    """What ``create_shopping_list`` makes of the order, with depot's own store and product names."""
    order = _checked_out_order()
    return depot.create_shopping_list(
        order.id,  # one list per order: the list ID is the order ID
        order.id,
        [depot.Wanted(product_id=i.product_id, store_id=i.store_id, quantity=i.quantity) for i in order.items],
        {STORE_ID: depot.DepotStore(id=STORE_ID, name="Robots R Us", location="Level 2, unit 14", participating=True)},
        {PRODUCT_ID: depot.DepotProduct(id=PRODUCT_ID, store_id=STORE_ID, name="Robot arm")},
    )


def _shopping_list(*steps: Step[depot.ShoppingList]) -> DomainEvent:
    return _replay(History(shopping_list_event).apply("depot.ShoppingListCreated", _created_shopping_list), steps)


AVAILABLE: Step[depot.ShoppingList] = ("depot.ShoppingListAvailable", depot.initiate)
ASSIGNED: Step[depot.ShoppingList] = ("depot.ShoppingListAssigned", lambda s: depot.assign(s, BOT_ID))


# ---- payments ------------------------------------------------------------------------------------------


def _payment(*steps: Step[payments.Payment]) -> DomainEvent:
    authorized = History(payment_event).apply(
        "payments.PaymentAuthorized", lambda: payments.authorize_payment(PAYMENT_ID, CUSTOMER_ID, Decimal("100.00"))
    )
    return _replay(authorized, steps)


RESERVE: Step[payments.Payment] = (
    "payments.PaymentReserved",
    lambda p: payments.reserve_payment(p, PAYMENT_ID, CUSTOMER_ID, ORDER_ID, _checked_out_order().total),
)


def _opened_invoice() -> invoices.Invoice:
    """What ``create_invoice`` opens for the ready order: its total, invoice ID = order ID."""
    order = _checked_out_order()
    return invoices.Invoice(
        id=order.id, order_id=order.id, customer_id=order.customer_id, payment_id=order.payment_id, amount=order.total
    )


def _invoice(*steps: Step[invoices.Invoice]) -> DomainEvent:
    return _replay(History(invoice_event).apply("payments.InvoiceCreated", _opened_invoice), steps)


# provider state → the event the emitting workflow publishes in it
SCENARIOS: dict[str, Callable[[], DomainEvent]] = {
    STATES["stores.StoreCreated"]: lambda: _store(),
    STATES["stores.StoreRebranded"]: lambda: _store(
        ("stores.StoreRebranded", lambda s: stores.rebrand_store(s, "Bots R Us"))
    ),
    STATES["stores.StoreParticipationToggled"]: lambda: _store(
        ("stores.StoreParticipationToggled", stores.enable_participation)
    ),
    STATES["stores.ProductAdded"]: lambda: _product(),
    STATES["stores.ProductRebranded"]: lambda: _product(
        ("stores.ProductRebranded", lambda p: stores.rebrand_product(p, "Robot arm XL", "Seven axes, two grippers"))
    ),
    STATES["stores.ProductPriceChanged"]: lambda: _product(
        ("stores.ProductPriceChanged", lambda p: stores.increase_price(p, Decimal("14.00")))
    ),
    STATES["stores.ProductRemoved"]: lambda: _product(("stores.ProductRemoved", stores.remove_product)),
    STATES["customers.CustomerRegistered"]: lambda: _customer(),
    STATES["customers.CustomerSmsChanged"]: lambda: _customer(
        ("customers.CustomerSmsChanged", lambda c: customers.change_sms_number(c, "+44 20 7946 0002"))
    ),
    STATES["customers.CustomerDisabled"]: lambda: _customer(("customers.CustomerDisabled", customers.disable_customer)),
    STATES["customers.CustomerEnabled"]: lambda: _customer(
        ("customers.CustomerDisabled", customers.disable_customer),
        ("customers.CustomerEnabled", customers.enable_customer),
    ),
    STATES["baskets.BasketStarted"]: lambda: _basket(),
    STATES["baskets.BasketItemAdded"]: lambda: _basket(_add_arms(2)),
    STATES["baskets.BasketItemRemoved"]: lambda: _basket(
        _add_arms(3), ("baskets.BasketItemRemoved", lambda b: baskets.remove_item(b, PRODUCT_ID, 1))
    ),
    STATES["baskets.BasketCheckedOut"]: lambda: _basket(_add_arms(2), CHECK_OUT),
    STATES["baskets.BasketCancelled"]: lambda: _basket(
        _add_arms(2), ("baskets.BasketCancelled", baskets.cancel_basket)
    ),
    STATES["ordering.OrderCreated"]: lambda: _order(),
    STATES["ordering.OrderApproved"]: lambda: _order(APPROVE),
    STATES["ordering.OrderRejected"]: lambda: _order(
        ("ordering.OrderRejected", lambda o, at: ordering.reject(o, f"the customer {CUSTOMER_ID} is disabled", at))
    ),
    STATES["ordering.OrderReadied"]: lambda: _order(APPROVE, READY),
    STATES["ordering.OrderCompleted"]: lambda: _order(APPROVE, READY, ("ordering.OrderCompleted", ordering.complete)),
    STATES["ordering.OrderCancelled"]: lambda: _order(("ordering.OrderCancelled", ordering.cancel)),
    STATES["depot.ShoppingListCreated"]: lambda: _shopping_list(),
    STATES["depot.ShoppingListAvailable"]: lambda: _shopping_list(AVAILABLE),
    STATES["depot.ShoppingListAssigned"]: lambda: _shopping_list(AVAILABLE, ASSIGNED),
    STATES["depot.ShoppingListCompleted"]: lambda: _shopping_list(
        AVAILABLE, ASSIGNED, ("depot.ShoppingListCompleted", depot.complete)
    ),
    STATES["depot.ShoppingListCancelled"]: lambda: _shopping_list(("depot.ShoppingListCancelled", depot.cancel)),
    STATES["payments.PaymentAuthorized"]: lambda: _payment(),
    STATES["payments.PaymentReserved"]: lambda: _payment(RESERVE),
    STATES["payments.PaymentCaptured"]: lambda: _payment(
        RESERVE, ("payments.PaymentCaptured", lambda p: payments.capture_payment(p, ORDER_ID))
    ),
    STATES["payments.PaymentReleased"]: lambda: _payment(
        RESERVE, ("payments.PaymentReleased", lambda p: payments.release_payment(p, ORDER_ID))
    ),
    STATES["payments.PaymentExpired"]: lambda: _payment(("payments.PaymentExpired", payments.expire_payment)),
    STATES["payments.InvoiceCreated"]: lambda: _invoice(),
    STATES["payments.InvoicePaid"]: lambda: _invoice(("payments.InvoicePaid", invoices.pay_invoice)),
    STATES["payments.InvoiceCancelled"]: lambda: _invoice(("payments.InvoiceCancelled", invoices.cancel_invoice)),
}


def event_in(state: str) -> DomainEvent:
    if state not in SCENARIOS:
        raise KeyError(f"no provider scenario for the state {state!r}")
    return SCENARIOS[state]()


def serialize(event: DomainEvent) -> tuple[bytes, dict[str, str]]:
    """The payload the workflow hands to the projection activity: data and metadata, as the converter makes them."""
    (payload,) = pydantic_data_converter.payload_converter.to_payloads([event])
    return payload.data, {key: value.decode() for key, value in payload.metadata.items()}


def the_state(name: str, metadata: dict[str, Any] | None) -> str:
    """The one provider state of the interaction named ``name`` (the verifier sends it with the request)."""
    states = [s["name"] for s in (metadata or {}).get("providerStates", [])]
    if len(states) != 1:
        raise ValueError(f"{name!r} should name exactly one provider state, not {states}")
    return str(states[0])


def produce(name: str, metadata: dict[str, Any] | None) -> Message:
    """The verifier's message handler: the message a provider sends for the interaction ``name``."""
    event = event_in(the_state(name, metadata))
    if description(event.name) != name:
        raise ValueError(f"the state of {name!r} produces {event.name}")
    data, payload_metadata = serialize(event)
    return Message(contents=data, metadata=payload_metadata, content_type="application/json")


def altered(change: Callable[[dict[str, Any]], None]) -> Callable[[str, dict[str, Any] | None], Message]:
    """A provider whose events have been changed by ``change`` (a rename, a dropped field, a new type)."""

    def handler(name: str, metadata: dict[str, Any] | None) -> Message:
        message = produce(name, metadata)
        body = json.loads(message["contents"])
        change(body)
        return Message(
            contents=json.dumps(body).encode(), metadata=message["metadata"], content_type="application/json"
        )

    return handler
