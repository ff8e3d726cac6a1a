"""Today's code must replay yesterday's histories: a change that alters a workflow's commands breaks
every running workflow of that type unless it is patched (see the README on ``workflow.patched``)."""

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
from mallbots.bootstrap import SANDBOXED
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
    replayer = Replayer(
        workflows=[*others, ReorderedOrderWorkflow], data_converter=pydantic_data_converter, workflow_runner=SANDBOXED
    )
    result = await replayer.replay_workflow(
        _history(next(p for p in HISTORIES if p.stem == "OrderWorkflow-completed")), raise_on_replay_failure=False
    )
    assert result.replay_failure is not None
    message = str(result.replay_failure)
    assert "Nondeterminism" in type(result.replay_failure).__name__ or "nondetermin" in message.lower()
    assert "confirm_payment" in message or "authorize_customer" in message, message
