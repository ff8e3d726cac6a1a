"""The saga's commands to a shopping list: open it, make it available, cancel it."""

from __future__ import annotations

import contextlib

from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError

from domain.depot.model import ShoppingList, ShoppingListStatus
from domain.shared.errors import Conflict
from workflows.depot.messages import (
    CreateShoppingList,
    ShoppingListRef,
    shopping_list_workflow_id,
)
from workflows.depot.opening import open_order_list
from workflows.depot.shopping_list_workflow import ShoppingListWorkflow
from workflows.shared.client import EntityGone, update_entity
from workflows.shared.errors import business_failure, domain_failures


class ShoppingListCommands:
    """The saga's commands to a shopping list: only a Temporal client, so the ordering worker runs them too, as
    local activities (``workflows.shared.activity_options.run_command``), and depot's as their fallback."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @activity.defn
    async def create_shopping_list(self, cmd: CreateShoppingList) -> str:
        """Saga step 2: open the order's list, one stop per store; it starts ``pending``. The list's own workflow
        builds it from depot's caches, so this needs only a client (before that, this activity read depot's
        read model itself: runs that recorded it still call it on depot's queue, and get the same list)."""
        list_id = cmd.order_id  # one list per order: a retried step finds the same list
        with domain_failures():
            opened = await open_order_list(self._client, cmd)
        if opened is None:
            # Its run had already ended: an earlier attempt opened the list (and it is done since) or was refused.
            closed = await self._closed_list(shopping_list_workflow_id(list_id))
            if closed is None:
                raise business_failure(Conflict(f"the shopping list for order {cmd.order_id} could not be opened"))
        return list_id

    @activity.defn
    async def initiate_shopping(self, ref: ShoppingListRef) -> None:
        """Saga step 4: the list becomes available to bots."""
        with domain_failures():
            await update_entity(self._client, shopping_list_workflow_id(ref.list_id), ShoppingListWorkflow.initiate)

    @activity.defn
    async def cancel_shopping_list(self, ref: ShoppingListRef) -> ShoppingListStatus | None:
        """Compensation of step 2, and the arbiter of a cancel that races the bots: answers the list's status
        as it ends up, ``cancelled``, or ``completed`` when a bot finished it first (None: never created)."""
        workflow_id = shopping_list_workflow_id(ref.list_id)
        try:
            shopping_list: ShoppingList = await update_entity(self._client, workflow_id, ShoppingListWorkflow.cancel)
        except EntityGone:
            closed = await self._closed_list(workflow_id)
            return None if closed is None else closed.status
        return shopping_list.status

    async def _closed_list(self, workflow_id: str) -> ShoppingList | None:
        """A list closes once it is completed, cancelled or refused; its last state still answers a query."""
        with contextlib.suppress(RPCError):
            closed: ShoppingList | None = await self._client.get_workflow_handle(workflow_id).query(
                ShoppingListWorkflow.get_shopping_list
            )
            return closed
        return None
