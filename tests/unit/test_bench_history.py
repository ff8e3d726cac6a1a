"""What the bench counts in a workflow history (and what it leaves out), and how it splits a history in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from mallbots.tools.bench import add, count_events, scaled, split_at, within

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _event(kind: EventType.ValueType, second: float = 0.0, **attributes: object) -> HistoryEvent:
    event = HistoryEvent(event_type=kind, **attributes)  # type: ignore[arg-type]
    event.event_time.FromDatetime(T0 + timedelta(seconds=second))
    return event


def _marker(name: str) -> HistoryEvent:
    return _event(EventType.EVENT_TYPE_MARKER_RECORDED, marker_recorded_event_attributes={"marker_name": name})


def _update(name: str) -> HistoryEvent:
    accepted = {"accepted_request": {"input": {"name": name}}}
    return _event(
        EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
        workflow_execution_update_accepted_event_attributes=accepted,
    )


def test_completed_workflow_tasks_scheduled_activities_retries_and_local_activity_markers_are_counted() -> None:
    history = [
        _event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
        _event(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
        _event(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED),
        _event(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
        _marker("core_local_activity"),
        _marker("core_patch"),  # a patch marker is no local activity
        _event(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
        _event(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, activity_task_started_event_attributes={"attempt": 1}),
        _event(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
        _event(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),  # one activity, done at its third attempt
        _event(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED, activity_task_started_event_attributes={"attempt": 3}),
        _event(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED),
        _event(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
        _event(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED),
        _event(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED),  # redone: a failure, not a completed task
        _event(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
        _event(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED),
        _event(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT),
        _event(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
        _update("checkout"),
        _update("wait_for_status"),
        _event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
        _event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED),
    ]
    assert count_events(history) == {
        "workflow_tasks": 2,
        "workflow_task_failures": 2,
        "activity_tasks": 2,
        "activity_retries": 2,
        "local_activities": 1,
        "updates": 2,
        "waits": 1,
        "signals": 1,
        "events": len(history),
    }


def test_a_history_splits_at_a_moment_and_a_window_keeps_its_edges() -> None:
    history = [_event(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, second=s) for s in (0, 1, 2, 3)]
    before, after = split_at(history, T0 + timedelta(seconds=2))
    assert [len(before), len(after)] == [2, 2]
    assert len(within(history, T0 + timedelta(seconds=1), T0 + timedelta(seconds=2))) == 2
    assert within(history, T0 + timedelta(seconds=4), T0 + timedelta(seconds=5)) == []


def test_counts_add_up_and_scale() -> None:
    one = count_events([_event(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)])
    two = add(one, one)
    assert two["workflow_tasks"] == 2 and two["events"] == 2 and two["activity_tasks"] == 0
    assert scaled(two, 0.25)["workflow_tasks"] == 0.5
