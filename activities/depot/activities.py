"""What the saga asks of the depot: create the order's shopping list (from depot's read model), make it available,
cancel it (commands to the list's workflow)."""

from __future__ import annotations

import contextlib

from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError

from domain.depot import model as rules
from domain.depot.model import ShoppingList, ShoppingListStatus
from readmodels.depot.queries import products_and_their_stores
from readmodels.shared.db import SessionFactory
from workflows.depot.messages import (
    CreateShoppingList,
    ShoppingListRef,
    shopping_list_workflow_id,
)
from workflows.depot.opening import open_shopping_list
from workflows.depot.shopping_list_workflow import ShoppingListWorkflow
from workflows.shared.client import EntityGone, update_entity
from workflows.shared.errors import domain_failures


class DepotActivities:
    def __init__(self, sessions: SessionFactory, client: Client) -> None:
        self._sessions = sessions
        self._client = client

    @activity.defn
    async def create_shopping_list(self, cmd: CreateShoppingList) -> str:
        """Saga step 2: one stop per store, names from depot's caches; the list starts ``pending``."""
        stores, products = await products_and_their_stores(self._sessions, [line.product_id for line in cmd.items])
        list_id = cmd.order_id  # one list per order: a retried step finds the same list
        with domain_failures():
            shopping_list = rules.create_shopping_list(list_id, cmd.order_id, cmd.items, stores, products)
        await open_shopping_list(self._client, shopping_list)
        return list_id


class ShoppingListCommands:
    """The saga's commands to a shopping list: only a Temporal client, so the ordering worker runs them too, as
    local activities (``workflows.shared.activity_options.run_command``), and depot's as their fallback."""

    def __init__(self, client: Client) -> None:
        self._client = client

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
            # A list closes once it is completed or cancelled; its last state still answers a query.
            with contextlib.suppress(RPCError):
                closed: ShoppingList | None = await self._client.get_workflow_handle(workflow_id).query(
                    ShoppingListWorkflow.get_shopping_list
                )
                return None if closed is None else closed.status
            return None
        return shopping_list.status
