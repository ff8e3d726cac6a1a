from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate
from temporalio.exceptions import ActivityError, FailureError
from temporalio.types import MethodAsyncSingleParam

with workflow.unsafe.imports_passed_through():
    from activities.baskets.activities import BasketsActivities
    from activities.customers.activities import CustomersActivities
    from activities.depot.activities import ShoppingListCommands
    from activities.payments.invoices import InvoicesActivities
    from activities.payments.payments import PaymentsActivities
    from domain.depot.model import ShoppingListStatus, Wanted
    from domain.ordering import model as rules
    from domain.ordering.model import FINAL, Order, OrderStatus
    from domain.shared.errors import Conflict, InvalidArgument
    from workflows.baskets.messages import TASK_QUEUE as BASKETS_QUEUE
    from workflows.customers.messages import TASK_QUEUE as CUSTOMERS_QUEUE
    from workflows.customers.messages import AuthorizeCustomer
    from workflows.depot.messages import TASK_QUEUE as DEPOT_QUEUE
    from workflows.depot.messages import CreateShoppingList, ShoppingListRef
    from workflows.ordering.messages import MAX_WAIT_SECONDS, ORDER, OrderWorkflowInput, PriceItems, WaitForStatus
    from workflows.ordering.signals import OrderSignals
    from workflows.payments.messages import TASK_QUEUE as PAYMENTS_QUEUE
    from workflows.payments.messages import CreateInvoice, ReleasePayment, ReservePayment
    from workflows.search_attributes import BASKET_ID, CUSTOMER_ID, ORDER_ID, ORDER_STATUS, STORE_IDS
    from workflows.shared.activity_options import (
        LOCAL_AUTHORIZE_PATCH,
        LOCAL_COMMAND_PATCH,
        OPEN_LIST_PATCH,
        run_activity,
        run_command,
    )
    from workflows.shared.entity import Entity
    from workflows.shared.errors import business_error_in, business_failure
    from workflows.shared.metrics import Compensation, SagaMetrics, SagaStep
    from workflows.shared.summaries import counted

P = TypeVar("P")
R = TypeVar("R")
SAGA_STEPS = 5


class _CancelRequested(Exception):
    """Raised between saga steps when a cancel was accepted: the step in flight always finishes first."""


# old build's workers serve it until it ends (``mallbots deploy drain-check``).
@workflow.defn
class OrderWorkflow(OrderSignals):
    """``order:<id>``: the create-order saga (SPEC §2 step 4), then fulfilment, invoice and payment.

    Steps: authorize customer → create shopping list → confirm payment → initiate shopping → approve.
    A business failure compensates the completed steps in reverse (each compensation is registered
    before its step runs, so a step that failed half-way is undone too; compensations are idempotent)
    and rejects the order. Transient failures are retried by Temporal and never compensate.
    """

    ENTITY = ORDER  # what it is, what it emits, who receives it: declared once in its messages.py

    @staticmethod
    def summary(order_id: str, item_count: int, total: Decimal) -> str:
        return f"Order {order_id[:8]}… · {counted(item_count, 'item')} · {total}"

    @workflow.init
    def __init__(self, input: OrderWorkflowInput) -> None:
        self._input = input
        self._cancel_requested = False
        self._shopping_completed = False
        self._invoice_paid = False
        self._opened_list: str | None = None  # the shopping list step 2 opened
        self._shopping_cancelled = False
        self._cancel_refusal: str | None = None
        now = workflow.now()
        self._draft = Order(
            id=input.order_id,
            customer_id=input.customer_id,
            payment_id=input.payment_id,
            items=tuple(input.items or ()),
            basket_id=input.basket_id,
            created_at=now,
            updated_at=now,
        )
        self._entity: Entity[Order] = Entity(self.ENTITY, state=None, number=0)
        # Orders by outcome, compensations, step latencies: replay-safe, never a command (see its module).
        self._metrics = SagaMetrics()

    # ---- the run -------------------------------------------------------------------------------

    @workflow.run
    async def run(self, input: OrderWorkflowInput) -> Order:
        reason = None
        if input.items is None:
            reason = await self._price_requested_items()
        # OrderCreated reaches search and notifications while step 1 already runs: one round trip less on the
        # saga's critical path.
        await self._entity.apply("ordering.OrderCreated", lambda: self._draft, wait=False)
        self._metrics.created()
        self._search_attributes()
        if reason is not None:
            await self._reject(reason)
        elif await self._create_order_saga():
            await self._fulfil()
        await self._entity.quiesce()
        return self._order()

    def _order(self) -> Order:
        """The order as created, or as priced while it is being created."""
        return self._draft if self._entity.state is None else self._entity.state

    async def _price_requested_items(self) -> str | None:
        """A direct order (no basket) is priced from baskets' product cache; a failure rejects it."""
        self._details("pricing the items")
        started = workflow.now()
        try:
            items = await run_activity(
                BasketsActivities.price_items, PriceItems(items=self._input.requested), task_queue=BASKETS_QUEUE
            )
        except ActivityError as err:
            refused = business_error_in(err)  # None: an outage or a bug, retried by Temporal, never a reason
            if refused is None:
                raise
            self._metrics.step("price_items", started, failed=True)
            return refused.message
        self._metrics.step("price_items", started)
        self._draft = self._draft.model_copy(update={"items": tuple(items)})
        return None

    async def _create_order_saga(self) -> bool:
        order = self._order()
        compensations: list[tuple[Compensation, Callable[[], Awaitable[None]]]] = []
        try:
            await self._step(
                1,
                "authorize_customer",
                CustomersActivities.authorize_customer,
                AuthorizeCustomer(customer_id=order.customer_id),
                CUSTOMERS_QUEUE,
                local=LOCAL_AUTHORIZE_PATCH,
            )
            compensations.append(("cancel_shopping_list", self._cancel_shopping_list))
            wanted = [Wanted(product_id=i.product_id, store_id=i.store_id, quantity=i.quantity) for i in order.items]
            # A command since OPEN_LIST_PATCH (the list builds itself from depot's read model), run locally first;
            # runs that recorded no marker call the same activity on depot's queue, as they did.
            shopping_id = await self._step(
                2,
                "create_shopping_list",
                ShoppingListCommands.create_shopping_list,
                CreateShoppingList(order_id=order.id, items=wanted),
                DEPOT_QUEUE,
                local=OPEN_LIST_PATCH,
            )
            self._opened_list = shopping_id  # kept by a rejected or cancelled order: the list existed
            compensations.append(("release_payment", self._release_payment))
            await self._step(
                3,
                "confirm_payment",
                PaymentsActivities.confirm_payment,
                ReservePayment(
                    payment_id=order.payment_id,
                    customer_id=order.customer_id,
                    order_id=order.id,
                    total=order.total,
                ),
                PAYMENTS_QUEUE,
                local=LOCAL_COMMAND_PATCH,
            )
            await self._step(
                4,
                "initiate_shopping",
                ShoppingListCommands.initiate_shopping,
                ShoppingListRef(list_id=shopping_id),
                DEPOT_QUEUE,
                local=LOCAL_COMMAND_PATCH,
            )
        except FailureError as err:
            refused = business_error_in(err)
            if refused is None:
                raise
            # An operator cancelled the list (so step 4 failed): not a rejection. Read before compensating,
            # whose own cancel of the list is heard back as the same signal.
            cancelled_by_depot = self._shopping_cancelled
            await self._compensate(compensations)
            if cancelled_by_depot:
                await self._cancel()
            else:
                await self._reject(refused.message)
            return False
        except _CancelRequested:
            await self._compensate(compensations)
            await self._cancel()
            return False
        # The list is available: a bot may be completing it while a cancel is accepted.
        if (self._cancel_requested or self._shopping_cancelled) and await self._withdraw():
            return False
        self._details(f"step {SAGA_STEPS}/{SAGA_STEPS}: approve order")
        started = workflow.now()
        await self._entity.apply(
            "ordering.OrderApproved", lambda: rules.approve(self._order(), shopping_id, workflow.now())
        )
        self._metrics.step("approve_order", started)
        self._metrics.approved(self._order().created_at)
        self._status_attribute()
        return True

    async def _fulfil(self) -> None:
        """Approved: wait for the bots (or a cancel), then invoice, then payment."""
        self._details("waiting for the shopping list to be completed")
        while True:
            await workflow.wait_condition(
                lambda: self._shopping_completed or self._cancel_requested or self._shopping_cancelled
            )
            if self._shopping_completed and not self._shopping_cancelled:
                break  # a cancel still waiting is refused by _withdraw's rule: the goods are bought
            if await self._withdraw():
                return
        if self._cancel_requested:
            self._refuse_cancel("the shopping list was completed before the order could be cancelled")
        order = self._order()
        self._details("opening the invoice")
        invoice_id = await run_command(
            InvoicesActivities.create_invoice,
            CreateInvoice(
                invoice_id=order.id,
                order_id=order.id,
                customer_id=order.customer_id,
                payment_id=order.payment_id,
                amount=order.total,
            ),
            task_queue=PAYMENTS_QUEUE,
        )
        # No cancel can be waiting here: once the list is completed the validator refuses every cancel.
        await self._entity.apply(
            "ordering.OrderReadied", lambda: rules.ready(self._order(), invoice_id, workflow.now())
        )
        self._status_attribute()
        self._details("waiting for the invoice to be paid")
        await workflow.wait_condition(lambda: self._invoice_paid)
        await self._entity.apply("ordering.OrderCompleted", lambda: rules.complete(self._order(), workflow.now()))
        self._metrics.ended("completed")
        self._status_attribute()
        self._details("completed")

    # ---- steps, compensations, endings ---------------------------------------------------------

    async def _withdraw(self) -> bool:
        """A cancel once bots can see the list (or the list cancelled by an operator): the list decides.

        Its lock orders the two commands: cancelled first, the bot's completion is refused (409), this
        order's reservation is released and the order is cancelled; completed first, the goods are bought,
        the cancel is refused (409) and the order goes on to its invoice. Returns whether it was cancelled.
        """
        self._details("cancelling: withdrawing the shopping list")
        status = await run_command(
            ShoppingListCommands.cancel_shopping_list, ShoppingListRef(list_id=self._order().id), task_queue=DEPOT_QUEUE
        )
        if status is ShoppingListStatus.COMPLETED:
            self._refuse_cancel("the shopping list was completed before the order could be cancelled")
            return False
        self._metrics.compensated("cancel_shopping_list")  # withdrawn: step 2 undone
        self._details("compensating: release payment")
        await self._release_payment()
        self._metrics.compensated("release_payment")
        await self._cancel()
        return True

    def _refuse_cancel(self, reason: str) -> None:
        """Every cancel waiting for an answer gets this 409, and later ones are refused by the validator."""
        self._cancel_refusal = reason
        self._cancel_requested = False

    async def _step(
        self,
        number: int,
        step: SagaStep,
        activity: MethodAsyncSingleParam[Any, P, R],
        arg: P,
        queue: str,
        *,
        local: str | None = None,
    ) -> R:
        """One step; ``local``: a command to another entity, run locally first (``run_command``) under this
        patch; None: an activity on ``queue``."""
        self._raise_if_cancel_requested()
        self._details(f"step {number}/{SAGA_STEPS}: {step.replace('_', ' ')}")
        started = workflow.now()
        try:
            if local is not None:
                result = await run_command(activity, arg, task_queue=queue, patch=local)
            else:
                result = await run_activity(activity, arg, task_queue=queue)
        except FailureError as err:
            if business_error_in(err) is not None:
                self._metrics.step(step, started, failed=True)
            raise
        self._metrics.step(step, started)
        return result

    def _raise_if_cancel_requested(self) -> None:
        if self._cancel_requested:
            raise _CancelRequested()

    async def _compensate(self, compensations: list[tuple[Compensation, Callable[[], Awaitable[None]]]]) -> None:
        """In reverse; each is retried until it succeeds (never skipped)."""
        for step, compensation in reversed(compensations):
            self._details(f"compensating: {step.replace('_', ' ')}")
            await compensation()
            self._metrics.compensated(step)

    async def _cancel_shopping_list(self) -> None:
        ref = ShoppingListRef(list_id=self._order().id)
        await run_command(ShoppingListCommands.cancel_shopping_list, ref, task_queue=DEPOT_QUEUE)

    async def _release_payment(self) -> None:
        order = self._order()
        await run_command(
            PaymentsActivities.release_payment,
            ReleasePayment(payment_id=order.payment_id, customer_id=order.customer_id, order_id=order.id),
            task_queue=PAYMENTS_QUEUE,
        )

    async def _reject(self, reason: str) -> None:
        await self._entity.apply(
            "ordering.OrderRejected", lambda: rules.reject(self._order(), reason, workflow.now(), self._opened_list)
        )
        self._metrics.rejected(reason)
        self._status_attribute()
        self._details(f"rejected: {reason}")

    async def _cancel(self) -> None:
        await self._entity.apply(
            "ordering.OrderCancelled", lambda: rules.cancel(self._order(), workflow.now(), self._opened_list)
        )
        self._metrics.ended("cancelled")
        self._status_attribute()
        self._details("cancelled")

    def _details(self, text: str) -> None:
        workflow.set_current_details(text)

    def _search_attributes(self) -> None:
        order = self._order()
        updates: list[SearchAttributeUpdate[Any]] = [
            ORDER_ID.value_set(order.id),
            CUSTOMER_ID.value_set(order.customer_id),
            STORE_IDS.value_set(order.store_ids),
            ORDER_STATUS.value_set(order.status.value),
        ]
        if order.basket_id:
            updates.append(BASKET_ID.value_set(order.basket_id))
        workflow.upsert_search_attributes(updates)

    def _status_attribute(self) -> None:
        workflow.upsert_search_attributes([ORDER_STATUS.value_set(self._order().status.value)])

    # ---- messages ------------------------------------------------------------------------------

    @workflow.update
    async def cancel(self) -> Order:
        """Accepted while pending or approved and the list is not completed; answers once the order is
        cancelled (and the ordering read model shows it), or 409 when the bots or the saga won."""
        self._cancel_requested = True
        # The answer waits until the ordering read model shows the cancellation.
        await workflow.wait_condition(
            lambda: (self._order().status in FINAL and self._entity.settled) or self._cancel_refusal is not None
        )
        order = self._order()
        if order.status is OrderStatus.CANCELLED:
            return order
        if self._cancel_refusal is not None:
            raise business_failure(Conflict(self._cancel_refusal))
        raise business_failure(Conflict(f"the order was {order.status.value} before it could be cancelled"))

    @cancel.validator
    def _validate_cancel(self) -> None:
        self._entity.check(lambda: rules.ensure_cancellable(self._order()))
        if self._cancel_refusal is not None or (self._shopping_completed and not self._shopping_cancelled):
            raise business_failure(Conflict("the shopping list is completed; the order can no longer be cancelled"))

    @workflow.update
    async def wait_for_status(self, wait: WaitForStatus) -> OrderStatus:
        """Answers once the order is in one of the statuses asked for, or in a final one, and the ordering read
        model shows it (the API then answers from it, as a plain GET would); or when the time is up, with the
        status then. How a client learns that an order moved on without polling (issue: an honest benchmark)."""
        wanted = set(wait.statuses)

        def reached() -> bool:
            status = self._order().status
            return self._entity.state is not None and (status in wanted or status in FINAL) and self._entity.settled

        with contextlib.suppress(asyncio.TimeoutError):
            await workflow.wait_condition(
                reached, timeout=timedelta(seconds=wait.timeout_seconds), timeout_summary="waitFor"
            )
        return self._order().status

    @wait_for_status.validator
    def _validate_wait_for_status(self, wait: WaitForStatus) -> None:
        if not wait.statuses:
            raise business_failure(InvalidArgument("waitFor names no status"))
        if not 0 < wait.timeout_seconds <= MAX_WAIT_SECONDS:
            raise business_failure(InvalidArgument(f"the timeout is more than 0 and at most {MAX_WAIT_SECONDS:g} s"))

    @workflow.query
    def get_order(self) -> Order:
        return self._order()

    @workflow.query
    def get_saga_step(self) -> str:
        return workflow.get_current_details()
