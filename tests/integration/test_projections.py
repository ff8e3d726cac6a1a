"""Projections against the stack's real Postgres: duplicated, reordered and stale deliveries change nothing.

Each projection method is called directly (they are plain async methods) with events built by the
domain's event builders, exactly as the entity workflows build them.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import SQLModel

from domain.customers import model as customers
from domain.customers.events import customer_event
from domain.ordering import model as ordering
from domain.ordering.events import order_event
from domain.shared.events import DomainEvent
from domain.shared.money import MAX_PRICE, MAX_QUANTITY
from domain.stores import model as stores
from domain.stores.events import product_event, store_event
from mallbots import migrate
from mallbots.stack import Stack
from readmodels.baskets.projections import BasketsProjections
from readmodels.baskets.tables import BasketProductCache, BasketStoreCache
from readmodels.customers.projections import CustomersProjections
from readmodels.customers.tables import CustomerRow
from readmodels.depot.projections import DepotProjections
from readmodels.depot.tables import DepotProductCache, DepotStoreCache
from readmodels.notifications.projections import NotificationsProjections
from readmodels.notifications.tables import NotificationCustomerCache
from readmodels.ordering.projections import OrderingProjections
from readmodels.ordering.tables import OrderRow
from readmodels.search.projections import SearchProjections
from readmodels.search.tables import SearchCustomerCache, SearchOrderView, SearchProductCache, SearchStoreCache
from readmodels.shared.db import SessionFactory, project
from readmodels.stores.projections import StoresProjections
from readmodels.stores.tables import ProductRow, StoreRow

pytestmark = pytest.mark.integration

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def at(number: int) -> datetime:
    return T0 + timedelta(minutes=number)


# --- event histories, built by the domain rules and the domain event builders ---------------------------


def store_events(store_id: str) -> list[DomainEvent]:
    created = stores.create_store(store_id, "Corner Shop", "Level 1")
    rebranded = stores.rebrand_store(created, "Corner Store")
    enabled = stores.enable_participation(rebranded)
    rebranded_again = stores.rebrand_store(enabled, "The Corner")
    disabled = stores.disable_participation(rebranded_again)
    history = [
        ("stores.StoreCreated", created),
        ("stores.StoreRebranded", rebranded),
        ("stores.StoreParticipationToggled", enabled),
        ("stores.StoreRebranded", rebranded_again),
        ("stores.StoreParticipationToggled", disabled),
    ]
    return [store_event(name, n, at(n), state) for n, (name, state) in enumerate(history, 1)]


PRODUCTS_STORE = f"store-{uuid.uuid4()}"


def product_events(product_id: str) -> list[DomainEvent]:
    added = stores.add_product(product_id, PRODUCTS_STORE, "Widget", "Blue", "W-1", Decimal("10"))
    rebranded = stores.rebrand_product(added, "Gadget", "Red")
    raised = stores.increase_price(rebranded, Decimal("12.5"))
    lowered = stores.decrease_price(raised, Decimal("11.25"))
    removed = stores.remove_product(lowered)
    history = [
        ("stores.ProductAdded", added),
        ("stores.ProductRebranded", rebranded),
        ("stores.ProductPriceChanged", raised),
        ("stores.ProductPriceChanged", lowered),
        ("stores.ProductRemoved", removed),
    ]
    return [product_event(name, n, at(n), state) for n, (name, state) in enumerate(history, 1)]


def customer_events(customer_id: str) -> list[DomainEvent]:
    registered = customers.register_customer(customer_id, "Ada", "5550001111")
    changed = customers.change_sms_number(registered, "+44 20 7946 0000")
    disabled = customers.disable_customer(changed)
    changed_again = customers.change_sms_number(disabled, "555.000.2222")
    enabled = customers.enable_customer(changed_again)
    history = [
        ("customers.CustomerRegistered", registered),
        ("customers.CustomerSmsChanged", changed),
        ("customers.CustomerDisabled", disabled),
        ("customers.CustomerSmsChanged", changed_again),
        ("customers.CustomerEnabled", enabled),
    ]
    return [customer_event(name, n, at(n), state) for n, (name, state) in enumerate(history, 1)]


ORDERS_CUSTOMER = f"customer-{uuid.uuid4()}"


def order_events(order_id: str) -> list[DomainEvent]:
    items = (
        ordering.OrderItem(
            product_id="p-2", store_id="s-2", store_name="B", product_name="Gadget", price=Decimal("5"), quantity=1
        ),
        ordering.OrderItem(
            product_id="p-1",
            store_id="s-1",
            store_name="A",
            product_name="Widget",
            price=Decimal("19.99"),
            quantity=3,
        ),
    )
    created = ordering.Order(
        id=order_id,
        customer_id=ORDERS_CUSTOMER,
        payment_id="pay-1",
        items=items,
        basket_id="basket-1",
        created_at=at(1),
        updated_at=at(1),
    )
    approved = ordering.approve(created, "shopping-1", at(2))
    readied = ordering.ready(approved, "invoice-1", at(3))
    completed = ordering.complete(readied, at(4))
    history = [
        ("ordering.OrderCreated", created),
        ("ordering.OrderApproved", approved),
        ("ordering.OrderReadied", readied),
        ("ordering.OrderCompleted", completed),
    ]
    return [order_event(name, n, at(n), state) for n, (name, state) in enumerate(history, 1)]


# --- every projection: which service's database, which object and method, which table ---------------


@dataclass(frozen=True)
class Projection:
    name: str
    service: str
    build: Callable[[SessionFactory], object]
    method: str
    table: type[SQLModel]
    history: Callable[[str], list[DomainEvent]]

    def apply(self, stack: Stack) -> Callable[[Any], Awaitable[None]]:
        assert stack.databases is not None
        method: Callable[[Any], Awaitable[None]] = getattr(
            self.build(stack.databases.sessions(self.service)), self.method
        )
        return method


PROJECTIONS = [
    Projection("stores stores", "stores", StoresProjections, "apply_store_event", StoreRow, store_events),
    Projection("stores products", "stores", StoresProjections, "apply_product_event", ProductRow, product_events),
    Projection("baskets stores", "baskets", BasketsProjections, "apply_store_event", BasketStoreCache, store_events),
    Projection(
        "baskets products",
        "baskets",
        BasketsProjections,
        "apply_product_event",
        BasketProductCache,
        product_events,
    ),
    Projection("depot stores", "depot", DepotProjections, "apply_store_event", DepotStoreCache, store_events),
    Projection("depot products", "depot", DepotProjections, "apply_product_event", DepotProductCache, product_events),
    Projection(
        "search customers",
        "search",
        SearchProjections,
        "apply_customer_event",
        SearchCustomerCache,
        customer_events,
    ),
    Projection("search stores", "search", SearchProjections, "apply_store_event", SearchStoreCache, store_events),
    Projection(
        "search products", "search", SearchProjections, "apply_product_event", SearchProductCache, product_events
    ),
    Projection("search orders", "search", SearchProjections, "apply_order_event", SearchOrderView, order_events),
    Projection(
        "notifications customers",
        "notifications",
        NotificationsProjections,
        "apply_customer_event",
        NotificationCustomerCache,
        customer_events,
    ),
    Projection(
        "customers customers", "customers", CustomersProjections, "apply_customer_event", CustomerRow, customer_events
    ),
    Projection("ordering orders", "ordering", OrderingProjections, "apply_order_event", OrderRow, order_events),
]


async def read_row(stack: Stack, projection: Projection, entity_id: str) -> dict[str, Any] | None:
    assert stack.databases is not None
    async with stack.databases.sessions(projection.service)() as session:
        row = await session.get(projection.table, entity_id)
        return None if row is None else row.model_dump()


def without_id(row: dict[str, Any] | None) -> dict[str, Any]:
    assert row is not None, "the projection wrote no row"
    return {column: value for column, value in row.items() if column != "id"}


def shows(row: dict[str, Any] | None, event: DomainEvent) -> bool:
    """Does the row carry this event's number and every field its snapshot shares with the table?"""
    assert row is not None, "the projection wrote no row"
    snapshot = next(
        getattr(event, field) for field in ("store", "product", "customer", "order") if hasattr(event, field)
    )
    for column, value in row.items():
        if column == "version":
            expected: Any = event.number
        elif column == "items":
            expected = [item.model_dump(mode="json") for item in snapshot.items]
        elif hasattr(snapshot, column) and getattr(snapshot, column) is not None:
            expected = getattr(snapshot, column)
        else:
            continue
        if value != expected:
            return False
    return True


Ordering = Callable[[list[DomainEvent]], list[DomainEvent]]

ORDERINGS: dict[str, Ordering] = {
    "twice in order": lambda events: events + events,
    "each event twice in a row": lambda events: [e for e in events for _ in range(2)],
    "reversed": lambda events: events[::-1],
    "reversed twice": lambda events: events[::-1] + events[::-1],
    "shuffled": lambda events: random.Random(7).sample(events, len(events)),
    "shuffled three times over": lambda events: random.Random(11).sample(events * 3, len(events) * 3),
    "the latest first, then all": lambda events: [events[-1], *events],
}


async def deliver(apply: Callable[[Any], Awaitable[None]], events: Sequence[DomainEvent]) -> None:
    for event in events:
        await apply(event)


@pytest.mark.parametrize("projection", PROJECTIONS, ids=[p.name for p in PROJECTIONS])
@pytest.mark.parametrize("ordering", list(ORDERINGS))
async def test_a_projection_ends_identical_to_one_in_order_delivery_however_events_are_redelivered(
    stack: Stack, projection: Projection, ordering: str
) -> None:
    apply = projection.apply(stack)
    reference_id, subject_id = str(uuid.uuid4()), str(uuid.uuid4())
    reference_events = projection.history(reference_id)
    await deliver(apply, reference_events)
    reference = await read_row(stack, projection, reference_id)
    assert shows(reference, reference_events[-1]), reference

    await deliver(apply, ORDERINGS[ordering](projection.history(subject_id)))

    subject = await read_row(stack, projection, subject_id)
    assert without_id(subject) == without_id(reference)


@pytest.mark.parametrize("projection", PROJECTIONS, ids=[p.name for p in PROJECTIONS])
async def test_a_projection_ends_identical_when_every_event_is_delivered_twice_concurrently(
    stack: Stack, projection: Projection
) -> None:
    apply = projection.apply(stack)
    reference_id, subject_id = str(uuid.uuid4()), str(uuid.uuid4())
    await deliver(apply, projection.history(reference_id))
    events = projection.history(subject_id)

    await asyncio.gather(*(apply(event) for event in random.Random(3).sample(events * 2, len(events) * 2)))

    assert without_id(await read_row(stack, projection, subject_id)) == without_id(
        await read_row(stack, projection, reference_id)
    )


@pytest.mark.parametrize("projection", PROJECTIONS, ids=[p.name for p in PROJECTIONS])
async def test_a_stale_event_never_overwrites_a_newer_one(stack: Stack, projection: Projection) -> None:
    apply = projection.apply(stack)
    entity_id = str(uuid.uuid4())
    events = projection.history(entity_id)
    await apply(events[2])
    newer = await read_row(stack, projection, entity_id)
    assert shows(newer, events[2]), newer

    for stale in (events[1], events[0], events[2]):
        await apply(stale)

    assert await read_row(stack, projection, entity_id) == newer
    await apply(events[3])
    latest = await read_row(stack, projection, entity_id)
    assert latest != newer
    assert shows(latest, events[3]), latest


async def test_the_guarded_upsert_ignores_older_events_and_lets_the_same_number_again_win(stack: Stack) -> None:
    # The same number with another snapshot: a local projection run by a refused workflow task, then by its
    # retry, which is the one the workflow kept (see ``upsert_versioned``).
    assert stack.databases is not None
    sessions = stack.databases.sessions("stores")
    store_id = str(uuid.uuid4())

    def values(name: str, version: int) -> dict[str, Any]:
        return {"id": store_id, "name": name, "location": "L", "participating": False, "version": version}

    assert await project(sessions, StoreRow, values("first", 1)) is True
    assert await project(sessions, StoreRow, values("second", 2)) is True
    assert await project(sessions, StoreRow, values("retried", 2)) is True
    assert await project(sessions, StoreRow, values("stale", 1)) is False
    async with sessions() as session:
        row = await session.get(StoreRow, store_id)
    assert row is not None and (row.name, row.version) == ("retried", 2)


# --- migrations match the tables --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "service",
    migrate.migrated_services(),
)
async def test_the_migrations_of_a_service_match_its_tables(stack: Stack, service: str) -> None:
    await asyncio.to_thread(migrate.check, service, stack.database_urls[service])


ORDER_PROJECTIONS = [p for p in PROJECTIONS if p.method == "apply_order_event"]


@pytest.mark.parametrize(
    "projection",
    ORDER_PROJECTIONS,
    ids=[p.name for p in ORDER_PROJECTIONS],
)
async def test_the_largest_order_total_the_input_bounds_allow_fits_every_order_read_model(
    stack: Stack, projection: Projection
) -> None:
    # Ten lines at the highest price and quantity the API accepts (domain/shared/money.py).
    order_id = str(uuid.uuid4())
    items = tuple(
        ordering.OrderItem(
            product_id=f"p-{n}",
            store_id="s-1",
            store_name="A",
            product_name=f"P{n}",
            price=MAX_PRICE,
            quantity=MAX_QUANTITY,
        )
        for n in range(10)
    )
    order = ordering.Order(
        id=order_id, customer_id=ORDERS_CUSTOMER, payment_id="pay-1", items=items, created_at=at(1), updated_at=at(1)
    )
    assert order.total == Decimal("10000000000.00")

    await projection.apply(stack)(order_event("ordering.OrderCreated", 1, at(1), order))

    row = await read_row(stack, projection, order_id)
    assert row is not None and row["total"] == order.total


def test_every_service_with_read_models_is_migrated() -> None:
    assert set(migrate.migrated_services()) >= {"stores", "customers", "baskets", "depot", "notifications", "search"}
