"""The signals an order receives from the entities its saga started: the depot's shopping list and the
invoice tell it they are done. Declared apart from ``OrderWorkflow`` (which inherits them) so that the
shopping-list and invoice workflows can address them without importing the saga, whose steps import
their services' activities, which import those workflows."""

from __future__ import annotations

from temporalio import workflow

from workflows.ordering.messages import InvoicePaid, ShoppingListCompleted


class OrderSignals:
    _shopping_completed: bool = False
    _invoice_paid: bool = False

    @workflow.signal
    def shopping_list_completed(self, signal: ShoppingListCompleted) -> None:
        self._shopping_completed = True

    @workflow.signal
    def invoice_paid(self, signal: InvoicePaid) -> None:
        self._invoice_paid = True
