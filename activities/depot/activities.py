from __future__ import annotations

from sqlmodel import select
from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError

from activities.depot.tables import DepotProductCache, DepotStoreCache, ShoppingListRow
from activities.shared.db import SessionFactory, project
from activities.shared.temporal import create_entity, entity_is_gone, start_entity, update_entity
from domain.depot import model as rules
from domain.depot.events import ShoppingListEvent
from domain.depot.model import DepotProduct, DepotStore
from workflows.depot.messages import (
    TASK_QUEUE,
    CreateShoppingList,
    ShoppingListRef,
    ShoppingListWorkflowInput,
    shopping_list_workflow_id,
)
from workflows.depot.shopping_list_workflow import ShoppingListWorkflow
from workflows.shared.errors import domain_failures


class DepotActivities:
    def __init__(self, sessions: SessionFactory, client: Client) -> None:
        self._sessions = sessions
        self._client = client

    @activity.defn(name="apply_shopping_list_event")
    async def apply_shopping_list_event(self, event: ShoppingListEvent) -> None:
        shopping_list = event.shopping_list
        await project(
            self._sessions,
            ShoppingListRow,
            {
                "id": shopping_list.id,
                "order_id": shopping_list.order_id,
                "status": shopping_list.status.value,
                "bot_id": shopping_list.bot_id,
                "stops": [stop.model_dump(mode="json") for stop in shopping_list.stops],
                "version": event.number,
            },
        )

    @activity.defn(name="create_shopping_list")
    async def create_shopping_list(self, cmd: CreateShoppingList) -> str:
        """Saga step 2: one stop per store, names from depot's caches; the list starts ``pending``."""
        product_ids = [line.product_id for line in cmd.items]
        async with self._sessions() as session:
            products = (
                await session.exec(select(DepotProductCache).where(DepotProductCache.id.in_(product_ids)))  # type: ignore[attr-defined]
            ).all()
            store_ids = list({p.store_id for p in products})
            stores = (
                await session.exec(select(DepotStoreCache).where(DepotStoreCache.id.in_(store_ids)))  # type: ignore[attr-defined]
            ).all()
        list_id = cmd.order_id  # one list per order: a retried step finds the same list
        with domain_failures():
            shopping_list = rules.create_shopping_list(
                list_id,
                cmd.order_id,
                cmd.items,
                {
                    s.id: DepotStore(id=s.id, name=s.name, location=s.location, participating=s.participating)
                    for s in stores
                },
                {p.id: DepotProduct(id=p.id, store_id=p.store_id, name=p.name, removed=p.removed) for p in products},
            )
        start = start_entity(
            ShoppingListWorkflow.run,
            ShoppingListWorkflowInput(list_id=list_id),
            id=shopping_list_workflow_id(list_id),
            task_queue=TASK_QUEUE,
            static_summary=f"Shopping list for order {cmd.order_id[:8]}… · {len(shopping_list.stops)} stops",
        )
        await create_entity(self._client, ShoppingListWorkflow.create, shopping_list, start)
        return list_id

    @activity.defn(name="initiate_shopping")
    async def initiate_shopping(self, ref: ShoppingListRef) -> None:
        """Saga step 4: the list becomes available to bots."""
        with domain_failures():
            await update_entity(self._client, shopping_list_workflow_id(ref.list_id), ShoppingListWorkflow.initiate)

    @activity.defn(name="cancel_shopping_list")
    async def cancel_shopping_list(self, ref: ShoppingListRef) -> None:
        """Compensation of step 2; a list never created, or already closed, needs nothing."""
        try:
            await update_entity(self._client, shopping_list_workflow_id(ref.list_id), ShoppingListWorkflow.cancel)
        except RPCError as err:
            if not entity_is_gone(err):
                raise
