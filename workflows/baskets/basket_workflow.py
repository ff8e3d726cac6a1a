from __future__ import annotations

import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.customers.activities import CustomersActivities
    from domain.baskets import model as rules
    from domain.baskets.model import Basket, BasketStatus
    from workflows.baskets.messages import BASKET, AddItem, BasketWorkflowInput, Checkout, RemoveItem, StartBasket
    from workflows.customers.messages import TASK_QUEUE as CUSTOMERS_QUEUE
    from workflows.customers.messages import AuthorizeCustomer
    from workflows.ordering.messages import TASK_QUEUE as ORDERING_QUEUE
    from workflows.ordering.messages import OrderWorkflowInput, order_workflow_id
    from workflows.ordering.order_workflow import OrderWorkflow
    from workflows.shared.activity_options import LOCAL_AUTHORIZE_PATCH, run_command
    from workflows.shared.entity import Entity, continue_as_new_on_current_build
    from workflows.shared.metrics import BasketMetrics


@workflow.defn
class BasketWorkflow:
    """One basket, ``basket:<id>``: open until checked out or cancelled; an untouched basket expires."""

    ENTITY = BASKET  # what it is, what it emits, who receives it: declared once in its messages.py

    @workflow.init
    def __init__(self, input: BasketWorkflowInput) -> None:
        self._id = input.basket_id
        self._touched = False
        self._start_failed = False
        self._entity: Entity[Basket] = Entity(self.ENTITY, state=input.basket, number=input.number)
        self._metrics = BasketMetrics()  # replay-safe, never a command (workflows/shared/metrics.py)

    @workflow.run
    async def run(self, input: BasketWorkflowInput) -> Basket | None:
        await workflow.wait_condition(lambda: self._entity.state is not None or self._start_failed)
        ttl = timedelta(seconds=input.ttl_seconds)
        while self._open():
            self._touched = False
            try:
                await workflow.wait_condition(
                    lambda: (
                        self._touched
                        or not self._open()
                        or self._entity.should_continue_as_new(input.continue_as_new_after)
                    ),
                    timeout=ttl,
                )
            except TimeoutError:
                if self._open():  # abandoned: a durable timer, so it survives restarts
                    await self._expire()
                break
            if self._open() and self._entity.should_continue_as_new(input.continue_as_new_after):
                await self._entity.quiesce()
                continue_as_new_on_current_build(
                    input.model_copy(update={"basket": self._entity.state, "number": self._entity.number})
                )
        await self._entity.quiesce()
        return self._entity.state

    async def _expire(self) -> None:
        try:
            await self._entity.apply("baskets.BasketCancelled", lambda: rules.cancel_basket(self._entity.current()))
        except ApplicationError:
            # A checkout or cancel accepted in the same moment held the lock and closed the basket first:
            # it wins, and the expiry has nothing left to do.
            if self._open():
                raise
            return
        self._metrics.closed("expired")

    def _open(self) -> bool:
        state = self._entity.state
        return state is not None and state.status is BasketStatus.OPEN

    @workflow.update
    async def start(self, cmd: StartBasket) -> Basket:
        if self._entity.state is not None:
            return self._entity.state  # a repeated start is answered, not applied twice
        try:
            # Only a known, enabled customer starts a basket.
            authorize = AuthorizeCustomer(customer_id=cmd.customer_id)
            await run_command(
                CustomersActivities.authorize_customer,
                authorize,
                task_queue=CUSTOMERS_QUEUE,
                patch=LOCAL_AUTHORIZE_PATCH,
            )
        except Exception:
            self._start_failed = True
            raise
        started = await self._entity.apply(
            "baskets.BasketStarted", lambda: rules.start_basket(self._id, cmd.customer_id)
        )
        self._metrics.started()
        return started

    @start.validator
    def _validate_start(self, cmd: StartBasket) -> None:
        if self._entity.state is None:
            self._entity.check(lambda: rules.start_basket(self._id, cmd.customer_id))

    @workflow.update
    async def add_item(self, cmd: AddItem) -> Basket:
        self._touched = True
        return await self._entity.apply("baskets.BasketItemAdded", lambda: self._add(cmd))

    def _add(self, cmd: AddItem) -> Basket:
        return rules.add_item(self._entity.current(), cmd.product, cmd.product_id, cmd.quantity)

    @add_item.validator
    def _validate_add(self, cmd: AddItem) -> None:
        self._entity.check(lambda: self._add(cmd))

    @workflow.update
    async def remove_item(self, cmd: RemoveItem) -> Basket:
        self._touched = True
        return await self._entity.apply("baskets.BasketItemRemoved", lambda: self._remove(cmd))

    def _remove(self, cmd: RemoveItem) -> Basket:
        return rules.remove_item(self._entity.current(), cmd.product_id, cmd.quantity)

    @remove_item.validator
    def _validate_remove(self, cmd: RemoveItem) -> None:
        self._entity.check(lambda: self._remove(cmd))

    @workflow.update
    async def checkout(self, cmd: Checkout) -> Basket:
        """Starts the order (order ID = basket ID) before the basket is closed, under the basket's lock."""
        checked_out = await self._entity.apply(
            "baskets.BasketCheckedOut",
            lambda: rules.check_out(self._entity.current(), cmd.payment_id),
            before_commit=self._start_order,
        )
        self._metrics.closed("checked_out")
        return checked_out

    @checkout.validator
    def _validate_checkout(self, cmd: Checkout) -> None:
        self._entity.check(lambda: rules.check_out(self._entity.current(), cmd.payment_id))

    async def _start_order(self, basket: Basket) -> None:
        assert basket.payment_id is not None
        items = rules.order_items(basket.items)
        order_input = OrderWorkflowInput(
            order_id=basket.id,
            customer_id=basket.customer_id,
            payment_id=basket.payment_id,
            items=items,
            basket_id=basket.id,
        )
        # Already started by an earlier attempt of this checkout: the order is there, which is all we need.
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await workflow.start_child_workflow(
                OrderWorkflow.run,
                order_input,
                id=order_workflow_id(basket.id),
                task_queue=ORDERING_QUEUE,
                parent_close_policy=ParentClosePolicy.ABANDON,
                static_summary=OrderWorkflow.summary(basket.id, len(items), basket.total),
            )

    @workflow.update
    async def cancel(self) -> Basket:
        cancelled = await self._entity.apply(
            "baskets.BasketCancelled", lambda: rules.cancel_basket(self._entity.current())
        )
        self._metrics.closed("cancelled")
        return cancelled

    @cancel.validator
    def _validate_cancel(self) -> None:
        self._entity.check(lambda: rules.cancel_basket(self._entity.current()))

    @workflow.query
    def get_basket(self) -> Basket | None:
        return self._entity.state
