"""The provider's scenarios are what the workflows really publish: for the entity workflows that need no
other service (stores, products, customers), each provider state is driven through the real workflow on the
time-skipping server, and the payload delivered to every subscriber's queue must be the scenario's message."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from decimal import Decimal
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.contracts.messages.catalog import AGGREGATES, STATES
from tests.contracts.messages.provider_events import CUSTOMER_ID, PRODUCT_ID, STORE_ID, event_in, serialize
from workflows.customers.customer_workflow import CustomerWorkflow
from workflows.customers.messages import ChangeSmsNumber, CustomerWorkflowInput, RegisterCustomer
from workflows.stores.messages import (
    AddProduct,
    ChangePrice,
    CreateStore,
    ProductWorkflowInput,
    RebrandProduct,
    RebrandStore,
    StoreWorkflowInput,
)
from workflows.stores.product_workflow import ProductWorkflow
from workflows.stores.store_workflow import StoreWorkflow

Command = tuple[Any, Any]  # (an update of the workflow, its argument or None)

CREATE_STORE: Command = (StoreWorkflow.create, CreateStore(name="Robots R Us", location="Level 2, unit 14"))
ADD_PRODUCT: Command = (
    ProductWorkflow.add,
    AddProduct(
        store_id=STORE_ID, name="Robot arm", description="Six axes, one gripper", sku="ARM-6", price=Decimal("12.50")
    ),
)
REGISTER: Command = (CustomerWorkflow.register, RegisterCustomer(name="Ada Lovelace", sms_number="+44 20 7946 0001"))
DISABLE: Command = (CustomerWorkflow.disable, None)

# event name → (workflow, its input, the commands that lead to the provider state of that event)
SCRIPTS: dict[str, tuple[Any, Any, list[Command]]] = {
    "stores.StoreCreated": (StoreWorkflow, StoreWorkflowInput(store_id=STORE_ID), [CREATE_STORE]),
    "stores.StoreRebranded": (
        StoreWorkflow,
        StoreWorkflowInput(store_id=STORE_ID),
        [CREATE_STORE, (StoreWorkflow.rebrand, RebrandStore(name="Bots R Us"))],
    ),
    "stores.StoreParticipationToggled": (
        StoreWorkflow,
        StoreWorkflowInput(store_id=STORE_ID),
        [CREATE_STORE, (StoreWorkflow.enable_participation, None)],
    ),
    "stores.ProductAdded": (ProductWorkflow, ProductWorkflowInput(product_id=PRODUCT_ID), [ADD_PRODUCT]),
    "stores.ProductRebranded": (
        ProductWorkflow,
        ProductWorkflowInput(product_id=PRODUCT_ID),
        [
            ADD_PRODUCT,
            (ProductWorkflow.rebrand, RebrandProduct(name="Robot arm XL", description="Seven axes, two grippers")),
        ],
    ),
    "stores.ProductPriceChanged": (
        ProductWorkflow,
        ProductWorkflowInput(product_id=PRODUCT_ID),
        [ADD_PRODUCT, (ProductWorkflow.increase_price, ChangePrice(price=Decimal("14.00")))],
    ),
    "stores.ProductRemoved": (
        ProductWorkflow,
        ProductWorkflowInput(product_id=PRODUCT_ID),
        [ADD_PRODUCT, (ProductWorkflow.remove, None)],
    ),
    "customers.CustomerRegistered": (CustomerWorkflow, CustomerWorkflowInput(customer_id=CUSTOMER_ID), [REGISTER]),
    "customers.CustomerSmsChanged": (
        CustomerWorkflow,
        CustomerWorkflowInput(customer_id=CUSTOMER_ID),
        [REGISTER, (CustomerWorkflow.change_sms_number, ChangeSmsNumber(sms_number="+44 20 7946 0002"))],
    ),
    "customers.CustomerDisabled": (
        CustomerWorkflow,
        CustomerWorkflowInput(customer_id=CUSTOMER_ID),
        [REGISTER, DISABLE],
    ),
    "customers.CustomerEnabled": (
        CustomerWorkflow,
        CustomerWorkflowInput(customer_id=CUSTOMER_ID),
        [REGISTER, DISABLE, (CustomerWorkflow.enable, None)],
    ),
}
WORKFLOW_IDS = {
    StoreWorkflow: f"store:{STORE_ID}",
    ProductWorkflow: f"product:{PRODUCT_ID}",
    CustomerWorkflow: f"customer:{CUSTOMER_ID}",
}


class Deliveries:
    """Same-named fakes of the projections: the raw event (a JSON object) each queue received, in order."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []

    async def _record(self, event: dict[str, Any]) -> None:
        if str(event.get("aggregate_id", "")).startswith("pact-"):  # only this test's aggregates
            self.received.append((activity.info().task_queue, event))

    def reached(self, event_name: str, queues: tuple[str, ...]) -> bool:
        return set(queues) <= {queue for queue, event in self.received if event["name"] == event_name}

    @activity.defn(name="apply_store_event")
    async def apply_store_event(self, event: dict[str, Any]) -> None:
        await self._record(event)

    @activity.defn(name="apply_product_event")
    async def apply_product_event(self, event: dict[str, Any]) -> None:
        await self._record(event)

    @activity.defn(name="apply_customer_event")
    async def apply_customer_event(self, event: dict[str, Any]) -> None:
        await self._record(event)


@pytest.fixture
async def deliveries(time_skipping_env: WorkflowEnvironment) -> AsyncIterator[Deliveries]:
    """The three workflows on their home queues, the fakes on every subscriber queue."""
    recorded = Deliveries()
    fakes = [recorded.apply_store_event, recorded.apply_product_event, recorded.apply_customer_event]
    client = time_skipping_env.client
    queues = {
        queue
        for aggregate in AGGREGATES
        if aggregate.field in ("store", "product", "customer")
        for queue in aggregate.subscribers
    }
    async with AsyncExitStack() as workers:
        await workers.enter_async_context(
            Worker(client, task_queue="stores", workflows=[StoreWorkflow, ProductWorkflow], activities=fakes)
        )
        await workers.enter_async_context(
            Worker(client, task_queue="customers", workflows=[CustomerWorkflow], activities=fakes)
        )
        for queue in queues - {"stores", "customers"}:
            await workers.enter_async_context(Worker(client, task_queue=queue, activities=fakes))
        yield recorded


async def _drive(client: Client, event_name: str, deliveries: Deliveries, subscribers: tuple[str, ...]) -> None:
    workflow, start_input, commands = SCRIPTS[event_name]
    workflow_id = WORKFLOW_IDS[workflow]
    queue = "customers" if workflow is CustomerWorkflow else "stores"
    handle = await client.start_workflow(workflow.run, start_input, id=workflow_id, task_queue=queue)
    try:
        for update, arg in commands:
            if arg is None:
                await handle.execute_update(update)
            else:
                await handle.execute_update(update, arg)
        # The command answers once the owner has it; the other subscribers follow in the background.
        async with asyncio.timeout(30):
            while True:
                if deliveries.reached(event_name, subscribers):
                    break
                await asyncio.sleep(0.02)
    finally:
        with contextlib.suppress(RPCError):
            # A query is answered between workflow tasks: terminating in the middle of one would leave the
            # time-skipping server's clock locked for every later test that sleeps.
            await handle.query("__temporal_workflow_metadata")
            await handle.terminate()


@pytest.mark.parametrize("event_name", list(SCRIPTS))
async def test_the_workflow_publishes_the_message_of_the_provider_scenario(
    event_name: str, deliveries: Deliveries, time_skipping_env: WorkflowEnvironment
) -> None:
    aggregate = next(a for a in AGGREGATES if event_name in a.event_names)
    await _drive(time_skipping_env.client, event_name, deliveries, aggregate.subscribers)
    last = {queue: event for queue, event in deliveries.received if event["name"] == event_name}
    assert sorted(last) == sorted(aggregate.subscribers), f"{event_name} reached {sorted(last)}"
    scenario = json.loads(serialize(event_in(STATES[event_name]))[0])
    for queue, published in last.items():
        # The only difference allowed: when it happened (the workflow's clock, not the scenario's).
        assert {**published, "occurred_at": None} == {**scenario, "occurred_at": None}, queue
