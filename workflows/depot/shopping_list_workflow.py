from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from domain.depot import model as rules
    from domain.depot.model import ShoppingList, ShoppingListStatus
    from workflows.depot.messages import SHOPPING_LIST, AssignBot, ShoppingListWorkflowInput
    from workflows.ordering.messages import ShoppingListCancelled, ShoppingListCompleted, order_workflow_id
    from workflows.ordering.signals import OrderSignals
    from workflows.shared.entity import Entity

FINAL = (ShoppingListStatus.COMPLETED, ShoppingListStatus.CANCELLED)


@workflow.defn
class ShoppingListWorkflow:
    """One shopping list, ``shopping-list:<id>``: bots pick it; completion tells the order."""

    ENTITY = SHOPPING_LIST  # what it is, what it emits, who receives it: declared once in its messages.py

    @workflow.init
    def __init__(self, input: ShoppingListWorkflowInput) -> None:
        self._id = input.list_id
        self._entity: Entity[ShoppingList] = Entity(self.ENTITY, state=input.shopping_list, number=input.number)

    @workflow.run
    async def run(self, input: ShoppingListWorkflowInput) -> ShoppingList | None:
        await workflow.wait_condition(lambda: self._entity.state is not None and self._entity.state.status in FINAL)
        await self._entity.quiesce()
        return self._entity.state

    @workflow.update
    async def create(self, shopping_list: ShoppingList) -> ShoppingList:
        if self._entity.state is not None:
            return self._entity.state  # a retried saga step finds the list it created
        workflow.set_current_details(f"Shopping list for order {shopping_list.order_id}")
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
