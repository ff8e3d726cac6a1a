"""The consumer side of each message: what a subscriber expects to receive, as Pact examples with matchers.

The examples are fixed (same pact file every run). A subscriber's pact lists only the snapshot fields it
depends on (``NEEDS``): the ones its projection stores and the ones its event model requires to parse.
Leaves are matched by type (strings, booleans, integers), by pattern (decimals as strings, timestamps,
status vocabularies) or exactly (the event name, nulls, empty lists); lists of items by ``each_like``.
"""

from __future__ import annotations

from typing import Any

from pact import Pact, match
from pact.match.matcher import AndMatcher

from tests.contracts.messages.catalog import STATES, Pair

DATETIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
DECIMAL = r"^-?\d+(\.\d+)?$"
STATUSES = {
    "basket": ("open", "checked_out", "cancelled"),
    "order": ("pending", "approved", "ready", "completed", "rejected", "cancelled"),
    "shopping_list": ("pending", "available", "assigned", "completed", "cancelled"),
    "payment": ("authorized", "reserved", "captured", "released", "expired"),
    "invoice": ("pending", "paid", "cancelled"),
}
MONEY_FIELDS = ("price", "amount")


def at(number: int) -> str:
    """When the example's event number ``number`` happened."""
    return f"2024-05-01T09:{number:02d}:00Z"


STORE: dict[str, Any] = {
    "id": "pact-store-1",
    "name": "Robots R Us",
    "location": "Level 2, unit 14",
    "participating": False,
    "owner": "pact-owner-1",  # the subject of the store owner's token (api.access checks it)
}
PRODUCT: dict[str, Any] = {
    "id": "pact-product-1",
    "store_id": "pact-store-1",
    "name": "Robot arm",
    "description": "Six axes, one gripper",
    "sku": "ARM-6",
    "price": "12.50",
    "removed": False,
}
CUSTOMER: dict[str, Any] = {
    "id": "pact-customer-1",
    "name": "Ada Lovelace",
    "sms_number": "+44 20 7946 0001",
    "enabled": True,
}
ITEM: dict[str, Any] = {
    "product_id": "pact-product-1",
    "store_id": "pact-store-1",
    "store_name": "Robots R Us",
    "product_name": "Robot arm",
    "price": "12.50",
    "quantity": 2,
}
BASKET: dict[str, Any] = {
    "id": "pact-basket-1",
    "customer_id": "pact-customer-1",
    "status": "open",
    "items": [],
    "payment_id": None,
}
ORDER: dict[str, Any] = {
    "id": "pact-order-1",
    "customer_id": "pact-customer-1",
    "payment_id": "pact-payment-1",
    "items": [ITEM],
    "status": "pending",
    "basket_id": "pact-order-1",  # order ID = basket ID
    "shopping_id": None,
    "invoice_id": None,
    "reason": None,
    "created_at": at(1),
    "updated_at": at(1),
}
SHOPPING_LIST: dict[str, Any] = {
    "id": "pact-order-1",  # one list per order, with the order's ID
    "order_id": "pact-order-1",
    "stops": [
        {
            "store_id": "pact-store-1",
            "store_name": "Robots R Us",
            "store_location": "Level 2, unit 14",
            "items": [{"product_id": "pact-product-1", "product_name": "Robot arm", "quantity": 2}],
        }
    ],
    "status": "pending",
    "bot_id": None,
}
PAYMENT: dict[str, Any] = {
    "id": "pact-payment-1",
    "customer_id": "pact-customer-1",
    "amount": "100.00",
    "status": "authorized",
    "order_id": None,
}
INVOICE: dict[str, Any] = {
    "id": "pact-order-1",  # invoice ID = order ID
    "order_id": "pact-order-1",
    "customer_id": "pact-customer-1",
    "payment_id": "pact-payment-1",
    "amount": "25.00",
    "status": "pending",
}

APPROVED = {**ORDER, "status": "approved", "shopping_id": "pact-order-1", "updated_at": at(2)}
READY = {**APPROVED, "status": "ready", "invoice_id": "pact-order-1", "updated_at": at(3)}
RESERVED = {**PAYMENT, "status": "reserved", "order_id": "pact-order-1"}

CANCELLED = {**APPROVED, "status": "cancelled", "updated_at": at(3)}  # an approved order keeps its list's ID


def _in(event_name: str, index: int = 0) -> str:
    return STATES[event_name][index].name


# provider state → (the event's number in the example history, the aggregate's snapshot after it)
EXAMPLES: dict[str, tuple[int, dict[str, Any]]] = {
    _in("stores.StoreCreated"): (1, STORE),
    _in("stores.StoreRebranded"): (2, {**STORE, "name": "Bots R Us"}),
    _in("stores.StoreParticipationToggled"): (2, {**STORE, "participating": True}),
    _in("stores.ProductAdded"): (1, PRODUCT),
    _in("stores.ProductRebranded"): (
        2,
        {**PRODUCT, "name": "Robot arm XL", "description": "Seven axes, two grippers"},
    ),
    _in("stores.ProductPriceChanged"): (2, {**PRODUCT, "price": "14.00"}),
    _in("stores.ProductRemoved"): (2, {**PRODUCT, "removed": True}),
    _in("customers.CustomerRegistered"): (1, CUSTOMER),
    _in("customers.CustomerSmsChanged"): (2, {**CUSTOMER, "sms_number": "+44 20 7946 0002"}),
    _in("customers.CustomerDisabled"): (2, {**CUSTOMER, "enabled": False}),
    _in("customers.CustomerEnabled"): (3, CUSTOMER),
    _in("baskets.BasketStarted"): (1, BASKET),
    _in("baskets.BasketItemAdded"): (2, {**BASKET, "items": [ITEM]}),
    _in("baskets.BasketItemRemoved"): (3, {**BASKET, "items": [ITEM]}),
    _in("baskets.BasketCheckedOut"): (
        3,
        {**BASKET, "items": [ITEM], "status": "checked_out", "payment_id": "pact-payment-1"},
    ),
    _in("baskets.BasketCancelled"): (3, {**BASKET, "items": [ITEM], "status": "cancelled"}),
    _in("ordering.OrderCreated"): (1, ORDER),
    _in("ordering.OrderCreated", 1): (1, {**ORDER, "basket_id": None}),  # no basket: priced by the saga
    _in("ordering.OrderApproved"): (2, APPROVED),
    _in("ordering.OrderRejected"): (
        2,
        {**ORDER, "status": "rejected", "reason": "the customer pact-customer-1 is disabled", "updated_at": at(2)},
    ),
    _in("ordering.OrderReadied"): (3, READY),
    _in("ordering.OrderCompleted"): (4, {**READY, "status": "completed", "updated_at": at(4)}),
    _in("ordering.OrderCancelled"): (3, CANCELLED),
    _in("depot.ShoppingListCreated"): (1, SHOPPING_LIST),
    _in("depot.ShoppingListAvailable"): (2, {**SHOPPING_LIST, "status": "available"}),
    _in("depot.ShoppingListAssigned"): (3, {**SHOPPING_LIST, "status": "assigned", "bot_id": "pact-bot-1"}),
    _in("depot.ShoppingListCompleted"): (4, {**SHOPPING_LIST, "status": "completed", "bot_id": "pact-bot-1"}),
    _in("depot.ShoppingListCancelled"): (2, {**SHOPPING_LIST, "status": "cancelled"}),
    _in("payments.PaymentAuthorized"): (1, PAYMENT),
    _in("payments.PaymentReserved"): (2, RESERVED),
    _in("payments.PaymentCaptured"): (3, {**RESERVED, "status": "captured"}),
    _in("payments.PaymentReleased"): (3, {**RESERVED, "status": "released"}),
    _in("payments.PaymentExpired"): (2, {**PAYMENT, "status": "expired"}),
    _in("payments.InvoiceCreated"): (1, INVOICE),
    _in("payments.InvoicePaid"): (2, {**INVOICE, "status": "paid"}),
    _in("payments.InvoiceCancelled"): (2, {**INVOICE, "status": "cancelled"}),
}

# (subscriber, aggregate) → the snapshot fields that subscriber depends on. Computed fields (``total``)
# are left out on purpose: the subscribers' models recompute them from the items and ignore them on input.
NEEDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("stores", "store"): ("id", "name", "location", "participating", "owner"),
    ("baskets", "store"): ("id", "name", "location", "participating"),
    ("depot", "store"): ("id", "name", "location", "participating"),
    ("search", "store"): ("id", "name", "location"),
    ("stores", "product"): ("id", "store_id", "name", "description", "sku", "price", "removed"),
    ("baskets", "product"): ("id", "store_id", "name", "price", "removed"),
    ("depot", "product"): ("id", "store_id", "name", "price", "removed"),
    ("search", "product"): ("id", "store_id", "name", "price"),
    ("customers", "customer"): ("id", "name", "sms_number", "enabled"),
    ("notifications", "customer"): ("id", "name", "sms_number"),
    ("search", "customer"): ("id", "name", "sms_number"),
    ("baskets", "basket"): ("id", "customer_id", "status", "items", "payment_id"),
    ("ordering", "order"): (
        "id",
        "customer_id",
        "payment_id",
        "basket_id",
        "items",
        "status",
        "shopping_id",
        "invoice_id",
        "reason",
        "created_at",
        "updated_at",
    ),
    ("search", "order"): ("id", "customer_id", "payment_id", "items", "status", "created_at", "updated_at"),
    ("notifications", "order"): ("id", "customer_id", "payment_id", "items", "reason"),
    ("depot", "shopping_list"): ("id", "order_id", "stops", "status", "bot_id"),
    ("payments", "payment"): ("id", "customer_id", "amount", "status", "order_id"),
    ("payments", "invoice"): ("id", "order_id", "customer_id", "payment_id", "amount", "status"),
}


class _StringMatching(AndMatcher[str]):
    """Both a string and of a pattern: a regex alone would also accept a number whose digits match.

    pact-python 4.2's ``AndMatcher`` leaves the example value out of what it hands the Pact core (the
    message example would be null), so it is added here."""

    def to_integration_json(self) -> dict[str, Any]:
        return {**super().to_integration_json(), "value": self._value}


def text(value: str, pattern: str) -> Any:
    return _StringMatching(match.str(value), match.regex(value, regex=pattern))


def matcher(key: str, value: Any, statuses: tuple[str, ...] = ()) -> Any:
    """The example ``value`` of field ``key``, wrapped in the matcher that says what the consumer accepts."""
    if value is None:
        return None  # exactly null: in this state the field is not set
    if key == "status":
        return text(value, f"^({'|'.join(statuses)})$")
    if key in MONEY_FIELDS:
        return text(value, DECIMAL)  # exact money: a decimal string, never a float
    if key.endswith("_at"):
        return text(value, DATETIME)
    if isinstance(value, bool):
        return match.bool(value)
    if isinstance(value, int):
        return match.int(value)
    if isinstance(value, str):
        return match.like(value)
    if isinstance(value, list):
        if not value:
            return []  # exactly empty
        return match.each_like({k: matcher(k, v) for k, v in value[0].items()}, min=1)
    raise TypeError(f"no matcher for {key}={value!r}")


def example(pair: Pair) -> tuple[int, dict[str, Any]]:
    """The example's number and the snapshot fields this subscriber depends on."""
    number, snapshot = EXAMPLES[pair.state.name]
    fields = NEEDS[(pair.subscriber, pair.aggregate.field)]
    return number, {k: snapshot[k] for k in fields}


def message_body(pair: Pair, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The event as the subscriber expects it; ``extra`` adds snapshot fields (to show a pact that bites)."""
    number, snapshot = example(pair)
    return body_of(pair, number, snapshot, extra)


def body_of(pair: Pair, number: int, snapshot: dict[str, Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    statuses = STATUSES.get(pair.aggregate.field, ())
    return {
        "name": pair.event_name,
        "aggregate_id": match.like(snapshot["id"]),
        "number": match.int(number),
        "occurred_at": text(at(number), DATETIME),
        pair.aggregate.field: {k: matcher(k, v, statuses) for k, v in {**snapshot, **(extra or {})}.items()},
    }


def add_interaction(
    pact: Pact, pair: Pair, extra: dict[str, Any] | None = None, example_of: Pair | None = None
) -> None:
    """``example_of``: the body of another pair's example (for a pact in a state nobody has an example of)."""
    body = message_body(pair, extra) if example_of is None else body_of(pair, *example(example_of), extra)
    (
        pact.upon_receiving(pair.description, "Async")
        .given(pair.state.name, pair.state.params or None)
        .with_body(body, content_type="application/json")
        .with_metadata({"encoding": "json/plain"})  # what temporalio's pydantic data converter writes
        .add_text_comment(
            f"Pushed by the {pair.aggregate.service} workflow to {pair.aggregate.projection} "
            f"on the {pair.subscriber} task queue."
        )
    )


def build_pact(consumer: str, provider: str, pairs: list[Pair]) -> Pact:
    pact = Pact(consumer, provider).with_specification("V4")
    for pair in pairs:
        add_interaction(pact, pair)
    return pact
