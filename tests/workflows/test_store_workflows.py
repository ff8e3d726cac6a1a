"""StoreWorkflow and ProductWorkflow on the time-skipping server, projections replaced by recording fakes."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WorkflowContinuedAsNewError,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.stores.events import ProductEvent, StoreEvent
from domain.stores.model import Product, Store
from tests.workflows.fakes import WAIT_LIMIT, Gate
from workflows.stores.messages import (
    PRODUCT,
    STORE,
    TASK_QUEUE,
    AddProduct,
    ChangePrice,
    CreateStore,
    ProductWorkflowInput,
    RebrandProduct,
    RebrandStore,
    StoreWorkflowInput,
    product_workflow_id,
    store_workflow_id,
)
from workflows.stores.product_workflow import ProductWorkflow
from workflows.stores.store_workflow import StoreWorkflow

# Who must receive stores and products events (SPEC §3): the owner's read model, baskets, depot, search.
SPEC_STORE_SUBSCRIBERS = ("stores", "baskets", "depot", "search")
SPEC_PRODUCT_SUBSCRIBERS = ("stores", "baskets", "depot", "search")
# Fakes poll the spec's queues and whatever the code names, so a missing or extra subscriber shows as a
# wrong delivery instead of an update that never completes.
SUBSCRIBER_QUEUES = tuple(
    dict.fromkeys(SPEC_STORE_SUBSCRIBERS + SPEC_PRODUCT_SUBSCRIBERS + STORE.subscribers + PRODUCT.subscribers)
)

StoreHandle = WorkflowHandle[StoreWorkflow, None]
ProductHandle = WorkflowHandle[ProductWorkflow, Product | None]


Event = StoreEvent | ProductEvent


class RecordingProjections:
    """Same-named fakes of every stores projection: they record each delivery (when it arrives and when it
    is applied) and its task queue; a test can hold the deliveries it picks until it releases them."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[str, Event]] = []  # as they arrive
        self.finished: list[tuple[str, Event]] = []  # as they are applied
        self._holds: list[tuple[Callable[[str, Event], bool], Gate]] = []
        self._changed = asyncio.Condition()

    @activity.defn(name="apply_store_event")
    async def apply_store_event(self, event: StoreEvent) -> None:
        await self._apply(event)

    @activity.defn(name="apply_product_event")
    async def apply_product_event(self, event: ProductEvent) -> None:
        await self._apply(event)

    async def _apply(self, event: Event) -> None:
        queue = activity.info().task_queue
        await self._note(self.deliveries, (queue, event))
        for when, gate in self._holds:
            if when(queue, event):
                gate.entered.set()
                await gate.released.wait()
        await self._note(self.finished, (queue, event))

    async def _note(self, record: list[tuple[str, Event]], delivery: tuple[str, Event]) -> None:
        async with self._changed:
            record.append(delivery)
            self._changed.notify_all()

    def hold(self, queue: str, aggregate_id: str, number: int) -> Gate:
        """Hold the delivery of one aggregate's event ``number`` to ``queue`` until the gate is released."""
        gate = Gate()
        self._holds.append((lambda q, e: q == queue and e.aggregate_id == aggregate_id and e.number == number, gate))
        return gate

    def release_all(self) -> None:
        for _, gate in self._holds:
            gate.release()

    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        """Wait (on deliveries, not on time) until ``predicate`` holds; the limit only turns a hang into a failure."""
        async with asyncio.timeout(WAIT_LIMIT), self._changed:
            await self._changed.wait_for(predicate)

    def on(self, queue: str, aggregate_id: str) -> list[Any]:
        """The events of one aggregate applied on one queue, in the order they were applied."""
        return [e for q, e in self.finished if q == queue and e.aggregate_id == aggregate_id]

    def numbers(self, aggregate_id: str, *, applied: bool = False) -> dict[str, list[int]]:
        """Per queue, the event numbers delivered (or ``applied``) for one aggregate, in delivery order
        (a duplicate would show twice, a reordering out of order)."""
        found: dict[str, list[int]] = {}
        for queue, event in self.finished if applied else self.deliveries:
            if event.aggregate_id == aggregate_id:
                found.setdefault(queue, []).append(event.number)
        return found

    def owner_applied(self, aggregate_id: str) -> list[int]:
        """What the stores read model (the owner's) has applied for this aggregate."""
        return self.numbers(aggregate_id, applied=True).get(TASK_QUEUE, [])

    async def delivered_everywhere(self, aggregate_id: str, count: int, queues: Sequence[str]) -> None:
        """Wait until every one of ``queues`` has applied ``count`` events of this aggregate."""
        await self.wait_until(
            lambda: all(len(self.numbers(aggregate_id, applied=True).get(queue, [])) >= count for queue in queues)
        )


@dataclass
class Harness:
    client: Client
    queue: str
    projections: RecordingProjections
    started: list[str] = field(default_factory=list)

    async def start_store(self, continue_as_new_after: int = 1000) -> tuple[str, StoreHandle]:
        store_id = str(uuid.uuid4())
        started = await self.client.start_workflow(
            StoreWorkflow.run,
            StoreWorkflowInput(store_id=store_id, continue_as_new_after=continue_as_new_after),
            id=store_workflow_id(store_id),
            task_queue=self.queue,
        )
        self.started.append(started.id)
        return store_id, started

    async def start_product(self, continue_as_new_after: int = 1000) -> tuple[str, ProductHandle]:
        product_id = str(uuid.uuid4())
        started = await self.client.start_workflow(
            ProductWorkflow.run,
            ProductWorkflowInput(product_id=product_id, continue_as_new_after=continue_as_new_after),
            id=product_workflow_id(product_id),
            task_queue=self.queue,
        )
        self.started.append(started.id)
        return product_id, started

    def store(self, store_id: str) -> StoreHandle:
        """The latest run, whichever it is (follows continue-as-new)."""
        return self.client.get_workflow_handle_for(StoreWorkflow.run, store_workflow_id(store_id))

    def product(self, product_id: str) -> ProductHandle:
        return self.client.get_workflow_handle_for(ProductWorkflow.run, product_workflow_id(product_id))


@asynccontextmanager
async def running(env: WorkflowEnvironment) -> AsyncIterator[Harness]:
    """As deployed: the workflows on the stores queue, whose own projection runs there as a local activity;
    the recording fakes on every subscriber queue. Only this test's workers poll these queues."""
    harness = Harness(env.client, TASK_QUEUE, RecordingProjections())
    fakes: list[Callable[..., Any]] = [harness.projections.apply_store_event, harness.projections.apply_product_event]
    async with AsyncExitStack() as workers:
        await workers.enter_async_context(
            Worker(env.client, task_queue=TASK_QUEUE, workflows=[StoreWorkflow, ProductWorkflow], activities=fakes)
        )
        for queue in SUBSCRIBER_QUEUES:
            if queue != TASK_QUEUE:
                await workers.enter_async_context(Worker(env.client, task_queue=queue, activities=fakes))
        yield harness


@pytest.fixture
async def harness(time_skipping_env: WorkflowEnvironment) -> AsyncIterator[Harness]:
    async with running(time_skipping_env) as h:
        try:
            yield h
        finally:
            h.projections.release_all()  # a held delivery must not outlive its test
    # Leave nothing running on the shared server for later tests (their workers poll the same queues).
    for workflow_id in h.started:
        with contextlib.suppress(RPCError):
            await time_skipping_env.client.get_workflow_handle(workflow_id).terminate()


async def accepted_updates(handle: WorkflowHandle[Any, Any]) -> int:
    """How many updates this very run accepted (its own history)."""
    history = await handle.fetch_history()
    accepted = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    return sum(1 for event in history.events if event.event_type == accepted)


async def rejected(command: Awaitable[object]) -> ApplicationError:
    """The business failure a command was refused with."""
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await command
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError), f"expected an ApplicationError, got {cause!r}"
    assert cause.non_retryable
    return cause


def every_queue(numbers: Sequence[int], queues: Sequence[str]) -> dict[str, list[int]]:
    return {queue: list(numbers) for queue in queues}


# --- StoreWorkflow --------------------------------------------------------------------------------------


async def test_a_created_store_is_published_as_event_1_to_every_subscriber(harness: Harness) -> None:
    store_id, handle = await harness.start_store()

    store = await handle.execute_update(StoreWorkflow.create, CreateStore(name=" Corner Shop ", location="L1"))

    assert store == Store(id=store_id, name="Corner Shop", location="L1", participating=False)
    # The update answers once the owner's read model has the event; the others follow in the background.
    assert harness.projections.owner_applied(store_id) == [1]
    await harness.projections.delivered_everywhere(store_id, 1, SPEC_STORE_SUBSCRIBERS)
    assert harness.projections.numbers(store_id) == every_queue([1], SPEC_STORE_SUBSCRIBERS)
    for queue in SPEC_STORE_SUBSCRIBERS:
        [event] = harness.projections.on(queue, store_id)
        assert isinstance(event, StoreEvent)
        assert event.name == "stores.StoreCreated"
        assert event.aggregate_id == store_id
        assert event.store == store


async def test_every_store_command_publishes_the_next_numbered_event_to_every_subscriber(
    harness: Harness,
) -> None:
    store_id, handle = await harness.start_store()

    created = await handle.execute_update(StoreWorkflow.create, CreateStore(name="A", location="L1"))
    assert harness.projections.owner_applied(store_id) == [1]
    rebranded = await handle.execute_update(StoreWorkflow.rebrand, RebrandStore(name=" B "))
    assert harness.projections.owner_applied(store_id) == [1, 2]
    enabled = await handle.execute_update(StoreWorkflow.enable_participation)
    assert harness.projections.owner_applied(store_id) == [1, 2, 3]
    disabled = await handle.execute_update(StoreWorkflow.disable_participation)
    assert harness.projections.owner_applied(store_id) == [1, 2, 3, 4]

    assert rebranded == created.model_copy(update={"name": "B"})
    assert enabled == rebranded.model_copy(update={"participating": True})
    assert disabled == rebranded
    await harness.projections.delivered_everywhere(store_id, 4, SPEC_STORE_SUBSCRIBERS)
    assert harness.projections.numbers(store_id) == every_queue([1, 2, 3, 4], SPEC_STORE_SUBSCRIBERS)
    for queue in SPEC_STORE_SUBSCRIBERS:
        events = harness.projections.on(queue, store_id)
        assert [(e.name, e.store) for e in events] == [
            ("stores.StoreCreated", created),
            ("stores.StoreRebranded", rebranded),
            ("stores.StoreParticipationToggled", enabled),
            ("stores.StoreParticipationToggled", disabled),
        ]


async def test_a_held_subscriber_delays_neither_the_store_nor_its_other_subscribers_and_then_gets_all_in_order(
    harness: Harness,
) -> None:
    # The opposite of "an update waits for every subscriber": search is down for the store's first event.
    store_id, handle = await harness.start_store()
    held = harness.projections.hold("search", store_id, 1)

    async with asyncio.timeout(WAIT_LIMIT):  # were they to wait for search, this turns the hang into a failure
        created = await handle.execute_update(StoreWorkflow.create, CreateStore(name="A", location="L1"))
        await held.wait_entered()
        rebranded = await handle.execute_update(StoreWorkflow.rebrand, RebrandStore(name="B"))
        enabled = await handle.execute_update(StoreWorkflow.enable_participation)

    assert enabled == created.model_copy(update={"name": "B", "participating": True})
    assert harness.projections.owner_applied(store_id) == [1, 2, 3]
    others = [q for q in SPEC_STORE_SUBSCRIBERS if q != "search"]
    await harness.projections.delivered_everywhere(store_id, 3, others)
    # Search holds event 1, so events 2 and 3 wait behind it rather than overtaking it.
    assert harness.projections.numbers(store_id)["search"] == [1]
    assert "search" not in harness.projections.numbers(store_id, applied=True)

    held.release()

    await harness.projections.delivered_everywhere(store_id, 3, SPEC_STORE_SUBSCRIBERS)
    assert harness.projections.numbers(store_id) == every_queue([1, 2, 3], SPEC_STORE_SUBSCRIBERS)
    assert [e.store for e in harness.projections.on("search", store_id)] == [created, rebranded, enabled]


async def test_the_store_query_returns_none_before_creation_and_the_state_after_each_command(
    harness: Harness,
) -> None:
    _, handle = await harness.start_store()
    assert await handle.query(StoreWorkflow.get_store) is None

    created = await handle.execute_update(StoreWorkflow.create, CreateStore(name="A", location="L1"))
    assert await handle.query(StoreWorkflow.get_store) == created

    enabled = await handle.execute_update(StoreWorkflow.enable_participation)
    assert await handle.query(StoreWorkflow.get_store) == enabled
    assert enabled.participating


async def test_a_repeated_store_create_returns_the_same_store_without_a_second_event(
    harness: Harness,
) -> None:
    store_id, handle = await harness.start_store()
    first = await handle.execute_update(StoreWorkflow.create, CreateStore(name="A", location="L1"))

    again = await handle.execute_update(StoreWorkflow.create, CreateStore(name="Other", location="L2"))
    blank_again = await handle.execute_update(StoreWorkflow.create, CreateStore(name=" ", location=" "))

    assert again == first
    assert blank_again == first
    assert await handle.query(StoreWorkflow.get_store) == first
    # The next real change is event 2: the answered creates consumed no number and delivered nothing.
    await handle.execute_update(StoreWorkflow.rebrand, RebrandStore(name="B"))
    await harness.projections.delivered_everywhere(store_id, 2, SPEC_STORE_SUBSCRIBERS)
    assert harness.projections.numbers(store_id) == every_queue([1, 2], SPEC_STORE_SUBSCRIBERS)


StoreCommand = Callable[[StoreHandle], Awaitable[Store]]


def create_store(name: str = "A", location: str = "L1") -> StoreCommand:
    return lambda h: h.execute_update(StoreWorkflow.create, CreateStore(name=name, location=location))


def rebrand_store(name: str) -> StoreCommand:
    return lambda h: h.execute_update(StoreWorkflow.rebrand, RebrandStore(name=name))


def enable_participation() -> StoreCommand:
    return lambda h: h.execute_update(StoreWorkflow.enable_participation)


def disable_participation() -> StoreCommand:
    return lambda h: h.execute_update(StoreWorkflow.disable_participation)


@pytest.mark.parametrize(
    ("before", "command", "kind", "message"),
    [
        ([], create_store(name="  "), "InvalidArgument", "the store name cannot be blank"),
        ([], create_store(location=""), "InvalidArgument", "the store location cannot be blank"),
        ([], rebrand_store("B"), "NotFound", "the store does not exist"),
        ([], enable_participation(), "NotFound", "the store does not exist"),
        ([], disable_participation(), "NotFound", "the store does not exist"),
        ([create_store()], rebrand_store(" \t"), "InvalidArgument", "the store name cannot be blank"),
        ([create_store()], disable_participation(), "Conflict", "the store is not participating"),
        (
            [create_store(), enable_participation()],
            enable_participation(),
            "Conflict",
            "the store is already participating",
        ),
        (
            [create_store(), enable_participation(), disable_participation()],
            disable_participation(),
            "Conflict",
            "the store is not participating",
        ),
    ],
    ids=[
        "blank name on create",
        "blank location on create",
        "rebrand before create",
        "enable before create",
        "disable before create",
        "blank name on rebrand",
        "disable when not participating",
        "enable participation twice",
        "disable participation twice",
    ],
)
async def test_a_refused_store_command_fails_with_its_error_kind_and_publishes_nothing(
    harness: Harness, before: list[StoreCommand], command: StoreCommand, kind: str, message: str
) -> None:
    store_id, handle = await harness.start_store()
    for step in before:
        await step(handle)
    await harness.projections.delivered_everywhere(store_id, len(before), SPEC_STORE_SUBSCRIBERS)
    state_before = await handle.query(StoreWorkflow.get_store)
    published_before = harness.projections.numbers(store_id)

    failure = await rejected(command(handle))

    assert failure.type == kind
    assert failure.message == message
    assert harness.projections.numbers(store_id) == published_before
    assert await handle.query(StoreWorkflow.get_store) == state_before
    # The refusal consumed no event number: the next accepted command gets the next one.
    if state_before is None:
        await create_store()(handle)
    else:
        await rebrand_store("Next")(handle)
    expected = list(range(1, len(before) + 2))
    assert harness.projections.owner_applied(store_id) == expected
    await harness.projections.delivered_everywhere(store_id, len(expected), SPEC_STORE_SUBSCRIBERS)
    assert harness.projections.numbers(store_id) == every_queue(expected, SPEC_STORE_SUBSCRIBERS)


async def test_two_concurrent_enables_apply_once_and_the_other_is_a_conflict(harness: Harness) -> None:
    store_id, handle = await harness.start_store()
    await create_store()(handle)

    results = await asyncio.gather(
        handle.execute_update(StoreWorkflow.enable_participation),
        handle.execute_update(StoreWorkflow.enable_participation),
        return_exceptions=True,
    )

    succeeded = [r for r in results if isinstance(r, Store)]
    failed = [r for r in results if isinstance(r, WorkflowUpdateFailedError)]
    assert len(succeeded) == 1 and len(failed) == 1, results
    assert isinstance(failed[0].cause, ApplicationError)
    assert failed[0].cause.type == "Conflict"
    assert harness.projections.owner_applied(store_id) == [1, 2]
    await harness.projections.delivered_everywhere(store_id, 2, SPEC_STORE_SUBSCRIBERS)
    assert harness.projections.numbers(store_id) == every_queue([1, 2], SPEC_STORE_SUBSCRIBERS)


async def test_a_store_continues_as_new_carrying_its_state_and_event_number(harness: Harness) -> None:
    store_id, started = await harness.start_store(continue_as_new_after=2)
    first_run = started.first_execution_run_id
    latest = harness.store(store_id)

    await latest.execute_update(StoreWorkflow.create, CreateStore(name="A", location="L1"))
    await latest.execute_update(StoreWorkflow.rebrand, RebrandStore(name="B"))
    first_handle = harness.client.get_workflow_handle(store_workflow_id(store_id), run_id=first_run)
    # The run continues as new only once every subscriber has its events (it drains first).
    with pytest.raises(WorkflowContinuedAsNewError):
        await first_handle.result(follow_runs=False)
    assert harness.projections.numbers(store_id, applied=True) == every_queue([1, 2], SPEC_STORE_SUBSCRIBERS)
    third = await latest.execute_update(StoreWorkflow.enable_participation)

    assert (await first_handle.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW
    now = await latest.describe()
    assert now.run_id != first_run
    assert now.status == WorkflowExecutionStatus.RUNNING
    # The first run took two commands; the third was applied by the new run, on the carried state.
    assert await accepted_updates(first_handle) == 2
    assert await accepted_updates(harness.client.get_workflow_handle(now.id, run_id=now.run_id)) == 1
    assert third == Store(id=store_id, name="B", location="L1", participating=True)
    assert await latest.query(StoreWorkflow.get_store) == third
    assert harness.projections.owner_applied(store_id) == [1, 2, 3]
    # The carried number keeps counting in the new run.
    fourth = await latest.execute_update(StoreWorkflow.rebrand, RebrandStore(name="C"))
    assert fourth.name == "C"
    await harness.projections.delivered_everywhere(store_id, 4, SPEC_STORE_SUBSCRIBERS)
    assert harness.projections.numbers(store_id) == every_queue([1, 2, 3, 4], SPEC_STORE_SUBSCRIBERS)
    assert [e.name for e in harness.projections.on("stores", store_id)] == [
        "stores.StoreCreated",
        "stores.StoreRebranded",
        "stores.StoreParticipationToggled",
        "stores.StoreRebranded",
    ]


async def test_a_continued_store_still_answers_a_repeated_create_without_an_event(harness: Harness) -> None:
    store_id, started = await harness.start_store(continue_as_new_after=1)
    latest = harness.store(store_id)
    created = await latest.execute_update(StoreWorkflow.create, CreateStore(name="A", location="L1"))
    first_handle = harness.client.get_workflow_handle(
        store_workflow_id(store_id), run_id=started.first_execution_run_id
    )
    with pytest.raises(WorkflowContinuedAsNewError):
        await first_handle.result(follow_runs=False)

    again = await latest.execute_update(StoreWorkflow.create, CreateStore(name="Z", location="L9"))

    assert again == created
    assert await accepted_updates(first_handle) == 1  # the repeat was answered by the continued run
    assert harness.projections.numbers(store_id) == every_queue([1], SPEC_STORE_SUBSCRIBERS)


# --- ProductWorkflow ------------------------------------------------------------------------------------


def add(name: str = "Widget", price: str = "10.00", store_id: str = "store-1") -> AddProduct:
    return AddProduct(store_id=store_id, name=name, description=" A widget ", sku=" W-1 ", price=Decimal(price))


async def test_an_added_product_is_published_as_event_1_to_every_subscriber(harness: Harness) -> None:
    product_id, handle = await harness.start_product()

    product = await handle.execute_update(ProductWorkflow.add, add(name=" Widget ", price="9.5"))

    assert product == Product(
        id=product_id,
        store_id="store-1",
        name="Widget",
        description="A widget",
        sku="W-1",
        price=Decimal("9.50"),
    )
    assert harness.projections.owner_applied(product_id) == [1]
    await harness.projections.delivered_everywhere(product_id, 1, SPEC_PRODUCT_SUBSCRIBERS)
    assert harness.projections.numbers(product_id) == every_queue([1], SPEC_PRODUCT_SUBSCRIBERS)
    for queue in SPEC_PRODUCT_SUBSCRIBERS:
        [event] = harness.projections.on(queue, product_id)
        assert isinstance(event, ProductEvent)
        assert event.name == "stores.ProductAdded"
        assert event.product == product
    assert await handle.query(ProductWorkflow.get_product) == product


async def test_every_product_command_publishes_the_next_event_and_the_workflow_ends_after_remove(
    harness: Harness,
) -> None:
    product_id, handle = await harness.start_product()
    assert await handle.query(ProductWorkflow.get_product) is None

    added = await handle.execute_update(ProductWorkflow.add, add(price="10"))
    rebranded = await handle.execute_update(ProductWorkflow.rebrand, RebrandProduct(name="Gadget", description="G"))
    raised = await handle.execute_update(ProductWorkflow.increase_price, ChangePrice(price=Decimal("12.34")))
    lowered = await handle.execute_update(ProductWorkflow.decrease_price, ChangePrice(price=Decimal("11")))
    removed = await handle.execute_update(ProductWorkflow.remove)

    assert rebranded == added.model_copy(update={"name": "Gadget", "description": "G"})
    assert raised.price == Decimal("12.34")
    assert lowered.price == Decimal("11.00")
    assert removed == lowered.model_copy(update={"removed": True})
    assert harness.projections.owner_applied(product_id) == [1, 2, 3, 4, 5]
    # The workflow ends only once every subscriber has every event (it drains first): no wait needed after.
    assert await handle.result() == removed
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    assert harness.projections.numbers(product_id, applied=True) == every_queue(
        [1, 2, 3, 4, 5], SPEC_PRODUCT_SUBSCRIBERS
    )
    for queue in SPEC_PRODUCT_SUBSCRIBERS:
        assert [(e.name, e.product) for e in harness.projections.on(queue, product_id)] == [
            ("stores.ProductAdded", added),
            ("stores.ProductRebranded", rebranded),
            ("stores.ProductPriceChanged", raised),
            ("stores.ProductPriceChanged", lowered),
            ("stores.ProductRemoved", removed),
        ]


async def test_a_removed_product_accepts_no_further_command(harness: Harness) -> None:
    product_id, handle = await harness.start_product()
    await handle.execute_update(ProductWorkflow.add, add())
    await handle.execute_update(ProductWorkflow.remove)
    await handle.result()

    with pytest.raises(RPCError) as caught:
        await handle.execute_update(ProductWorkflow.rebrand, RebrandProduct(name="Again"))
    assert caught.value.status == RPCStatusCode.NOT_FOUND  # the API maps it to 404

    assert harness.projections.numbers(product_id) == every_queue([1, 2], SPEC_PRODUCT_SUBSCRIBERS)


async def test_a_repeated_add_returns_the_same_product_without_a_second_event(harness: Harness) -> None:
    product_id, handle = await harness.start_product()
    first = await handle.execute_update(ProductWorkflow.add, add(name="Widget", price="1"))

    again = await handle.execute_update(ProductWorkflow.add, add(name="Other", price="99"))
    invalid_again = await handle.execute_update(ProductWorkflow.add, add(name=" ", price="-1"))

    assert again == first
    assert invalid_again == first
    # The next real change is event 2: the answered adds consumed no number and delivered nothing.
    await handle.execute_update(ProductWorkflow.rebrand, RebrandProduct(name="Gadget"))
    await harness.projections.delivered_everywhere(product_id, 2, SPEC_PRODUCT_SUBSCRIBERS)
    assert harness.projections.numbers(product_id) == every_queue([1, 2], SPEC_PRODUCT_SUBSCRIBERS)


ProductCommand = Callable[[ProductHandle], Awaitable[Product]]


def add_product(name: str = "Widget", price: str = "10.00") -> ProductCommand:
    return lambda h: h.execute_update(ProductWorkflow.add, add(name=name, price=price))


def rebrand_product(name: str) -> ProductCommand:
    return lambda h: h.execute_update(ProductWorkflow.rebrand, RebrandProduct(name=name, description="d"))


def increase_price(price: str) -> ProductCommand:
    return lambda h: h.execute_update(ProductWorkflow.increase_price, ChangePrice(price=Decimal(price)))


def decrease_price(price: str) -> ProductCommand:
    return lambda h: h.execute_update(ProductWorkflow.decrease_price, ChangePrice(price=Decimal(price)))


def remove_product() -> ProductCommand:
    return lambda h: h.execute_update(ProductWorkflow.remove)


@pytest.mark.parametrize(
    ("before", "command", "kind", "message"),
    [
        ([], add_product(name=" "), "InvalidArgument", "the product name cannot be blank"),
        ([], add_product(price="-0.01"), "InvalidArgument", "the product price cannot be negative"),
        ([], rebrand_product("B"), "NotFound", "the product does not exist"),
        ([], increase_price("20"), "NotFound", "the product does not exist"),
        ([], decrease_price("1"), "NotFound", "the product does not exist"),
        ([], remove_product(), "NotFound", "the product does not exist"),
        ([add_product()], rebrand_product(""), "InvalidArgument", "the product name cannot be blank"),
        (
            [add_product(price="10")],
            increase_price("10"),
            "InvalidArgument",
            "the new price must be higher than the current price 10.00",
        ),
        (
            [add_product(price="10")],
            increase_price("9.99"),
            "InvalidArgument",
            "the new price must be higher than the current price 10.00",
        ),
        (
            [add_product(price="10")],
            decrease_price("10.00"),
            "InvalidArgument",
            "the new price must be lower than the current price 10.00",
        ),
        (
            [add_product(price="10")],
            decrease_price("10.01"),
            "InvalidArgument",
            "the new price must be lower than the current price 10.00",
        ),
        ([add_product()], increase_price("-5"), "InvalidArgument", "the product price cannot be negative"),
        ([add_product()], decrease_price("-5"), "InvalidArgument", "the product price cannot be negative"),
    ],
    ids=[
        "blank name on add",
        "negative price on add",
        "rebrand before add",
        "increase before add",
        "decrease before add",
        "remove before add",
        "blank name on rebrand",
        "increase to the same price",
        "increase to a lower price",
        "decrease to the same price",
        "decrease to a higher price",
        "increase to a negative price",
        "decrease to a negative price",
    ],
)
async def test_a_refused_product_command_fails_with_its_error_kind_and_publishes_nothing(
    harness: Harness, before: list[ProductCommand], command: ProductCommand, kind: str, message: str
) -> None:
    product_id, handle = await harness.start_product()
    for step in before:
        await step(handle)
    await harness.projections.delivered_everywhere(product_id, len(before), SPEC_PRODUCT_SUBSCRIBERS)
    state_before = await handle.query(ProductWorkflow.get_product)
    published_before = harness.projections.numbers(product_id)

    failure = await rejected(command(handle))

    assert failure.type == kind
    assert failure.message == message
    assert harness.projections.numbers(product_id) == published_before
    assert await handle.query(ProductWorkflow.get_product) == state_before
    if state_before is None:
        await add_product()(handle)
    else:
        await rebrand_product("Next")(handle)
    expected = list(range(1, len(before) + 2))
    assert harness.projections.owner_applied(product_id) == expected
    await harness.projections.delivered_everywhere(product_id, len(expected), SPEC_PRODUCT_SUBSCRIBERS)
    assert harness.projections.numbers(product_id) == every_queue(expected, SPEC_PRODUCT_SUBSCRIBERS)


async def test_a_product_continues_as_new_carrying_its_state_and_event_number(harness: Harness) -> None:
    product_id, started = await harness.start_product(continue_as_new_after=2)
    first_run = started.first_execution_run_id
    latest = harness.product(product_id)

    await latest.execute_update(ProductWorkflow.add, add(price="10"))
    await latest.execute_update(ProductWorkflow.rebrand, RebrandProduct(name="Gadget"))
    first_handle = harness.client.get_workflow_handle(product_workflow_id(product_id), run_id=first_run)
    # The run continues as new only once every subscriber has its events (it drains first).
    with pytest.raises(WorkflowContinuedAsNewError):
        await first_handle.result(follow_runs=False)
    assert harness.projections.numbers(product_id, applied=True) == every_queue([1, 2], SPEC_PRODUCT_SUBSCRIBERS)
    third = await latest.execute_update(ProductWorkflow.increase_price, ChangePrice(price=Decimal("11")))

    assert (await first_handle.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW
    now = await latest.describe()
    assert now.run_id != first_run
    assert await accepted_updates(first_handle) == 2
    assert await accepted_updates(harness.client.get_workflow_handle(now.id, run_id=now.run_id)) == 1
    assert third.name == "Gadget" and third.price == Decimal("11.00")
    assert await latest.query(ProductWorkflow.get_product) == third
    assert harness.projections.owner_applied(product_id) == [1, 2, 3]

    removed = await latest.execute_update(ProductWorkflow.remove)

    assert harness.projections.owner_applied(product_id) == [1, 2, 3, 4]
    assert await latest.result() == removed
    assert harness.projections.numbers(product_id, applied=True) == every_queue([1, 2, 3, 4], SPEC_PRODUCT_SUBSCRIBERS)
    assert removed == third.model_copy(update={"removed": True})
