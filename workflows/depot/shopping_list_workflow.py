from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.depot.catalog import DepotActivities
    from domain.depot import model as rules
    from domain.depot.model import ShoppingList, ShoppingListStatus
    from workflows.depot.messages import SHOPPING_LIST, AssignBot, CreateShoppingList, ShoppingListWorkflowInput
    from workflows.ordering.messages import ShoppingListCancelled, ShoppingListCompleted, order_workflow_id
    from workflows.ordering.signals import OrderSignals
    from workflows.shared.activity_options import ACTIVITY_TIMEOUT, TRANSIENT_RETRY
    from workflows.shared.entity import Entity
    from workflows.shared.errors import checked

FINAL = (ShoppingListStatus.COMPLETED, ShoppingListStatus.CANCELLED)


@workflow.defn
class ShoppingListWorkflow:
    """One shopping list, ``shopping-list:<id>``: bots pick it; completion tells the order."""

    ENTITY = SHOPPING_LIST  # what it is, what it emits, who receives it: declared once in its messages.py

    @workflow.init
    def __init__(self, input: ShoppingListWorkflowInput) -> None:
        self._id = input.list_id
        self._entity: Entity[ShoppingList] = Entity(self.ENTITY, state=input.shopping_list, number=input.number)
        self._opening = asyncio.Lock()  # one opening at a time: a repeated one finds the first one's outcome
        self._refusal: ApplicationError | None = None  # why the opening was refused: the run then ends, listless

    @workflow.run
    async def run(self, input: ShoppingListWorkflowInput) -> ShoppingList | None:
        await workflow.wait_condition(self._ended)
        await self._entity.quiesce()
        return self._entity.state

    def _ended(self) -> bool:
        state = self._entity.state
        return state.status in FINAL if state is not None else self._refusal is not None

    @workflow.update
    async def create(self, shopping_list: ShoppingList) -> ShoppingList:
        if self._entity.state is not None:
            return self._entity.state  # a retried saga step finds the list it created
        workflow.set_current_details(f"Shopping list for order {shopping_list.order_id}")
        return await self._entity.apply("depot.ShoppingListCreated", lambda: shopping_list)

    @workflow.update
    async def open(self, cmd: CreateShoppingList) -> ShoppingList:
        """Saga step 2: the order's list, one stop per store, made from depot's own copies of the products and
        stores (a local activity: this worker serves depot's read model), so the saga sends a command and needs
        no activity of depot's. A refusal (an unknown product, a store not in the mall) writes nothing and ends
        the run; a repeated opening is answered with the first one's outcome."""
        async with self._opening:
            if self._entity.state is not None:
                return self._entity.state
            if self._refusal is not None:
                raise self._refusal
            catalog = await workflow.execute_local_activity_method(
                DepotActivities.look_up_products,
                [line.product_id for line in cmd.items],
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=TRANSIENT_RETRY,
                summary="look up products (local)",
            )
            try:
                shopping_list = checked(
                    lambda: rules.create_shopping_list(
                        self._id, cmd.order_id, cmd.items, catalog.stores, catalog.products
                    )
                )
            except ApplicationError as refusal:
                self._refusal = refusal
                raise
            workflow.set_current_details(f"Shopping list for order {cmd.order_id}")
            return await self._entity.apply("depot.ShoppingListCreated", lambda: shopping_list)

    @workflow.update
    async def initiate(self) -> ShoppingList:
        if self._entity.current().status is ShoppingListStatus.AVAILABLE:
            return self._entity.current()
        return await self._entity.apply("depot.ShoppingListAvailable", lambda: rules.initiate(self._entity.current()))

    @initiate.validator
    def _validate_initiate(self) -> None:
        self._entity.check(lambda: rules.initiate(self._entity.current()))

    @workflow.update
    async def assign(self, cmd: AssignBot) -> ShoppingList:
        return await self._entity.apply(
            "depot.ShoppingListAssigned", lambda: rules.assign(self._entity.current(), cmd.bot_id)
        )

    @assign.validator
    def _validate_assign(self, cmd: AssignBot) -> None:
        self._entity.check(lambda: rules.assign(self._entity.current(), cmd.bot_id))

    @workflow.update
    async def complete(self) -> ShoppingList:
        return await self._entity.apply(
            "depot.ShoppingListCompleted",
            lambda: rules.complete(self._entity.current()),
            before_commit=self._tell_order,
        )

    @complete.validator
    def _validate_complete(self) -> None:
        self._entity.check(lambda: rules.complete(self._entity.current()))

    async def _tell_order(self, shopping_list: ShoppingList) -> None:
        order = workflow.get_external_workflow_handle(order_workflow_id(shopping_list.order_id))
        await order.signal(OrderSignals.shopping_list_completed, ShoppingListCompleted(shopping_id=shopping_list.id))

    @workflow.update
    async def cancel(self) -> ShoppingList:
        """By the order (a compensation, or its customer's cancel) or by an operator. A list that is already
        completed or cancelled is answered as it is, also when a bot's completion took the lock first:
        whoever asked learns which side won from the status, and nothing is written (retries are safe)."""
        current = self._entity.current()
        if current.status in FINAL:
            return current
        return await self._entity.apply(
            "depot.ShoppingListCancelled", self._cancelled_unless_final, before_commit=self._tell_order_cancelled
        )

    def _cancelled_unless_final(self) -> ShoppingList:
        current = self._entity.current()
        return current if current.status in FINAL else rules.cancel(current)

    async def _tell_order_cancelled(self, shopping_list: ShoppingList) -> None:
        """An operator's cancel must end the order too (its own cancel just hears back what it did)."""
        order = workflow.get_external_workflow_handle(order_workflow_id(shopping_list.order_id))
        try:
            await order.signal(
                OrderSignals.shopping_list_cancelled, ShoppingListCancelled(shopping_id=shopping_list.id)
            )
        except FailureError:
            workflow.logger.info("shopping list %s: no running order to tell it is cancelled", shopping_list.id)

    @workflow.query
    def get_shopping_list(self) -> ShoppingList | None:
        return self._entity.state
