"""The signals an order receives from the entities its saga started: the shopping list tells it that it is
done or was cancelled (by an operator, say), the invoice that it is paid. Declared apart from
``OrderWorkflow`` (which inherits them) so that the shopping-list and invoice workflows can address them
without importing the saga, whose steps import their services' activities, which import those workflows."""

from __future__ import annotations

from temporalio import workflow

from workflows.ordering.messages import InvoicePaid, ShoppingListCancelled, ShoppingListCompleted


class OrderSignals:
    _shopping_completed: bool = False
    _invoice_paid: bool = False
    _shopping_cancelled: bool = False

    @workflow.signal
    def shopping_list_completed(self, signal: ShoppingListCompleted) -> None:
        self._shopping_completed = True

    @workflow.signal
    def shopping_list_cancelled(self, signal: ShoppingListCancelled) -> None:
        self._shopping_cancelled = True

    @workflow.signal
    def invoice_paid(self, signal: InvoicePaid) -> None:
        self._invoice_paid = True
