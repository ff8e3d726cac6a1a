"""What each entity declares once, in its service's ``messages.py``: what it is, the events it emits and
who receives them. The entity workflow runs on it; the workflow tests' fakes and the message contracts'
catalogue are derived from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar, get_args

from domain.shared.events import DomainEvent, snapshot_field

S = TypeVar("S")
E = TypeVar("E", bound=DomainEvent)
# How long a command waits for the copies in ``read_by_commands`` before it answers anyway: when such a
# subscriber is healthy its copy is there long before; when it is down, the write still answers.
CATCH_UP = timedelta(seconds=2)
# Since this patch an entity delivers an event only to the subscribers whose ``interests`` name it; a run that
# began before it keeps delivering every event to every subscriber (its history has those activities).
INTERESTS_PATCH = "subscribers-receive-only-their-events"


@dataclass(frozen=True)
class EntitySpec(Generic[S, E]):
    event_type: type[E]
    build_event: Callable[[str, int, datetime, S], E]
    subscribers: tuple[str, ...]  # task queues, the owner's own read model first
    home_queue: str  # the owner's queue: its projection runs as a local activity
    # Copies that the next command of a journey reads (baskets' and depot's catalogue: add an item, then
    # the saga's step 2): a command also waits for these, but never longer than ``CATCH_UP``.
    read_by_commands: tuple[str, ...] = ()
    # Subscribers that need only some of the events, with the names they need (notifications: those a customer
    # is told about). Every other subscriber gets every event. An event nobody reads costs an activity task and
    # a workflow task of the entity's, so it is never sent (since ``INTERESTS_PATCH``).
    interests: tuple[tuple[str, frozenset[str]], ...] = ()

    def receives(self, queue: str, event_name: str) -> bool:
        return next((event_name in names for subscriber, names in self.interests if subscriber == queue), True)

    def receivers(self, event_name: str) -> tuple[str, ...]:
        """The subscribers this event is delivered to."""
        return tuple(queue for queue in self.subscribers if self.receives(queue, event_name))

    @property
    def kind(self) -> str:
        """The aggregate as messages name it: "the shopping list does not exist"."""
        return self.snapshot_field.replace("_", " ")

    @property
    def projection(self) -> str:
        """The activity every subscriber serves for these events (``apply_shopping_list_event``): one name,
        one implementation per subscriber."""
        return f"apply_{self.snapshot_field}_event"

    @property
    def event_names(self) -> tuple[str, ...]:
        names: Any = self.event_type.model_fields["name"].annotation
        return tuple(get_args(names))

    @property
    def snapshot_field(self) -> str:
        return snapshot_field(self.event_type)
