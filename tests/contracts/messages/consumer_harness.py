"""Applies a pact's message the way a subscriber's worker does, then reads the subscriber's read model back.

The projection is the activity the subscriber's worker registers under the projection's name (built by the
composition root, ``mallbots.services.DEFINITIONS``), the payload is decoded by temporalio's pydantic data
converter into the type that activity declares, and the activity runs in an activity context against the
real Postgres of the session stack. Then the row must hold what the message said.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pact import Pact
from pact.error import PactVerificationError
from sqlmodel import SQLModel, delete
from temporalio import activity
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import ActivityEnvironment

from activities.notifications.gateway import RecordingGateway
from domain.customers.events import CustomerEvent
from domain.customers.model import Customer
from mallbots.db import Databases
from mallbots.services import DEFINITIONS, ServiceResources, activity_methods
from readmodels.baskets.tables import BasketProductCache, BasketRow, BasketStoreCache
from readmodels.customers.tables import CustomerRow
from readmodels.depot.tables import DepotProductCache, DepotStoreCache, ShoppingListRow
from readmodels.notifications.tables import NotificationCustomerCache, NotificationRow, SmsSendRow
from readmodels.ordering.tables import OrderRow
from readmodels.payments.tables import InvoiceRow, PaymentRow
from readmodels.search.tables import SearchCustomerCache, SearchOrderView, SearchProductCache, SearchStoreCache
from readmodels.shared.db import SessionFactory, table_of
from readmodels.stores.tables import ProductRow, StoreRow
from tests.contracts.messages.catalog import Pair

Json = dict[str, Any]
Expected = Callable[[Json, Json], Json]  # (event, snapshot) → the columns the row must hold

# What the subscribers' own caches know of the order's customer (a consumer-side "given": seeded through
# the subscriber's own apply_customer_event before an order event is applied).
KNOWN_CUSTOMER = {"name": "Ada Lovelace", "sms_number": "+44 20 7946 0001"}
# The order events a customer is told about by SMS (notifications' business, not the provider's).
NOTIFIED = {
    "ordering.OrderCreated",
    "ordering.OrderRejected",
    "ordering.OrderReadied",
    "ordering.OrderCompleted",
    "ordering.OrderCancelled",
}


def _money(value: str) -> Decimal:
    return Decimal(value)


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _total(items: Sequence[Json]) -> Decimal:
    return sum((Decimal(i["price"]) * i["quantity"] for i in items), Decimal("0.00"))


@dataclass(frozen=True)
class ReadModel:
    table: type[SQLModel]
    expected: Expected


READ_MODELS: dict[tuple[str, str], ReadModel] = {
    ("stores", "store"): ReadModel(
        StoreRow,
        lambda e, s: {
            "name": s["name"],
            "location": s["location"],
            "participating": s["participating"],
            "owner": s["owner"],
            "version": e["number"],
        },
    ),
    ("stores", "product"): ReadModel(
        ProductRow,
        lambda e, s: {
            "store_id": s["store_id"],
            "name": s["name"],
            "description": s["description"],
            "sku": s["sku"],
            "price": _money(s["price"]),
            "removed": s["removed"],
            "version": e["number"],
        },
    ),
    ("baskets", "store"): ReadModel(
        BasketStoreCache,
        lambda e, s: {"name": s["name"], "participating": s["participating"], "version": e["number"]},
    ),
    ("baskets", "product"): ReadModel(
        BasketProductCache,
        lambda e, s: {
            "store_id": s["store_id"],
            "name": s["name"],
            "price": _money(s["price"]),
            "removed": s["removed"],
            "version": e["number"],
        },
    ),
    ("baskets", "basket"): ReadModel(
        BasketRow,
        lambda e, s: {
            "customer_id": s["customer_id"],
            "status": s["status"],
            "items": s["items"],
            "total": _total(s["items"]),
            "payment_id": s["payment_id"],
            "version": e["number"],
        },
    ),
    ("depot", "store"): ReadModel(
        DepotStoreCache,
        lambda e, s: {
            "name": s["name"],
            "location": s["location"],
            "participating": s["participating"],
            "version": e["number"],
        },
    ),
    ("depot", "product"): ReadModel(
        DepotProductCache,
        lambda e, s: {"store_id": s["store_id"], "name": s["name"], "removed": s["removed"], "version": e["number"]},
    ),
    ("depot", "shopping_list"): ReadModel(
        ShoppingListRow,
        lambda e, s: {
            "order_id": s["order_id"],
            "status": s["status"],
            "bot_id": s["bot_id"],
            "stops": s["stops"],
            "version": e["number"],
        },
    ),
    ("search", "customer"): ReadModel(SearchCustomerCache, lambda e, s: {"name": s["name"], "version": e["number"]}),
    ("search", "store"): ReadModel(SearchStoreCache, lambda e, s: {"name": s["name"], "version": e["number"]}),
    ("search", "product"): ReadModel(
        SearchProductCache, lambda e, s: {"store_id": s["store_id"], "name": s["name"], "version": e["number"]}
    ),
    ("search", "order"): ReadModel(
        SearchOrderView,
        lambda e, s: {
            "customer_id": s["customer_id"],
            "customer_name": KNOWN_CUSTOMER["name"],
            "items": s["items"],
            "store_ids": sorted({i["store_id"] for i in s["items"]}),
            "product_ids": sorted({i["product_id"] for i in s["items"]}),
            "total": _total(s["items"]),
            "status": s["status"],
            "created_at": _when(s["created_at"]),
            "updated_at": _when(s["updated_at"]),
            "version": e["number"],
        },
    ),
    ("customers", "customer"): ReadModel(
        CustomerRow,
        lambda e, s: {
            "name": s["name"],
            "sms_number": s["sms_number"],
            "enabled": s["enabled"],
            "version": e["number"],
        },
    ),
    ("notifications", "customer"): ReadModel(
        NotificationCustomerCache,
        lambda e, s: {"name": s["name"], "sms_number": s["sms_number"], "version": e["number"]},
    ),
    ("ordering", "order"): ReadModel(
        OrderRow,
        lambda e, s: {
            "customer_id": s["customer_id"],
            "payment_id": s["payment_id"],
            "basket_id": s["basket_id"],
            "items": s["items"],
            "total": _total(s["items"]),
            "status": s["status"],
            "shopping_id": s["shopping_id"],
            "invoice_id": s["invoice_id"],
            "reason": s["reason"],
            "created_at": _when(s["created_at"]),
            "updated_at": _when(s["updated_at"]),
            "version": e["number"],
        },
    ),
    ("payments", "payment"): ReadModel(
        PaymentRow,
        lambda e, s: {
            "customer_id": s["customer_id"],
            "amount": _money(s["amount"]),
            "status": s["status"],
            "order_id": s["order_id"],
            "version": e["number"],
        },
    ),
    ("payments", "invoice"): ReadModel(
        InvoiceRow,
        lambda e, s: {
            "order_id": s["order_id"],
            "customer_id": s["customer_id"],
            "payment_id": s["payment_id"],
            "amount": _money(s["amount"]),
            "status": s["status"],
            "version": e["number"],
        },
    ),
}


def projection_activities(databases: Databases, client: Client) -> dict[str, dict[str, Callable[..., Any]]]:
    """subscriber → activity name → the activity its worker registers (the composition root's objects)."""
    found: dict[str, dict[str, Callable[..., Any]]] = {}
    for service, definition in DEFINITIONS.items():
        resources = ServiceResources(
            sessions=databases.sessions(service),
            client=client,
            gateway=RecordingGateway(databases.sessions("notifications")),
        )
        objects = definition.activity_objects(resources)
        found[service] = {_activity_name(fn): fn for fn in activity_methods(objects)}
    return found


def _activity_name(fn: Callable[..., Any]) -> str:
    name = activity._Definition.must_from_callable(fn).name
    assert name is not None
    return name


def decode(body: str, fn: Callable[..., Any]) -> Any:
    """The payload decoded exactly as the worker decodes it: into the type the activity declares."""
    arg_types = activity._Definition.must_from_callable(fn).arg_types
    payload = Payload(metadata={"encoding": b"json/plain"}, data=body.encode())
    (event,) = pydantic_data_converter.payload_converter.from_payloads([payload], arg_types)
    return event


class ConsumerHarness:
    def __init__(
        self,
        databases: Databases,
        activities: Mapping[str, Mapping[str, Callable[..., Any]]],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self._databases = databases
        self._activities = activities
        self._loop = loop

    def sessions(self, subscriber: str) -> SessionFactory:
        return self._databases.sessions(subscriber)

    async def verify(self, pact: Pact, pair: Pair, projection: Callable[..., Any] | None = None) -> None:
        """Pact hands each message to the handler (in a thread: its handler is synchronous), which applies it
        on this loop, where the database engines live. A failing handler fails the verification."""
        apply = projection or self._activities[pair.subscriber][pair.aggregate.projection]

        def handler(body: str | bytes | None, metadata: dict[str, object]) -> None:
            assert metadata.get("encoding") == "json/plain", metadata
            assert body is not None, "the message has no body"
            text = body.decode() if isinstance(body, bytes) else str(body)
            future = asyncio.run_coroutine_threadsafe(self.consume(pair, text, apply), self._loop)
            future.result(timeout=60)

        try:
            await asyncio.to_thread(pact.verify, handler, "Async")
        except PactVerificationError as err:  # its own message only counts the failures
            details = "\n".join(f"{e.description}: {type(e.error).__name__}: {e.error}" for e in err.errors)
            raise AssertionError(f"the {pair.consumer} consumer failed its pact:\n{details}") from err

    async def consume(self, pair: Pair, body: str, apply: Callable[..., Any]) -> None:
        event = decode(body, apply)
        message: Json = json.loads(body)
        snapshot: Json = message[pair.aggregate.field]
        await self._prepare(pair, message)
        await ActivityEnvironment().run(apply, event)
        if (pair.subscriber, pair.aggregate.field) == ("notifications", "order"):
            await self._check_notification(pair, message, snapshot)
            return
        model = READ_MODELS[(pair.subscriber, pair.aggregate.field)]
        async with self.sessions(pair.subscriber)() as session:
            row = await session.get(model.table, snapshot["id"])
        assert row is not None, f"{pair.id}: no row {snapshot['id']} in {model.table.__tablename__}"
        expected = model.expected(message, snapshot)
        unchecked = {c.name for c in table_of(model.table).columns} - {"id", *expected}
        assert not unchecked, f"{pair.id}: the contract does not say where {sorted(unchecked)} come from"
        actual = {column: getattr(row, column) for column in expected}
        assert actual == expected, f"{pair.id}: the read model holds {actual}, the message said {expected}"

    async def _prepare(self, pair: Pair, message: Json) -> None:
        """A clean slate for the example's rows (a rerun, or another example of the same aggregate, would
        otherwise hold a higher event number), and the order's customer in the subscriber's own cache."""
        snapshot = message[pair.aggregate.field]
        sessions = self.sessions(pair.subscriber)
        rows: list[tuple[type[SQLModel], str]] = []
        if (pair.subscriber, pair.aggregate.field) == ("notifications", "order"):
            key = f"{message['aggregate_id']}:{message['number']}"
            # The message and its send-ledger entry: another example of the same order and number (OrderRejected #2,
            # OrderCancelled #2) is another message here, where in life one number is one event.
            rows += [(NotificationRow, key), (SmsSendRow, key)]
        else:
            rows.append((READ_MODELS[(pair.subscriber, pair.aggregate.field)].table, snapshot["id"]))
        if pair.aggregate.field == "order" and pair.subscriber in ("search", "notifications"):
            cache = SearchCustomerCache if pair.subscriber == "search" else NotificationCustomerCache
            rows.append((cache, snapshot["customer_id"]))
        async with sessions.begin() as session:
            for model, key in rows:
                table = table_of(model)
                await session.exec(delete(table).where(table.c.id == key))
        if pair.aggregate.field == "order" and pair.subscriber in ("search", "notifications"):
            customer = Customer(id=snapshot["customer_id"], **KNOWN_CUSTOMER)
            registered = CustomerEvent(
                name="customers.CustomerRegistered",
                aggregate_id=customer.id,
                number=1,
                occurred_at=datetime.fromisoformat(message["occurred_at"]),
                customer=customer,
            )
            await self._activities[pair.subscriber]["apply_customer_event"](registered)

    async def _check_notification(self, pair: Pair, message: Json, snapshot: Json) -> None:
        key = f"{message['aggregate_id']}:{message['number']}"
        async with self.sessions(pair.subscriber)() as session:
            row = await session.get(NotificationRow, key)
        if pair.event_name not in NOTIFIED:
            assert row is None, f"{pair.id}: the customer was told about {pair.event_name}: {row}"
            return
        assert row is not None, f"{pair.id}: no SMS was recorded for {key}"
        actual = {
            "customer_id": row.customer_id,
            "order_id": row.order_id,
            "event_name": row.event_name,
            "sms_number": row.sms_number,
            "sent_at": row.sent_at,
        }
        expected = {
            "customer_id": snapshot["customer_id"],
            "order_id": snapshot["id"],
            "event_name": pair.event_name,
            "sms_number": KNOWN_CUSTOMER["sms_number"],
            "sent_at": _when(message["occurred_at"]),
        }
        assert actual == expected, f"{pair.id}: the SMS record holds {actual}, the message said {expected}"
        mentions = [KNOWN_CUSTOMER["name"], snapshot["id"][:8]]
        if pair.event_name in ("ordering.OrderCreated", "ordering.OrderReadied"):
            mentions.append(str(_total(snapshot["items"])))
        if snapshot["reason"] is not None:
            mentions.append(snapshot["reason"])
        missing = [m for m in mentions if m not in row.message]
        assert not missing, f"{pair.id}: the SMS {row.message!r} does not mention {missing}"
