"""Issue 12's race rules where they are decided: in the entity workflows (shared/entity.py), on the
time-skipping server with same-named fakes (a real-time dev server where a timer must fire while a
workflow task is busy). See /work/shared-notes/race-rules.md for the rules.

- a command that changes nothing emits no event (rule 9);
- expiry x reserve (rule 4), release x capture (rule 5), two orders x one payment (rule 6);
- the shopping list decides cancel x complete and cancel x assign (rules 1, 2);
- a subscriber that is down delays only its own read model (rule 10).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from domain.depot.model import ShoppingList, ShoppingListStatus
from domain.payments.events import PaymentEvent
from domain.payments.invoice import InvoiceStatus
from domain.payments.model import Payment, PaymentStatus
from domain.shared.errors import ErrorKind
from domain.shared.events import DomainEvent
from domain.stores.model import Store
from tests.workflows.fakes import WAIT_LIMIT, Mall, ReceivedSignal, new_id, running_mall, start_stand_in_order
from tests.workflows.test_payment_workflow import (
    AUTHORIZED,
    CAPTURED,
    CUSTOMER,
    EXPIRED,
    INVOICE_CANCELLED,
    INVOICE_CREATED,
    INVOICE_PAID,
    LIST_ASSIGNED,
    LIST_AVAILABLE,
    LIST_CANCELLED,
    LIST_COMPLETED,
    LIST_CREATED,
    ORDER,
    RELEASED,
    RESERVED,
    SHORT_TASKS,
    TTL,
    PaymentHandle,
    advance,
    application_error,
    hold,
    invoice_events,
    list_events,
    new_list,
    new_payment,
    open_invoice,
    payment_events,
    refused,
    release,
    reserve,
)
from workflows.depot.messages import AssignBot
from workflows.depot.shopping_list_workflow import ShoppingListWorkflow
from workflows.payments.invoice_workflow import InvoiceWorkflow
from workflows.payments.messages import AuthorizePayment, CapturePayment
from workflows.payments.payment_workflow import PaymentWorkflow
from workflows.stores.messages import (
    STORE,
    AddProduct,
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

ROUNDS = 10  # fresh entities per race test: each round may go either way
SHORT_TTL = 2.0  # real seconds, on the real-time server

StoreHandle = WorkflowHandle[StoreWorkflow, None]


@pytest.fixture
async def mall(time_skipping_env: WorkflowEnvironment) -> AsyncIterator[Mall]:
    async with running_mall(time_skipping_env) as running:
        yield running


@pytest.fixture
async def real_time_mall(real_time_env: WorkflowEnvironment) -> AsyncIterator[Mall]:
    async with running_mall(real_time_env) as running:
        yield running


def conflict_of(result: object) -> str:
    """The message of the Conflict an update was refused with (fails on anything else)."""
    assert isinstance(result, WorkflowUpdateFailedError), f"expected a refused update, got {result!r}"
    failure = application_error(result.cause)
    assert failure.type == ErrorKind.CONFLICT.value, failure
    assert failure.non_retryable
    return failure.message


def reached_an_ended_run(result: object) -> bool:
    """The losing command of a race arrived once the winner had ended the workflow: refused by the server."""
    if not isinstance(result, RPCError):
        return False
    assert result.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION), result
    return True


def once_each(mall: Mall, aggregate_id: str, queue: str) -> list[DomainEvent]:
    """The events one subscriber got, each number once, in the order they first arrived.

    A delivery is at least once: a workflow task the server refuses (the time-skipping server does, with
    UNHANDLED_COMMAND, when an update arrives while the task ends the run) runs its local activities again
    when it is retried, and a read model keeps the first event of each number (its upsert is guarded by the
    number). So a number must always carry the same event: the same name and snapshot (the retried task's
    clock, hence ``occurred_at``, may differ)."""
    seen: dict[int, DomainEvent] = {}
    for event in mall.fakes.events(aggregate_id, queue):
        first = seen.setdefault(event.number, event)
        assert _content(first) == _content(event), f"event {event.number} delivered as two events: {first} / {event}"
    return list(seen.values())


def _content(event: DomainEvent) -> dict[str, Any]:
    return event.model_dump(exclude={"occurred_at"})


def log_once(mall: Mall, aggregate_id: str, queue: str) -> list[tuple[str, int]]:
    return [(event.name, event.number) for event in once_each(mall, aggregate_id, queue)]


# ==== rule 9: a command that changes nothing emits no event ================================================


async def test_releasing_a_captured_payment_answers_it_captured_and_emits_no_payment_released(mall: Mall) -> None:
    payment_id, handle = await new_payment(mall, task_timeout=SHORT_TASKS)
    await handle.execute_update(PaymentWorkflow.reserve, reserve(payment_id))
    held = hold(mall, "apply_payment_event", CAPTURED)  # keeps the workflow running, already captured

    capturing = asyncio.ensure_future(
        handle.execute_update(PaymentWorkflow.capture, CapturePayment(payment_id=payment_id, order_id=ORDER))
    )
    await held.wait_entered()
    answered = await handle.execute_update(PaymentWorkflow.release, release(payment_id))
    held.release()

    assert answered.status is PaymentStatus.CAPTURED
    assert await capturing == answered
    assert await handle.result() == answered
    assert payment_events(mall, payment_id) == [(AUTHORIZED, 1), (RESERVED, 2), (CAPTURED, 3)]
    assert not mall.fakes.has_event(payment_id, RELEASED)


async def test_releasing_an_authorization_never_reserved_leaves_it_authorized_and_reusable(mall: Mall) -> None:
    payment_id, handle = await new_payment(mall)

    answered = await handle.execute_update(PaymentWorkflow.release, release(payment_id))

    assert answered.status is PaymentStatus.AUTHORIZED
    assert answered.order_id is None
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    assert payment_events(mall, payment_id) == [(AUTHORIZED, 1)]
    # Still usable by another order, and the release consumed no event number.
    reserved = await handle.execute_update(PaymentWorkflow.reserve, reserve(payment_id, order_id="order-2"))
    assert (reserved.status, reserved.order_id) == (PaymentStatus.RESERVED, "order-2")
    assert payment_events(mall, payment_id) == [(AUTHORIZED, 1), (RESERVED, 2)]


async def test_cancelling_a_cancelled_shopping_list_again_answers_it_and_tells_the_order_once(mall: Mall) -> None:
    shopping_list, handle = await new_list(mall, task_timeout=SHORT_TASKS)
    order = await start_stand_in_order(mall, shopping_list.order_id)
    await advance(handle, ShoppingListStatus.AVAILABLE)
    held = hold(mall, "apply_shopping_list_event", LIST_CANCELLED)  # keeps the workflow running, cancelled

    cancelling = asyncio.ensure_future(handle.execute_update(ShoppingListWorkflow.cancel))
    await held.wait_entered()
    again = await handle.execute_update(ShoppingListWorkflow.cancel)
    held.release()

    assert again.status is ShoppingListStatus.CANCELLED
    assert await cancelling == again
    assert await handle.result() == again
    assert await order.result() == [
        ReceivedSignal(name="shopping_list_cancelled", payload={"shopping_id": shopping_list.id})
    ]
    assert list_events(mall, shopping_list.id) == [(LIST_CREATED, 1), (LIST_AVAILABLE, 2), (LIST_CANCELLED, 3)]


async def test_initiating_an_available_list_again_emits_nothing(mall: Mall) -> None:
    shopping_list, handle = await new_list(mall)
    available = await handle.execute_update(ShoppingListWorkflow.initiate)

    again = await handle.execute_update(ShoppingListWorkflow.initiate)

    assert again == available
    assert list_events(mall, shopping_list.id) == [(LIST_CREATED, 1), (LIST_AVAILABLE, 2)]


async def test_cancelling_a_paid_invoice_answers_it_paid_and_emits_no_invoice_cancelled(mall: Mall) -> None:
    invoice, handle = await open_invoice(mall, task_timeout=SHORT_TASKS)
    await start_stand_in_order(mall, invoice.order_id)
    held = hold(mall, "apply_invoice_event", INVOICE_PAID)  # keeps the workflow running, already paid

    paying = asyncio.ensure_future(handle.execute_update(InvoiceWorkflow.pay))
    await held.wait_entered()
    answered = await handle.execute_update(InvoiceWorkflow.cancel)
    held.release()

    assert answered.status is InvoiceStatus.PAID
    assert await paying == answered
    assert await handle.result() == answered
    assert invoice_events(mall, invoice.id) == [(INVOICE_CREATED, 1), (INVOICE_PAID, 2)]
    assert not mall.fakes.has_event(invoice.id, INVOICE_CANCELLED)


async def start_store(mall: Mall) -> tuple[str, StoreHandle]:
    store_id = new_id()
    handle = await mall.client.start_workflow(
        StoreWorkflow.run,
        StoreWorkflowInput(store_id=store_id),
        id=mall.track(store_workflow_id(store_id)),
        task_queue="stores",
    )
    return store_id, handle


def store_delivered(mall: Mall, store_id: str, count: int) -> bool:
    """Every subscriber of stores has applied ``count`` events of this store."""
    return all(
        sum(1 for c in mall.fakes.finished if c.queue == queue and c.arg.aggregate_id == store_id) >= count
        for queue in STORE.subscribers
    )


async def test_rebranding_a_store_or_product_to_its_own_name_emits_nothing_to_any_subscriber(mall: Mall) -> None:
    store_id, store = await start_store(mall)
    created = await store.execute_update(StoreWorkflow.create, CreateStore(name="Corner Shop", location="L1"))
    product_id = new_id()
    product = await mall.client.start_workflow(
        ProductWorkflow.run,
        ProductWorkflowInput(product_id=product_id),
        id=mall.track(product_workflow_id(product_id)),
        task_queue="stores",
    )
    added = await product.execute_update(
        ProductWorkflow.add,
        AddProduct(store_id=store_id, name="Apple", description="Red", sku="A-1", price=Decimal("1.00")),
    )

    same_store = await store.execute_update(StoreWorkflow.rebrand, RebrandStore(name=" Corner Shop "))
    same_product = await product.execute_update(
        ProductWorkflow.rebrand, RebrandProduct(name="Apple", description="Red")
    )
    renamed = await store.execute_update(StoreWorkflow.rebrand, RebrandStore(name="Big Shop"))

    assert same_store == created
    assert same_product == added
    assert renamed.name == "Big Shop"
    await mall.fakes.wait_until(lambda: store_delivered(mall, store_id, 2) and store_delivered(mall, product_id, 1))
    for queue in STORE.subscribers:
        assert mall.fakes.event_log(store_id, queue) == [("stores.StoreCreated", 1), ("stores.StoreRebranded", 2)]
        assert mall.fakes.event_log(product_id, queue) == [("stores.ProductAdded", 1)]
        assert mall.fakes.events(store_id, queue)[-1].store == renamed


# ==== rule 4: expiry x reserve ==============================================================================


async def test_a_reserve_just_before_the_time_to_live_wins_and_the_expiry_emits_nothing(mall: Mall) -> None:
    payment_id, handle = await new_payment(mall, ttl_seconds=TTL)
    await mall.env.sleep(TTL - 1)

    reserved = await handle.execute_update(PaymentWorkflow.reserve, reserve(payment_id))
    await mall.env.sleep(3 * TTL)

    assert reserved.status is PaymentStatus.RESERVED
    assert await handle.query(PaymentWorkflow.get_payment) == reserved
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    assert payment_events(mall, payment_id) == [(AUTHORIZED, 1), (RESERVED, 2)]
    assert not mall.fakes.has_event(payment_id, EXPIRED)


async def test_an_expiry_that_reaches_the_payment_first_makes_a_later_reserve_a_conflict(mall: Mall) -> None:
    payment_id, handle = await new_payment(mall, ttl_seconds=TTL, task_timeout=SHORT_TASKS)
    held = hold(mall, "apply_payment_event", EXPIRED)  # keeps the workflow running, already expired

    await mall.env.sleep(TTL + 1)
    await held.wait_entered()
    await refused(
        handle.execute_update(PaymentWorkflow.reserve, reserve(payment_id)),
        ErrorKind.CONFLICT,
        f"the payment {payment_id} is expired",
    )
    held.release()

    expired = await handle.result()
    assert expired is not None
    assert expired.status is PaymentStatus.EXPIRED
    assert payment_events(mall, payment_id) == [(AUTHORIZED, 1), (EXPIRED, 2)]


async def authorizing_with_its_delivery_held(mall: Mall) -> tuple[str, PaymentHandle, asyncio.Future[Payment]]:
    """A payment whose authorization holds the lock (its own read model's delivery is held) while its time
    to live runs: whatever arrives meanwhile queues for the lock in the order it arrived."""
    payment_id, handle = await new_payment(mall, amount=None, ttl_seconds=SHORT_TTL, task_timeout=SHORT_TASKS)
    held = hold(mall, "apply_payment_event", AUTHORIZED)
    authorizing = asyncio.ensure_future(
        handle.execute_update(PaymentWorkflow.authorize, AuthorizePayment(customer_id=CUSTOMER, amount=Decimal("20")))
    )
    await held.wait_entered()
    return payment_id, handle, authorizing


async def expiry_timer_seen(handle: PaymentHandle) -> None:
    """Until the workflow has processed its time-to-live timer (a workflow task completed after it fired)."""
    fired = EventType.EVENT_TYPE_TIMER_FIRED
    completed = EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    async with asyncio.timeout(WAIT_LIMIT):
        while True:
            kinds = [event.event_type async for event in handle.fetch_history_events()]
            if fired in kinds and completed in kinds[kinds.index(fired) :]:
                return
            await asyncio.sleep(0.2)  # polling the history; the outcome never depends on this pause


async def test_a_reserve_queued_before_the_timer_fires_wins_and_the_expiry_behind_it_emits_nothing(
    real_time_mall: Mall,
) -> None:
    mall = real_time_mall
    payment_id, handle, authorizing = await authorizing_with_its_delivery_held(mall)
    reserving = await handle.start_update(
        PaymentWorkflow.reserve, reserve(payment_id), wait_for_stage=WorkflowUpdateStage.ACCEPTED
    )
    await expiry_timer_seen(handle)  # the expiry now queues behind the reserve
    mall.fakes.release_all()

    assert (await authorizing).status is PaymentStatus.AUTHORIZED
    reserved = await reserving.result()
    assert (reserved.status, reserved.order_id) == (PaymentStatus.RESERVED, ORDER)
    await mall.fakes.wait_until(lambda: mall.fakes.applied(payment_id, RESERVED, "payments"))
    assert await handle.query(PaymentWorkflow.get_payment) == reserved
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    assert payment_events(mall, payment_id) == [(AUTHORIZED, 1), (RESERVED, 2)]


async def test_an_expiry_queued_before_a_reserve_wins_and_the_reserve_is_a_conflict(real_time_mall: Mall) -> None:
    mall = real_time_mall
    payment_id, handle, authorizing = await authorizing_with_its_delivery_held(mall)
    await expiry_timer_seen(handle)  # the expiry queues first
    reserving = await handle.start_update(
        PaymentWorkflow.reserve, reserve(payment_id), wait_for_stage=WorkflowUpdateStage.ACCEPTED
    )  # accepted: the payment is still authorized when it arrives
    mall.fakes.release_all()

    assert (await authorizing).status is PaymentStatus.AUTHORIZED
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await reserving.result()
    assert conflict_of(caught.value) == f"the payment {payment_id} is expired"
    expired = await handle.result()
    assert expired is not None
    assert expired.status is PaymentStatus.EXPIRED
    assert payment_events(mall, payment_id) == [(AUTHORIZED, 1), (EXPIRED, 2)]


# ==== rule 5: release x capture =============================================================================


async def test_a_release_and_a_capture_at_once_end_captured_or_released_with_one_event(mall: Mall) -> None:
    outcomes: set[PaymentStatus] = set()
    for _ in range(ROUNDS):
        payment_id, handle = await new_payment(mall)
        await handle.execute_update(PaymentWorkflow.reserve, reserve(payment_id))

        released, captured = await asyncio.gather(
            handle.execute_update(PaymentWorkflow.release, release(payment_id)),
            handle.execute_update(PaymentWorkflow.capture, CapturePayment(payment_id=payment_id, order_id=ORDER)),
            return_exceptions=True,
        )

        final = await handle.result()
        assert final is not None
        outcomes.add(final.status)
        if final.status is PaymentStatus.CAPTURED:
            assert captured == final
            # The release found it captured: answered as it is, nothing written.
            assert released == final or reached_an_ended_run(released)
            assert log_once(mall, payment_id, "payments") == [(AUTHORIZED, 1), (RESERVED, 2), (CAPTURED, 3)]
        else:
            assert final.status is PaymentStatus.RELEASED
            assert released == final
            refusal = f"the payment {payment_id} is not reserved for order {ORDER}"
            assert reached_an_ended_run(captured) or conflict_of(captured) == refusal
            assert log_once(mall, payment_id, "payments") == [(AUTHORIZED, 1), (RESERVED, 2), (RELEASED, 3)]
        delivered = once_each(mall, payment_id, "payments")
        statuses = [event.payment.status for event in delivered if isinstance(event, PaymentEvent)]
        assert len(statuses) == len(delivered)
        assert all(a != b for a, b in itertools.pairwise(statuses)), statuses  # every event is a change
        assert [event.number for event in delivered] == [1, 2, 3]  # strictly increasing, none skipped
    assert outcomes <= {PaymentStatus.CAPTURED, PaymentStatus.RELEASED}


# ==== rule 6: two orders x one payment ======================================================================


async def test_two_orders_reserving_one_payment_at_once_one_wins_and_the_losers_release_leaves_it(
    mall: Mall,
) -> None:
    for _ in range(ROUNDS):
        payment_id, handle = await new_payment(mall)
        # A release before any reservation frees nothing: the authorization stays usable.
        early = await handle.execute_update(PaymentWorkflow.release, release(payment_id, order_id="order-a"))
        assert early.status is PaymentStatus.AUTHORIZED

        results = await asyncio.gather(
            handle.execute_update(PaymentWorkflow.reserve, reserve(payment_id, order_id="order-a")),
            handle.execute_update(PaymentWorkflow.reserve, reserve(payment_id, order_id="order-b")),
            return_exceptions=True,
        )

        won = [r for r in results if isinstance(r, Payment)]
        assert len(won) == 1, results
        [winner] = won
        loser_order = "order-b" if winner.order_id == "order-a" else "order-a"
        [lost] = [r for r in results if not isinstance(r, Payment)]
        assert winner.status is PaymentStatus.RESERVED
        assert conflict_of(lost) == f"the payment {payment_id} is reserved by order {winner.order_id}"
        # The loser's compensation never touches the winner's reservation.
        answered = await handle.execute_update(PaymentWorkflow.release, release(payment_id, order_id=loser_order))
        assert answered == winner
        assert await handle.query(PaymentWorkflow.get_payment) == winner
        assert log_once(mall, payment_id, "payments") == [(AUTHORIZED, 1), (RESERVED, 2)]
        captured = await handle.execute_update(
            PaymentWorkflow.capture, CapturePayment(payment_id=payment_id, order_id=winner.order_id or "")
        )
        assert (captured.status, captured.order_id) == (PaymentStatus.CAPTURED, winner.order_id)
        assert await handle.result() == captured


# ==== rules 1 and 2: the shopping list decides ==============================================================


async def signals_of(order: WorkflowHandle[Any, list[ReceivedSignal]]) -> list[str]:
    async with asyncio.timeout(WAIT_LIMIT):
        return [signal.name for signal in await order.result()]


async def test_cancel_and_complete_at_once_on_an_assigned_list_exactly_one_wins(mall: Mall) -> None:
    for _ in range(ROUNDS):
        shopping_list, handle = await new_list(mall)
        order = await start_stand_in_order(mall, shopping_list.order_id)
        await advance(handle, ShoppingListStatus.ASSIGNED)
        before = [(LIST_CREATED, 1), (LIST_AVAILABLE, 2), (LIST_ASSIGNED, 3)]

        cancelled, completed = await asyncio.gather(
            handle.execute_update(ShoppingListWorkflow.cancel),
            handle.execute_update(ShoppingListWorkflow.complete),
            return_exceptions=True,
        )

        final = await handle.result()
        assert final is not None
        if final.status is ShoppingListStatus.CANCELLED:  # the cancel reached the list first
            assert cancelled == final
            refusal = "the shopping list is cancelled; only an assigned list can be completed"
            assert reached_an_ended_run(completed) or conflict_of(completed) == refusal
            assert log_once(mall, shopping_list.id, "depot") == [*before, (LIST_CANCELLED, 4)]
            assert await signals_of(order) == ["shopping_list_cancelled"]
        else:  # the bot's completion did: the cancel answers the completed list and writes nothing
            assert final.status is ShoppingListStatus.COMPLETED
            assert completed == final
            assert cancelled == final or reached_an_ended_run(cancelled)
            assert log_once(mall, shopping_list.id, "depot") == [*before, (LIST_COMPLETED, 4)]
            assert await signals_of(order) == ["shopping_list_completed"]


async def test_cancel_and_assign_at_once_on_an_available_list_end_cancelled_and_a_late_assign_is_a_conflict(
    mall: Mall,
) -> None:
    for _ in range(ROUNDS):
        shopping_list, handle = await new_list(mall)
        order = await start_stand_in_order(mall, shopping_list.order_id)
        await advance(handle, ShoppingListStatus.AVAILABLE)
        before = [(LIST_CREATED, 1), (LIST_AVAILABLE, 2)]

        cancelled, assigned = await asyncio.gather(
            handle.execute_update(ShoppingListWorkflow.cancel),
            handle.execute_update(ShoppingListWorkflow.assign, AssignBot(bot_id="bot-7")),
            return_exceptions=True,
        )

        final = await handle.result()
        assert final is not None
        assert final.status is ShoppingListStatus.CANCELLED  # an assigned list can still be cancelled
        assert cancelled == final
        if isinstance(assigned, ShoppingList):  # assigned first, then cancelled
            assert (assigned.status, assigned.bot_id) == (ShoppingListStatus.ASSIGNED, "bot-7")
            assert final.bot_id == "bot-7"
            assert log_once(mall, shopping_list.id, "depot") == [*before, (LIST_ASSIGNED, 3), (LIST_CANCELLED, 4)]
        else:  # the cancel reached the list first: the assign is refused
            refusal = "the shopping list is cancelled; only an available list can be assigned"
            assert reached_an_ended_run(assigned) or conflict_of(assigned) == refusal
            assert log_once(mall, shopping_list.id, "depot") == [*before, (LIST_CANCELLED, 3)]
        assert await signals_of(order) == ["shopping_list_cancelled"]


# ==== rule 10: a subscriber that is down delays only its own read model ======================================


async def test_a_subscriber_that_is_down_blocks_neither_the_entity_nor_other_entities_and_catches_up_in_order(
    mall: Mall,
) -> None:
    down_id, down = await start_store(mall)
    other_id, other = await start_store(mall)
    # Search is down for this store only: every delivery of its events to search waits.
    gate = mall.fakes.block(
        "apply_store_event", lambda call: call.queue == "search" and call.arg.aggregate_id == down_id
    )

    async with asyncio.timeout(WAIT_LIMIT):  # were they to wait for search, this turns the hang into a failure
        created = await down.execute_update(StoreWorkflow.create, CreateStore(name="A", location="L1"))
        await gate.wait_entered()
        rebranded = await down.execute_update(StoreWorkflow.rebrand, RebrandStore(name="B"))
        enabled = await down.execute_update(StoreWorkflow.enable_participation)
        other_created = await other.execute_update(StoreWorkflow.create, CreateStore(name="X", location="L2"))
        other_renamed = await other.execute_update(StoreWorkflow.rebrand, RebrandStore(name="Y"))

    assert mall.fakes.applied(down_id, "stores.StoreParticipationToggled", "stores")  # the owner's read model
    assert mall.fakes.applied(other_id, "stores.StoreRebranded", "stores")
    others = [queue for queue in STORE.subscribers if queue != "search"]
    await mall.fakes.wait_until(
        lambda: (
            store_delivered(mall, other_id, 2)
            and all(mall.fakes.applied(down_id, "stores.StoreParticipationToggled", q) for q in others)
        )
    )
    # Search has the other store's events, and of this one only the first, held: the rest wait behind it.
    assert mall.fakes.event_log(other_id, "search") == [("stores.StoreCreated", 1), ("stores.StoreRebranded", 2)]
    assert mall.fakes.event_log(down_id, "search") == [("stores.StoreCreated", 1)]
    assert not mall.fakes.applied(down_id, "stores.StoreCreated", "search")

    gate.release()

    await mall.fakes.wait_until(lambda: store_delivered(mall, down_id, 3))
    expected = [("stores.StoreCreated", 1), ("stores.StoreRebranded", 2), ("stores.StoreParticipationToggled", 3)]
    for queue in STORE.subscribers:
        assert mall.fakes.event_log(down_id, queue) == expected  # each once, in order
        assert [e.store for e in mall.fakes.events(down_id, queue)] == [created, rebranded, enabled]
        assert [e.store for e in mall.fakes.events(other_id, queue)] == [other_created, other_renamed]
    assert enabled == Store(id=down_id, name="B", location="L1", participating=True)
