"""An order's cancel racing a bot, on the time-skipping server, through the real entities that decide.

The fakes run live (``FakeActivities.live``): the saga's depot and payment steps act on the real
``ShoppingListWorkflow`` and ``PaymentWorkflow``, so a cancel and a bot's command really meet in the
shopping list's lock, and the payment really is reserved, released or captured. Each round fires both
commands at once and checks that one side won by the written rule (README, "Races") and that the order,
its list and its payment all agree; no order workflow fails.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from domain.depot.model import ShoppingList, ShoppingListStatus
from domain.ordering.model import Order, OrderItem, OrderStatus
from domain.payments.model import Payment, PaymentStatus
from domain.shared.errors import ErrorKind
from tests.workflows.fakes import Mall, new_id, running_mall
from workflows.depot.messages import AssignBot, shopping_list_workflow_id
from workflows.depot.shopping_list_workflow import ShoppingListWorkflow
from workflows.ordering.messages import TASK_QUEUE as ORDERING_QUEUE
from workflows.ordering.messages import OrderWorkflowInput, order_workflow_id
from workflows.ordering.order_workflow import OrderWorkflow
from workflows.payments.messages import AuthorizePayment, PaymentWorkflowInput, payment_workflow_id
from workflows.payments.payment_workflow import PaymentWorkflow
from workflows.shared.activity_options import LOCAL_COMMAND_RETRY

ROUNDS = 10
CUSTOMER = "customer-1"
ITEMS = [
    OrderItem(
        product_id="apple",
        store_id="store-a",
        store_name="Store A",
        product_name="Apple",
        price=Decimal("2.50"),
        quantity=2,
    )
]


@pytest.fixture
async def mall(time_skipping_env: WorkflowEnvironment) -> AsyncIterator[Mall]:
    async with running_mall(time_skipping_env) as running:
        running.fakes.live = True
        yield running


async def authorized_payment(mall: Mall, amount: str = "20.00") -> str:
    payment_id = new_id()
    handle = await mall.client.start_workflow(
        PaymentWorkflow.run,
        PaymentWorkflowInput(payment_id=payment_id),
        id=mall.track(payment_workflow_id(payment_id)),
        task_queue="payments",
    )
    await handle.execute_update(
        PaymentWorkflow.authorize, AuthorizePayment(customer_id=CUSTOMER, amount=Decimal(amount))
    )
    return payment_id


async def place(mall: Mall, payment_id: str) -> str:
    order_id = new_id()
    await mall.client.start_workflow(
        OrderWorkflow.run,
        OrderWorkflowInput(order_id=order_id, customer_id=CUSTOMER, payment_id=payment_id, items=ITEMS),
        id=mall.track(order_workflow_id(order_id)),
        task_queue="ordering",
    )
    mall.track(shopping_list_workflow_id(order_id))
    return order_id


async def order_of(client: Client, order_id: str) -> Order:
    order: Order = await client.get_workflow_handle(order_workflow_id(order_id)).query(OrderWorkflow.get_order)
    return order


async def until_status(client: Client, order_id: str, *statuses: OrderStatus) -> Order:
    async with asyncio.timeout(30):
        while True:
            order = await order_of(client, order_id)
            if order.status in statuses:
                return order
            await asyncio.sleep(0.02)


async def shopping_list(client: Client, order_id: str) -> ShoppingList:
    handle = client.get_workflow_handle_for(ShoppingListWorkflow.run, shopping_list_workflow_id(order_id))
    found = await handle.query(ShoppingListWorkflow.get_shopping_list)
    assert found is not None
    return found


async def payment(client: Client, payment_id: str) -> Payment:
    found = await client.get_workflow_handle_for(PaymentWorkflow.run, payment_workflow_id(payment_id)).query(
        PaymentWorkflow.get_payment
    )
    assert found is not None
    return found


GONE = "gone"  # the entity had closed: the API answers that 409 from its read model (``command(when_closed=…)``)


def conflict(outcome: Any) -> str | None:
    """The 409's message when ``outcome`` is an update refused as a conflict; None when it succeeded."""
    if not isinstance(outcome, BaseException):
        return None
    if isinstance(outcome, RPCError) and outcome.status is RPCStatusCode.NOT_FOUND:
        return GONE
    assert isinstance(outcome, WorkflowUpdateFailedError), f"not a refusal: {outcome!r}"
    cause = outcome.cause
    assert isinstance(cause, ApplicationError) and cause.type == ErrorKind.CONFLICT.value, repr(cause)
    return cause.message


async def assigned_order(mall: Mall) -> tuple[str, str]:
    payment_id = await authorized_payment(mall)
    order_id = await place(mall, payment_id)
    await until_status(mall.client, order_id, OrderStatus.APPROVED)
    lists = mall.client.get_workflow_handle(shopping_list_workflow_id(order_id))
    await lists.execute_update(ShoppingListWorkflow.assign, AssignBot(bot_id="bot-1"))
    return order_id, payment_id


async def bot_completes(lists: WorkflowHandle[Any, Any], *, after: float) -> ShoppingList:
    """The bot's command, a little later each round: the cancel's trip through the order and its activity
    is longer than the bot's, so without it the bot would win every round and the other interleavings go
    untried. (Where each round lands is printed; the rule is checked whichever side wins.)"""
    await asyncio.sleep(after)
    completed: ShoppingList = await lists.execute_update(ShoppingListWorkflow.complete)
    return completed


async def no_order_workflow_failed(mall: Mall, order_id: str) -> None:
    status = (await mall.client.get_workflow_handle(order_workflow_id(order_id)).describe()).status
    assert status in (WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.COMPLETED), status


async def test_cancel_and_a_bots_complete_fired_at_once_always_end_with_one_winner_everywhere(mall: Mall) -> None:
    winners = []
    for round_number in range(ROUNDS):
        order_id, payment_id = await assigned_order(mall)
        lists = mall.client.get_workflow_handle(shopping_list_workflow_id(order_id))
        orders = mall.client.get_workflow_handle(order_workflow_id(order_id))

        cancelled, completed = await asyncio.gather(
            orders.execute_update(OrderWorkflow.cancel),
            bot_completes(lists, after=round_number * 0.004),
            return_exceptions=True,
        )

        cancel_refusal, complete_refusal = conflict(cancelled), conflict(completed)
        assert (cancel_refusal is None) != (complete_refusal is None), (cancelled, completed)
        if cancel_refusal is None:
            winners.append("cancel")
            assert complete_refusal in (GONE, "the shopping list is cancelled; only an assigned list can be completed")
            order = await until_status(mall.client, order_id, OrderStatus.CANCELLED)
            assert (await shopping_list(mall.client, order_id)).status is ShoppingListStatus.CANCELLED
            assert (await payment(mall.client, payment_id)).status is PaymentStatus.RELEASED
        else:
            winners.append("complete")
            assert cancel_refusal in (
                "the shopping list was completed before the order could be cancelled",
                "the shopping list is completed; the order can no longer be cancelled",
            )
            order = await until_status(mall.client, order_id, OrderStatus.READY)
            assert order.invoice_id == order_id
            assert (await shopping_list(mall.client, order_id)).status is ShoppingListStatus.COMPLETED
            assert (await payment(mall.client, payment_id)).status is PaymentStatus.RESERVED
        await no_order_workflow_failed(mall, order_id)
    print(f"winners over {ROUNDS} rounds: {winners}")


async def test_a_cancel_that_reached_the_list_first_makes_the_bots_assign_and_complete_conflicts(
    mall: Mall,
) -> None:
    payment_id = await authorized_payment(mall)
    order_id = await place(mall, payment_id)
    await until_status(mall.client, order_id, OrderStatus.APPROVED)
    lists = mall.client.get_workflow_handle(shopping_list_workflow_id(order_id))

    cancelled = await mall.client.get_workflow_handle(order_workflow_id(order_id)).execute_update(OrderWorkflow.cancel)

    assert cancelled.status is OrderStatus.CANCELLED
    assign = await asyncio.gather(
        lists.execute_update(ShoppingListWorkflow.assign, AssignBot(bot_id="bot-1")), return_exceptions=True
    )
    assert conflict(assign[0]) == GONE  # a cancelled list's workflow has ended
    assert (await shopping_list(mall.client, order_id)).status is ShoppingListStatus.CANCELLED
    assert (await payment(mall.client, payment_id)).status is PaymentStatus.RELEASED


async def test_an_assigned_list_can_still_be_cancelled_and_the_bots_completion_then_conflicts(mall: Mall) -> None:
    order_id, payment_id = await assigned_order(mall)
    lists = mall.client.get_workflow_handle(shopping_list_workflow_id(order_id))

    cancelled = await mall.client.get_workflow_handle(order_workflow_id(order_id)).execute_update(OrderWorkflow.cancel)

    assert cancelled.status is OrderStatus.CANCELLED
    complete = await asyncio.gather(lists.execute_update(ShoppingListWorkflow.complete), return_exceptions=True)
    assert conflict(complete[0]) == GONE
    assert (await shopping_list(mall.client, order_id)).status is ShoppingListStatus.CANCELLED
    assert (await payment(mall.client, payment_id)).status is PaymentStatus.RELEASED


async def test_two_orders_on_one_payment_one_is_approved_and_the_losers_compensation_keeps_its_reservation(
    mall: Mall,
) -> None:
    payment_id = await authorized_payment(mall)

    first, second = await asyncio.gather(place(mall, payment_id), place(mall, payment_id))
    ends = await asyncio.gather(
        until_status(mall.client, first, OrderStatus.APPROVED, OrderStatus.REJECTED),
        until_status(mall.client, second, OrderStatus.APPROVED, OrderStatus.REJECTED),
    )

    statuses = sorted(order.status.value for order in ends)
    assert statuses == ["approved", "rejected"]
    winner = next(order for order in ends if order.status is OrderStatus.APPROVED)
    loser = next(order for order in ends if order.status is OrderStatus.REJECTED)
    assert loser.reason == f"the payment {payment_id} is reserved by order {winner.id}"
    held = await payment(mall.client, payment_id)
    assert (held.status, held.order_id) == (PaymentStatus.RESERVED, winner.id)
    assert (await shopping_list(mall.client, loser.id)).status is ShoppingListStatus.CANCELLED
    await no_order_workflow_failed(mall, loser.id)


async def test_an_order_cancelled_before_it_reserved_leaves_the_authorization_usable_by_the_next_order(
    mall: Mall,
) -> None:
    payment_id = await authorized_payment(mall)
    # Held on its fallback (after two quick local attempts fail), so the order's workflow task is free for the cancel.
    mall.fakes.fail_transiently("create_shopping_list", LOCAL_COMMAND_RETRY.maximum_attempts)
    gate = mall.fakes.block("create_shopping_list", lambda call: call.queue != ORDERING_QUEUE)
    cancelled_id = await place(mall, payment_id)
    await gate.wait_entered()
    cancel = asyncio.ensure_future(
        mall.client.get_workflow_handle(order_workflow_id(cancelled_id)).execute_update(OrderWorkflow.cancel)
    )
    await until_cancel_accepted(mall, cancelled_id)
    gate.release()

    assert (await cancel).status is OrderStatus.CANCELLED
    assert (await payment(mall.client, payment_id)).status is PaymentStatus.AUTHORIZED
    next_order = await place(mall, payment_id)
    assert (await until_status(mall.client, next_order, OrderStatus.APPROVED, OrderStatus.REJECTED)).status is (
        OrderStatus.APPROVED
    )


async def until_cancel_accepted(mall: Mall, order_id: str) -> None:
    """Until the order's history holds the accepted cancel (the update's validator has run)."""
    handle = mall.client.get_workflow_handle(order_workflow_id(order_id))
    async with asyncio.timeout(30):
        while True:
            history = await handle.fetch_history()
            if any(e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED for e in history.events):
                return
            await asyncio.sleep(0.02)
