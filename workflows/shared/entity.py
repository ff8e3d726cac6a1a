"""The part every entity workflow shares: numbered events, serialized commands, projections.

An entity workflow keeps its aggregate's state. A command (an Update) is validated by the pure
domain rule in the validator (rejected = nothing written), then re-run under a lock, the new state
is kept and the event is pushed through an activity to every subscriber's task queue in parallel.
The update returns only when every subscriber has applied it, so a 200 is visible everywhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

from temporalio import workflow

from domain.shared.errors import NotFound
from domain.shared.events import DomainEvent
from workflows.shared.activity_options import ACTIVITY_TIMEOUT, TRANSIENT_RETRY
from workflows.shared.errors import checked, domain_failures
from workflows.shared.spec import EntitySpec

S = TypeVar("S")


class Entity(Generic[S]):
    def __init__(self, spec: EntitySpec[S, Any], *, state: S | None, number: int) -> None:
        self.spec = spec
        self.state = state
        self.number = number
        self.events_this_run = 0
        self._lock = asyncio.Lock()
        self._publishing: asyncio.Task[None] | None = None

    def current(self) -> S:
        if self.state is None:
            raise NotFound(f"the {self.spec.kind} does not exist")
        return self.state

    def check(self, change: Callable[[], S]) -> None:
        """For validators: raises (rejecting the update) if the rule refuses the command."""
        checked(change)

    async def apply(
        self,
        event_name: str,
        change: Callable[[], S],
        before_commit: Callable[[S], Awaitable[None]] | None = None,
        *,
        wait: bool = True,
    ) -> S:
        """Run the rule; then, still under the lock, ``before_commit``; keep the new state and publish.

        ``wait=False`` returns once the state is kept and lets the publication run on while the caller
        goes on (a saga's next step); events still reach subscribers in order, because the next ``apply``
        (and ``published``) first waits for it.
        """
        async with self._lock:
            await self.published()
            with domain_failures():
                new_state = change()
            if before_commit is not None:
                await before_commit(new_state)
            self.state = new_state
            self.number += 1
            self.events_this_run += 1
            event = self.spec.build_event(event_name, self.number, workflow.now(), new_state)
            publication = publish(self.spec.projection, event, self.spec.subscribers, self.spec.home_queue)
            if wait:
                await publication
            else:
                self._publishing = asyncio.create_task(publication)
            return new_state

    @property
    def settled(self) -> bool:
        """No command is being applied and every event has reached its subscribers."""
        return not self._lock.locked() and self._publishing is None

    async def published(self) -> None:
        """Wait until every event applied so far has reached its subscribers."""
        if self._publishing is not None:
            task, self._publishing = self._publishing, None
            await task

    def should_continue_as_new(self, limit: int) -> bool:
        return self.events_this_run >= limit or workflow.info().is_continue_as_new_suggested()


async def publish(projection: str, event: DomainEvent, subscribers: Sequence[str], home_queue: str) -> None:
    """Deliver one event to the projection activity on each subscriber's task queue, concurrently.

    The workflow's own service (``home_queue``, a constant: never read from ``workflow.info()``, which a
    replayer reports differently) is served by a local activity: same worker, no task-queue round trip
    through the server, which is most of the cost of an activity on a busy two-core machine.
    """
    own_queue = home_queue
    summary = f"{event.name} #{event.number}"
    await asyncio.gather(
        *(
            workflow.execute_local_activity(
                projection,
                event,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=TRANSIENT_RETRY,
                summary=f"{summary} → {queue} (local)",
            )
            if queue == own_queue
            else workflow.execute_activity(
                projection,
                event,
                task_queue=queue,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=TRANSIENT_RETRY,
                summary=f"{summary} → {queue}",
            )
            for queue in subscribers
        )
    )
