"""CustomerWorkflow on the time-skipping server, projections replaced by recording fakes."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
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
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.customers.events import CustomerEvent
from domain.customers.model import Customer
from tests.workflows.fakes import WAIT_LIMIT, Gate
from workflows.customers.customer_workflow import CustomerWorkflow
from workflows.customers.messages import (
    CUSTOMER,
    TASK_QUEUE,
    ChangeSmsNumber,
    CustomerWorkflowInput,
    RegisterCustomer,
    customer_workflow_id,
)

CustomerHandle = WorkflowHandle[CustomerWorkflow, None]

# Who must receive customers events (SPEC §3): the owner's read model, notifications, search.
SPEC_SUBSCRIBERS = ("customers", "notifications", "search")
# Fakes poll the spec's queues and whatever the code names, so a missing or extra subscriber shows as a
# wrong delivery instead of an update that never completes.
SUBSCRIBER_QUEUES = tuple(dict.fromkeys(SPEC_SUBSCRIBERS + CUSTOMER.subscribers))


class RecordingProjections:
    """A same-named fake of the customers projection: records each delivery (when it arrives and when it is
    applied) and its task queue; a test can hold the deliveries it picks until it releases them."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[str, CustomerEvent]] = []  # as they arrive
        self.finished: list[tuple[str, CustomerEvent]] = []  # as they are applied
        self._holds: list[tuple[Callable[[str, CustomerEvent], bool], Gate]] = []
        self._changed = asyncio.Condition()

    @activity.defn(name="apply_customer_event")
    async def apply_customer_event(self, event: CustomerEvent) -> None:
        queue = activity.info().task_queue
        await self._note(self.deliveries, (queue, event))
        for when, gate in self._holds:
            if when(queue, event):
                gate.entered.set()
                await gate.released.wait()
        await self._note(self.finished, (queue, event))

    async def _note(self, record: list[tuple[str, CustomerEvent]], delivery: tuple[str, CustomerEvent]) -> None:
        async with self._changed:
            record.append(delivery)
            self._changed.notify_all()

    def hold(self, queue: str, number: int) -> Gate:
        """Hold the delivery of event ``number`` to ``queue`` (any customer) until the gate is released."""
        gate = Gate()
        self._holds.append((lambda q, e: q == queue and e.number == number, gate))
        return gate

    def release_all(self) -> None:
        for _, gate in self._holds:
            gate.release()

    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        """Wait (on deliveries, not on time) until ``predicate`` holds; the limit only turns a hang into a failure."""
        async with asyncio.timeout(WAIT_LIMIT), self._changed:
            await self._changed.wait_for(predicate)

    def on(self, queue: str, customer_id: str) -> list[CustomerEvent]:
        """The events of one customer applied on one queue, in the order they were applied."""
        return [e for q, e in self.finished if q == queue and e.aggregate_id == customer_id]

    def numbers(self, customer_id: str, *, applied: bool = False) -> dict[str, list[int]]:
        """Per queue, the event numbers delivered (or ``applied``) for one customer, in delivery order
        (a duplicate would show twice, a reordering out of order)."""
        found: dict[str, list[int]] = {}
        for queue, event in self.finished if applied else self.deliveries:
            if event.aggregate_id == customer_id:
                found.setdefault(queue, []).append(event.number)
        return found

    def owner_applied(self, customer_id: str) -> list[int]:
        """What the customers read model (the owner's) has applied for this customer."""
        return self.numbers(customer_id, applied=True).get(TASK_QUEUE, [])

    async def delivered_everywhere(self, customer_id: str, count: int) -> None:
        """Wait until every subscriber has applied ``count`` events of this customer."""
        await self.wait_until(
            lambda: all(
                len(self.numbers(customer_id, applied=True).get(queue, [])) >= count for queue in SPEC_SUBSCRIBERS
            )
        )


@dataclass
class Harness:
    client: Client
    queue: str
    projections: RecordingProjections
    started: list[str] = field(default_factory=list)

    async def start(self, continue_as_new_after: int = 1000) -> tuple[str, CustomerHandle]:
        customer_id = str(uuid.uuid4())
        started = await self.client.start_workflow(
            CustomerWorkflow.run,
            CustomerWorkflowInput(customer_id=customer_id, continue_as_new_after=continue_as_new_after),
            id=customer_workflow_id(customer_id),
            task_queue=self.queue,
        )
        self.started.append(started.id)
        return customer_id, started

    def latest(self, customer_id: str) -> CustomerHandle:
        """The latest run, whichever it is (follows continue-as-new)."""
        return self.client.get_workflow_handle_for(CustomerWorkflow.run, customer_workflow_id(customer_id))


@asynccontextmanager
async def running(env: WorkflowEnvironment) -> AsyncIterator[Harness]:
    """As deployed: the workflow on the customers queue, whose own projection runs there as a local activity;
    the recording fake on every subscriber queue. Only this test's workers poll these queues."""
    harness = Harness(env.client, TASK_QUEUE, RecordingProjections())
    fakes = [harness.projections.apply_customer_event]
    async with AsyncExitStack() as workers:
        await workers.enter_async_context(
            Worker(env.client, task_queue=TASK_QUEUE, workflows=[CustomerWorkflow], activities=fakes)
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
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await command
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError), f"expected an ApplicationError, got {cause!r}"
    assert cause.non_retryable
    return cause


def every_queue(numbers: Sequence[int]) -> dict[str, list[int]]:
    return {queue: list(numbers) for queue in SPEC_SUBSCRIBERS}


Command = Callable[[CustomerHandle], Awaitable[Customer]]


def register(name: str = "Ada", sms: str = "+15551234567") -> Command:
    return lambda h: h.execute_update(CustomerWorkflow.register, RegisterCustomer(name=name, sms_number=sms))


def change_sms(sms: str) -> Command:
    return lambda h: h.execute_update(CustomerWorkflow.change_sms_number, ChangeSmsNumber(sms_number=sms))


def enable() -> Command:
    return lambda h: h.execute_update(CustomerWorkflow.enable)


def disable() -> Command:
    return lambda h: h.execute_update(CustomerWorkflow.disable)


async def test_a_registered_customer_is_published_as_event_1_to_every_subscriber(harness: Harness) -> None:
    customer_id, handle = await harness.start()

    customer = await register(name=" Ada Lovelace ", sms=" +1 555 123 4567 ")(handle)

    assert customer == Customer(id=customer_id, name="Ada Lovelace", sms_number="+1 555 123 4567", enabled=True)
    # The update answers once the owner's read model has the event; the others follow in the background.
    assert harness.projections.owner_applied(customer_id) == [1]
    await harness.projections.delivered_everywhere(customer_id, 1)
    assert harness.projections.numbers(customer_id) == every_queue([1])
    for queue in SPEC_SUBSCRIBERS:
        [event] = harness.projections.on(queue, customer_id)
        assert event.name == "customers.CustomerRegistered"
        assert event.aggregate_id == customer_id
        assert event.customer == customer


async def test_every_customer_command_publishes_the_next_numbered_event_to_every_subscriber(
    harness: Harness,
) -> None:
    customer_id, handle = await harness.start()

    registered = await register()(handle)
    assert harness.projections.owner_applied(customer_id) == [1]
    changed = await change_sms("555 000 1111")(handle)
    assert harness.projections.owner_applied(customer_id) == [1, 2]
    disabled = await disable()(handle)
    assert harness.projections.owner_applied(customer_id) == [1, 2, 3]
    enabled = await enable()(handle)
    assert harness.projections.owner_applied(customer_id) == [1, 2, 3, 4]

    assert changed == registered.model_copy(update={"sms_number": "555 000 1111"})
    assert disabled == changed.model_copy(update={"enabled": False})
    assert enabled == changed
    await harness.projections.delivered_everywhere(customer_id, 4)
    assert harness.projections.numbers(customer_id) == every_queue([1, 2, 3, 4])
    for queue in SPEC_SUBSCRIBERS:
        assert [(e.name, e.customer) for e in harness.projections.on(queue, customer_id)] == [
            ("customers.CustomerRegistered", registered),
            ("customers.CustomerSmsChanged", changed),
            ("customers.CustomerDisabled", disabled),
            ("customers.CustomerEnabled", enabled),
        ]


async def test_a_held_subscriber_delays_neither_the_answer_nor_the_next_command_and_then_gets_both_in_order(
    harness: Harness,
) -> None:
    # The opposite of "an update waits for every subscriber": search is down for event 1.
    held = harness.projections.hold("search", 1)
    customer_id, handle = await harness.start()

    async with asyncio.timeout(WAIT_LIMIT):  # were they to wait for search, this turns the hang into a failure
        registered = await register()(handle)
        await held.wait_entered()
        changed = await change_sms("5550001111")(handle)

    assert changed == registered.model_copy(update={"sms_number": "5550001111"})
    assert harness.projections.owner_applied(customer_id) == [1, 2]
    await harness.projections.wait_until(
        lambda: harness.projections.numbers(customer_id, applied=True).get("notifications") == [1, 2]
    )
    # Search holds event 1, so event 2 waits behind it rather than overtaking it.
    assert harness.projections.numbers(customer_id)["search"] == [1]
    assert harness.projections.numbers(customer_id, applied=True).get("search") is None

    held.release()

    await harness.projections.delivered_everywhere(customer_id, 2)
    assert harness.projections.numbers(customer_id) == every_queue([1, 2])
    assert [e.name for e in harness.projections.on("search", customer_id)] == [
        "customers.CustomerRegistered",
        "customers.CustomerSmsChanged",
    ]


async def test_the_customer_query_returns_none_before_registration_and_the_state_after_each_command(
    harness: Harness,
) -> None:
    _, handle = await harness.start()
    assert await handle.query(CustomerWorkflow.get_customer) is None

    registered = await register()(handle)
    assert await handle.query(CustomerWorkflow.get_customer) == registered

    disabled = await disable()(handle)
    assert await handle.query(CustomerWorkflow.get_customer) == disabled
    assert disabled.enabled is False


async def test_a_repeated_registration_returns_the_same_customer_without_a_second_event(
    harness: Harness,
) -> None:
    customer_id, handle = await harness.start()
    first = await register(name="Ada", sms="5551234567")(handle)
    await harness.projections.delivered_everywhere(customer_id, 1)

    again = await register(name="Grace", sms="5559999999")(handle)
    invalid_again = await register(name=" ", sms="not a number")(handle)
    same_number = await change_sms("5551234567")(handle)  # changes nothing: nothing to write

    assert again == first
    assert invalid_again == first
    assert same_number == first
    assert await handle.query(CustomerWorkflow.get_customer) == first
    # The next real change is event 2: the answered commands consumed no number and delivered nothing.
    changed = await change_sms("5550001111")(handle)
    await harness.projections.delivered_everywhere(customer_id, 2)
    assert harness.projections.numbers(customer_id) == every_queue([1, 2])
    assert harness.projections.on("search", customer_id)[-1].customer == changed


@pytest.mark.parametrize(
    ("before", "command", "kind", "message"),
    [
        ([], register(name=" "), "InvalidArgument", "the customer name cannot be blank"),
        ([], register(sms=""), "InvalidArgument", "the SMS number cannot be blank"),
        ([], register(sms="call me"), "InvalidArgument", "the SMS number 'call me' is not a phone number"),
        ([], change_sms("5551234567"), "NotFound", "the customer does not exist"),
        ([], enable(), "NotFound", "the customer does not exist"),
        ([], disable(), "NotFound", "the customer does not exist"),
        ([register()], change_sms("  "), "InvalidArgument", "the SMS number cannot be blank"),
        ([register()], change_sms("12"), "InvalidArgument", "the SMS number '12' is not a phone number"),
        ([register()], enable(), "Conflict", "the customer is already enabled"),
        ([register(), disable()], disable(), "Conflict", "the customer is already disabled"),
        ([register(), disable(), enable()], enable(), "Conflict", "the customer is already enabled"),
    ],
    ids=[
        "blank name on register",
        "blank SMS number on register",
        "SMS number not a phone number on register",
        "change SMS before register",
        "enable before register",
        "disable before register",
        "blank SMS number on change",
        "SMS number not a phone number on change",
        "enable when enabled",
        "disable twice",
        "enable twice",
    ],
)
async def test_a_refused_customer_command_fails_with_its_error_kind_and_publishes_nothing(
    harness: Harness, before: list[Command], command: Command, kind: str, message: str
) -> None:
    customer_id, handle = await harness.start()
    for step in before:
        await step(handle)
    await harness.projections.delivered_everywhere(customer_id, len(before))
    state_before = await handle.query(CustomerWorkflow.get_customer)
    published_before = harness.projections.numbers(customer_id)

    failure = await rejected(command(handle))

    assert failure.type == kind
    assert failure.message == message
    assert harness.projections.numbers(customer_id) == published_before
    assert await handle.query(CustomerWorkflow.get_customer) == state_before
    # The refusal consumed no event number: the next accepted command gets the next one.
    await (register() if state_before is None else change_sms("5550001111"))(handle)
    assert harness.projections.owner_applied(customer_id) == list(range(1, len(before) + 2))
    await harness.projections.delivered_everywhere(customer_id, len(before) + 1)
    assert harness.projections.numbers(customer_id) == every_queue(list(range(1, len(before) + 2)))


async def test_two_concurrent_disables_apply_once_and_the_other_is_a_conflict(harness: Harness) -> None:
    customer_id, handle = await harness.start()
    await register()(handle)

    results = await asyncio.gather(disable()(handle), disable()(handle), return_exceptions=True)

    succeeded = [r for r in results if isinstance(r, Customer)]
    failed = [r for r in results if isinstance(r, WorkflowUpdateFailedError)]
    assert len(succeeded) == 1 and len(failed) == 1, results
    assert isinstance(failed[0].cause, ApplicationError)
    assert failed[0].cause.type == "Conflict"
    assert harness.projections.owner_applied(customer_id) == [1, 2]
    await harness.projections.delivered_everywhere(customer_id, 2)
    assert harness.projections.numbers(customer_id) == every_queue([1, 2])


async def test_a_customer_continues_as_new_carrying_its_state_and_event_number(harness: Harness) -> None:
    customer_id, started = await harness.start(continue_as_new_after=2)
    first_run = started.first_execution_run_id
    latest = harness.latest(customer_id)

    await register()(latest)
    await change_sms("5550001111")(latest)
    first_handle = harness.client.get_workflow_handle(customer_workflow_id(customer_id), run_id=first_run)
    # The run continues as new only once every subscriber has its events (it drains first).
    with pytest.raises(WorkflowContinuedAsNewError):
        await first_handle.result(follow_runs=False)
    assert harness.projections.numbers(customer_id, applied=True) == every_queue([1, 2])
    third = await disable()(latest)

    assert (await first_handle.describe()).status == WorkflowExecutionStatus.CONTINUED_AS_NEW
    now = await latest.describe()
    assert now.run_id != first_run
    assert now.status == WorkflowExecutionStatus.RUNNING
    # The first run took two commands; the third was applied by the new run, on the carried state.
    assert await accepted_updates(first_handle) == 2
    assert await accepted_updates(harness.client.get_workflow_handle(now.id, run_id=now.run_id)) == 1
    assert third == Customer(id=customer_id, name="Ada", sms_number="5550001111", enabled=False)
    assert await latest.query(CustomerWorkflow.get_customer) == third
    assert harness.projections.owner_applied(customer_id) == [1, 2, 3]

    fourth = await enable()(latest)

    assert fourth.enabled is True
    await harness.projections.delivered_everywhere(customer_id, 4)
    assert harness.projections.numbers(customer_id) == every_queue([1, 2, 3, 4])
    assert [e.name for e in harness.projections.on("customers", customer_id)] == [
        "customers.CustomerRegistered",
        "customers.CustomerSmsChanged",
        "customers.CustomerDisabled",
        "customers.CustomerEnabled",
    ]


async def test_a_command_that_arrives_while_a_run_drains_is_applied_by_that_run_and_carried(harness: Harness) -> None:
    # Search holds event 2, so the first run, at its limit of two events, waits to drain before it continues
    # as new; a command that arrives meanwhile is answered by that run, and the next run carries its number.
    held = harness.projections.hold("search", 2)
    customer_id, started = await harness.start(continue_as_new_after=2)
    first_handle = harness.client.get_workflow_handle(
        customer_workflow_id(customer_id), run_id=started.first_execution_run_id
    )
    latest = harness.latest(customer_id)
    await register()(latest)
    await change_sms("5550001111")(latest)
    await held.wait_entered()

    async with asyncio.timeout(WAIT_LIMIT):
        third = await disable()(latest)

    assert third.enabled is False
    assert harness.projections.owner_applied(customer_id) == [1, 2, 3]
    assert (await first_handle.describe()).status == WorkflowExecutionStatus.RUNNING  # still draining
    held.release()
    with pytest.raises(WorkflowContinuedAsNewError):
        await first_handle.result(follow_runs=False)
    assert await accepted_updates(first_handle) == 3
    assert harness.projections.numbers(customer_id, applied=True) == every_queue([1, 2, 3])

    fourth = await enable()(latest)

    assert fourth == third.model_copy(update={"enabled": True})
    await harness.projections.delivered_everywhere(customer_id, 4)
    assert harness.projections.numbers(customer_id) == every_queue([1, 2, 3, 4])
