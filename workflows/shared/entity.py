"""The part every entity workflow shares: numbered events, serialized commands, projections.

An entity workflow keeps its aggregate's state. A command (an Update) is validated by the pure
domain rule in the validator (rejected = nothing written), then re-run under a lock. A command that
changes nothing (a release of a captured payment, an expiry that lost to a reservation) is answered
with the state as it is and emits no event. Otherwise the new state is kept, the event is numbered and
delivered to every subscriber's task queue that needs it (``EntitySpec.interests``) through a projection
activity.

Delivery: each subscriber has its own queue of events, delivered one after the other (so every read
model sees one aggregate's events in order), independently of the others. The command answers once
the owner's own read model has applied the event (read-your-writes), and, for the copies the next
command of a journey reads (``EntitySpec.read_by_commands``), once they have it too or ``CATCH_UP`` has
passed, whichever comes first; the other subscribers follow in the background. So a subscriber that is
down delays only its own read model, never holds the entity, and never keeps a write from answering.
The entity ends or continues as new only once every delivery is done (``quiesce``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, Generic, NoReturn, TypeVar

from temporalio import workflow

from domain.shared.errors import NotFound
from domain.shared.events import DomainEvent
from workflows.shared.activity_options import ACTIVITY_TIMEOUT, TRANSIENT_RETRY
from workflows.shared.errors import checked, domain_failures
from workflows.shared.spec import CATCH_UP, INTERESTS_PATCH, EntitySpec

S = TypeVar("S")


class Entity(Generic[S]):
    def __init__(self, spec: EntitySpec[S, Any], *, state: S | None, number: int) -> None:
        self.spec = spec
        self.state = state
        self.number = number
        self.events_this_run = 0
        self._lock = asyncio.Lock()
        self._deliveries: dict[str, asyncio.Task[None]] = {}  # per subscriber queue: its latest delivery

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
        """Run the rule; then, still under the lock, ``before_commit``; keep the new state and deliver it.

        Returns once the owner's read model has the event; ``wait=False`` returns as soon as the state is
        kept (a saga's next step runs while the owner's projection does).
        """
        async with self._lock:
            with domain_failures():
                new_state = change()
            if new_state == self.state:
                return new_state  # it changes nothing: nothing to write, nobody to tell
            if before_commit is not None:
                await before_commit(new_state)
            event = self._commit(event_name, new_state)
            for queue in self.spec.subscribers:
                # (The patch is asked only where it changes something: entities without interests record none.)
                if self.spec.receives(queue, event_name) or not workflow.patched(INTERESTS_PATCH):
                    self._enqueue(queue, event)
            if wait:
                await self._deliveries[self.spec.home_queue]
        if wait:
            await self._catch_up()
        return new_state

    async def _catch_up(self) -> None:
        """Outside the lock (the entity takes its next command meanwhile): a moment for the copies the next
        command reads, so a healthy mall is read-your-writes across services; a lagging one only delays it."""
        followers = [self._deliveries[queue] for queue in self.spec.read_by_commands]
        if all(task.done() for task in followers):
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await workflow.wait_condition(lambda: all(task.done() for task in followers), timeout=CATCH_UP)

    def _commit(self, event_name: str, new_state: S) -> DomainEvent:
        self.state = new_state
        self.number += 1
        self.events_this_run += 1
        event: DomainEvent = self.spec.build_event(event_name, self.number, workflow.now(), new_state)
        return event

    def _enqueue(self, queue: str, event: DomainEvent) -> None:
        """Deliver after this subscriber's previous delivery: in order per subscriber, apart across them."""
        previous = self._deliveries.get(queue)
        self._deliveries[queue] = asyncio.create_task(self._deliver_after(previous, queue, event))

    async def _deliver_after(self, previous: asyncio.Task[None] | None, queue: str, event: DomainEvent) -> None:
        if previous is not None:
            await previous
        await deliver(self.spec.projection, event, queue, local=queue == self.spec.home_queue)

    @property
    def settled(self) -> bool:
        """No command is being applied and the owner's read model has every event."""
        home = self._deliveries.get(self.spec.home_queue)
        return not self._lock.locked() and (home is None or home.done())

    async def published(self) -> None:
        """Wait until every event applied so far has reached every subscriber."""
        while pending := [task for task in self._deliveries.values() if not task.done()]:
            await asyncio.gather(*pending)

    async def quiesce(self) -> None:
        """Before the run ends or continues as new: no command in flight and every event delivered."""
        while True:
            await workflow.wait_condition(workflow.all_handlers_finished)
            if all(task.done() for task in self._deliveries.values()):
                return
            await self.published()

    def should_continue_as_new(self, limit: int) -> bool:
        """A long history, or a new worker build made current (or ramping to this run): this run stays pinned
        to its build, so the next run is where it moves (``continue_as_new_on_current_build``). The server
        raises that flag with the next workflow task, so an idle entity moves at its next command."""
        info = workflow.info()
        return (
            self.events_this_run >= limit
            or info.is_continue_as_new_suggested()
            or info.is_target_worker_deployment_version_changed()
        )


def continue_as_new_on_current_build(arg: Any) -> NoReturn:
    """Continue-as-new onto the task queue's current (or ramping) deployment version: the SDK's
    upgrade-on-continue-as-new. The new run is pinned there in turn, so a long-lived entity needs a patch only
    for a change that must reach a run mid-flight; with no versioning (the embedded dev stack) it is a plain
    continue-as-new."""
    workflow.continue_as_new(arg, initial_versioning_behavior=workflow.ContinueAsNewVersioningBehavior.AUTO_UPGRADE)


async def deliver(projection: str, event: DomainEvent, queue: str, *, local: bool) -> None:
    """One event to the projection activity of one subscriber.

    The workflow's own service (``local``: decided from a constant, never from ``workflow.info()``, which a
    replayer reports differently) is served by a local activity: same worker, no task-queue round trip
    through the server, which is most of the cost of an activity on a busy two-core machine.
    """
    summary = f"{event.name} #{event.number} → {queue}"
    if local:
        await workflow.execute_local_activity(
            projection,
            event,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=TRANSIENT_RETRY,
            summary=f"{summary} (local)",
        )
    else:
        await workflow.execute_activity(
            projection,
            event,
            task_queue=queue,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=TRANSIENT_RETRY,
            summary=summary,
        )
