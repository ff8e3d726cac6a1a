"""The operator tools without a server: bad usage is exit 2 before anything is reached, the queues the API
reports are the service registry's, links into the Temporal UI, and where a saga is when no worker answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from api.routers import ops as ops_router
from mallbots.cli import app
from mallbots.services import DEFINITIONS
from mallbots.tools.operators import StuckSaga
from mallbots.tools.ops_order import ActivityRun, OrderStory, _derived_step, temporal_ui_link
from mallbots.tools.ops_stats import TASK_QUEUES

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["ops", "order", "not an id"], "the order ID is not a valid ID"),
        (["ops", "order", "x" * 65], "the order ID is not a valid ID"),
        (["ops", "stats", "--queue", "warehouse"], "unknown task queue(s) warehouse"),
        (["ops", "stats", "--window", "0"], "--window"),
        (["ops", "stats", "--window", str(8 * 86400)], "at most 604800 seconds"),
        (["ops", "stuck", "--older-than", "soon"], "--older-than"),
    ],
)
def test_bad_usage_is_exit_2_before_anything_is_reached(args: list[str], says: str) -> None:
    result = runner.invoke(app, args, env={"COLUMNS": "200", "MALLBOTS_TEMPORAL_ADDRESS": "127.0.0.1:1"})

    assert result.exit_code == 2, result.output
    assert says in result.output


def test_the_ops_commands_and_the_old_name_are_there() -> None:
    result = runner.invoke(app, ["ops", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for command in ("order", "stuck", "stats", "dead-letters"):
        assert command in result.output
    assert runner.invoke(app, ["stuck-sagas", "--help"]).exit_code == 0


def test_the_api_reports_the_queue_of_every_service_of_the_registry() -> None:
    assert ops_router.TASK_QUEUES == TASK_QUEUES == tuple(d.task_queue for d in DEFINITIONS.values())


def test_a_link_into_the_temporal_ui_names_the_namespace_and_the_workflow() -> None:
    assert (
        temporal_ui_link("http://127.0.0.1:8233/", "default", "order:3f2a")
        == "http://127.0.0.1:8233/namespaces/default/workflows/order:3f2a"
    )
    assert temporal_ui_link("https://ui.example", "mall prod", "order:a.b") == (
        "https://ui.example/namespaces/mall%20prod/workflows/order:a.b"
    )


def _run(activity: str, title: str, outcome: str) -> ActivityRun:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return ActivityRun(activity, title, "step", "depot", outcome, 3, at, None, "depot database unreachable")


def test_without_a_worker_the_step_is_read_from_the_history() -> None:
    rejected = {"outcome": "completed", "order_status": "rejected", "reason": "the customer is disabled"}
    assert _derived_step("Completed", rejected, []) == "rejected: the customer is disabled"
    assert _derived_step("Completed", {"outcome": "completed", "order_status": "completed"}, []) == "completed"
    assert _derived_step("Terminated", {"outcome": "terminated", "reason": "by hand"}, []) == "terminated"
    running = [_run("initiate_shopping", "step 4/5: initiate shopping", "running")]
    assert _derived_step("Running", None, running) == "step 4/5: initiate shopping (running)"
    assert _derived_step("Running", None, []) == "running: no saga activity yet"


def test_an_order_no_read_model_and_no_workflow_knows_does_not_exist() -> None:
    story = OrderStory(order_id="o-1", temporal_ui="http://ui/namespaces/default/workflows/order:o-1")
    assert not story.exists
    assert story.as_json()["statuses"] == dict.fromkeys(story.statuses, None)
    assert OrderStory(order_id="o-1", temporal_ui="", invoice={"id": "o-1", "status": "paid"}).exists


def test_a_stuck_saga_as_json() -> None:
    from datetime import timedelta

    saga = StuckSaga("order:1", "pending", timedelta(seconds=301.5), "step 4/5: initiate shopping", "initiate_shopping")
    assert saga.as_json() == {
        "workflow_id": "order:1",
        "status": "pending",
        "age_seconds": 301.5,
        "step": "step 4/5: initiate shopping",
        "pending": "initiate_shopping",
    }
