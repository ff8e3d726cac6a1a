"""Today's code must replay yesterday's histories: a change that alters a workflow's commands breaks every
running workflow of that type that meets it. Pinned runs never meet a new build (worker versioning); an entity
meets it at continue-as-new, so the build must replay the runs it takes over from there, and a change that must
reach a run mid-flight is patched (see the README). ``mallbots deploy promote`` refuses a build that fails
these histories (``mallbots.versioning.replay_gate``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from activities.customers.activities import CustomersActivities
from activities.payments.payments import PaymentsActivities
from domain.ordering.model import Order
from mallbots.bootstrap import SANDBOXED, UNSANDBOXED
from mallbots.services import DEFINITIONS
from workflows.customers.messages import TASK_QUEUE as CUSTOMERS_QUEUE
from workflows.customers.messages import AuthorizeCustomer
from workflows.ordering.messages import OrderWorkflowInput
from workflows.ordering.order_workflow import OrderWorkflow
from workflows.payments.messages import TASK_QUEUE as PAYMENTS_QUEUE
from workflows.payments.messages import ReservePayment
from workflows.shared.activity_options import run_activity

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
WORKFLOWS = [wf for definition in DEFINITIONS.values() for wf in definition.workflows]


def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem, json.loads(path.read_text()))


def test_there_is_a_golden_history_for_every_workflow_type() -> None:
    covered = {path.stem.split("-")[0] for path in HISTORIES}
    assert covered == {wf.__name__ for wf in WORKFLOWS}


def test_the_histories_cover_an_entity_that_continued_as_new_and_the_run_it_started() -> None:
    """Where an entity moves to a new build: the new build must replay both sides of the boundary."""
    events = {path.stem: json.loads(path.read_text())["events"] for path in HISTORIES}
    ended = [
        name for name, run in events.items() if run[-1]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW"
    ]
    started = [
        name
        for name, run in events.items()
        if run[0]["workflowExecutionStartedEventAttributes"].get("initiator") == "CONTINUE_AS_NEW_INITIATOR_WORKFLOW"
    ]
    assert ended == ["StoreWorkflow-continued-as-new"]
    assert started == ["StoreWorkflow-after-continue-as-new"]


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_the_current_code_replays_the_golden_history(path: Path) -> None:
    replayer = Replayer(workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=SANDBOXED)
    await replayer.replay_workflow(_history(path))


@workflow.defn(name="OrderWorkflow")
class ReorderedOrderWorkflow(OrderWorkflow):
    """A careless change: the payment is confirmed before the customer is authorized.
    (Replayed with production's runner, which shares modules with the sandbox.)"""

    @workflow.run
    async def run(self, input: OrderWorkflowInput) -> Order:
        return await super().run(input)

    async def _create_order_saga(self) -> bool:
        order = self._order()
        payment = ReservePayment(
            payment_id=order.payment_id, customer_id=order.customer_id, order_id=order.id, total=order.total
        )
        await run_activity(PaymentsActivities.confirm_payment, payment, task_queue=PAYMENTS_QUEUE)
        authorize = AuthorizeCustomer(customer_id=order.customer_id)
        await run_activity(CustomersActivities.authorize_customer, authorize, task_queue=CUSTOMERS_QUEUE)
        return await super()._create_order_saga()


async def test_changing_the_order_of_a_sagas_commands_fails_replay_naming_the_command() -> None:
    others: list[Any] = [wf for wf in WORKFLOWS if wf is not OrderWorkflow]
    # Unsandboxed: the sandbox would re-import this test module (and pytest with it) for the reordered workflow;
    # what is tested here is the command order, which the replayer checks either way.
    replayer = Replayer(
        workflows=[*others, ReorderedOrderWorkflow], data_converter=pydantic_data_converter, workflow_runner=UNSANDBOXED
    )
    result = await replayer.replay_workflow(
        _history(next(p for p in HISTORIES if p.stem == "OrderWorkflow-completed")), raise_on_replay_failure=False
    )
    assert result.replay_failure is not None
    message = str(result.replay_failure)
    assert "Nondeterminism" in type(result.replay_failure).__name__ or "nondetermin" in message.lower()
    assert "confirm_payment" in message or "authorize_customer" in message, message
