"""``mallbots bench``: whole orders through the system as fast as the machine allows, measured honestly.

One run (``run_bench``) on an embedded stack:

1. A warm-up (caches, pools, connections), not reported.
2. The orders are prepared (basket started, an item added, a payment authorized), untimed; then each order's
   journey is timed as a client lives it: the customer checks out, learns the approval, the bot assigns itself
   the shopping list and completes it, the customer learns the order is ready, pays the invoice and learns it is
   completed — each actor with its own token. The client learns every transition through the long poll
   (``GET /api/ordering/{id}?waitFor=…``, answered by the order's workflow); it asks again only after a wait
   timed out. Latencies are the client's: from sending the checkout to receiving the answer that shows the status
   (beside them, the approval's own time in the saga: what the bench reported before the long poll).
3. CPU seconds of the Temporal server, Postgres, the worker processes, the API processes and this process (the
   bench client) over the timed phase. On a stack of one process (``MALLBOTS_WORKER_PROCESSES=0``), and for the
   floor (whose worker runs here), the client's own share of this process is measured in its coroutines
   (``ClientCpu``) and the rest counted as the system's. Each process's idle load (no order in flight, just
   before the timed phase) is reported beside it.
4. Workflow tasks, activity tasks and local activities per order, read from the histories of a sample of orders
   and of the entity workflows each one involved (``count_events`` says exactly what is counted).
5. The Temporal floor at the same concurrency: a workflow of as many sequential no-op activities as the saga's
   critical path to approval, measured the same way; and the ratios saga ÷ floor.
6. With ``open_baskets``: the workers' memory while that many baskets are opened and left open (each an entity
   workflow waiting for its next command): their resident set size before the first and after every tenth, and
   its growth after the first tenth and over the second half (the workers' caches fill, then memory stays).

The result is one JSON document (``SCHEMA``, printed by ``mallbots bench --json``); ``render`` turns it into
tables. Keys are only ever added under one schema name. Times are seconds; ``C`` is a count record
(``COUNTS``: workflow_tasks, workflow_task_failures, activity_tasks, activity_retries, local_activities,
updates, waits, signals, events), ``P`` a CPU
record {seconds, per_order | per_run, cores}, or null when that process was not measured; ``L`` a latency
record {count, mean, min, p50, p90, p99, max} (nearest-rank percentiles)::

    schema   "mallbots.bench/2"
    run      {orders, concurrency, warmup_orders, history_sample, floor, open_baskets, started_at, cpus,
              load_average[3], processes: {workers, api}}
    saga     {orders, seconds, orders_per_second,
              latency_seconds: {checkout_to_approved: L, checkout_to_completed: L, checkout_to_approval_recorded: L},
              idle_cores: {temporal_server, workers, api, python_process, postgres},
              client: {requests, requests_per_order, long_polls, long_polls_per_order, retried_commands,
                       timed_out_waits, early_answers},
              cpu_seconds: {wall_seconds, temporal_server: P, workers: P, api: P, workers_and_api: P,
                            bench_client: P, postgres: P, python_process: P, machine: P, others: P},
              (workers, api: the child processes, null on a stack of one process; workers_and_api: the system's
               Python, theirs plus this process's share when it hosts workers; python_process: this process)
              tasks_per_order: {sampled_orders,
                                mean: {total: C, by_workflow: {basket|order|payment|shopping_list|invoice|customer: C},
                                       by_phase: {prepare: C, checkout_to_completed: C}},
                                min: C, max: C,
                                orders: [{order_id, total: C, by_workflow: {...}, by_phase: {...}}]}}
    floor    null | {runs, activities_per_run, seconds, runs_per_second, latency_seconds: {run: L},
                     cpu_seconds: {... as the saga's, per_run}, tasks_per_run: {sampled_runs, mean: C, min: C, max: C}}
    ratios   null | {latency_p50, latency_p99, throughput, cpu}   (each null when the floor's figure is 0)
    memory   null | {open_baskets, seconds, baskets_per_second, samples: [{baskets, workers_rss_bytes,
                     api_rss_bytes}], growth_after_first_tenth, growth_over_second_half}   (rss of the worker
                     (API) processes together, or of this process on a stack of one process)
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import resource
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

import httpx
from rich.table import Table
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client
from temporalio.worker import Worker

from api.auth import Role
from mallbots.stack import Stack
from mallbots.tools.bench_floor import FLOOR_QUEUE, FloorWorkflow, bench_noop
from mallbots.tools.client import FINAL_ORDER_STATUSES, ApiError, Json, MallbotsClient, TokenMint
from workflows.baskets.messages import basket_workflow_id
from workflows.customers.messages import customer_workflow_id
from workflows.depot.messages import shopping_list_workflow_id
from workflows.ordering.messages import order_workflow_id
from workflows.payments.messages import invoice_workflow_id, payment_workflow_id

SCHEMA = "mallbots.bench/2"  # 2: the worker and API processes apart
# The saga's critical path to approval: OrderCreated published, 4 steps (each commanding another entity),
# OrderApproved. The floor runs this many sequential no-op activities.
SAGA_ACTIVITIES = 6
WARMUP_ORDERS = 10
HISTORY_SAMPLE = 20  # orders (and floor runs) whose histories are read
# After the preparation, before the clock starts: the background deliveries of the preparation's commands
# (to subscribers other than the caller's) finish, so they are neither timed nor counted as checkout's.
SETTLE_SECONDS = 1.0
# Then each process's CPU with no order in flight (the stack's pollers and timers), for a reader to weigh the
# per-order figures against.
IDLE_SECONDS = 1.0
IDLE_PROCESSES = ("temporal_server", "workers", "api", "python_process", "postgres")
# One long poll's timeout: well under the API's request deadline (10 s), which a wait that ends as the
# machine is saturated can overrun (then 503, and the bench asks again).
LONG_POLL_SECONDS = 5.0
COMMAND_ATTEMPTS = 5  # a command answered 503 is sent again with its key, this often at most
JOURNEY_WITHIN = 600.0  # seconds one order may take at most (a hang fails the bench, it is no goal)
CLOSE_WITHIN = 30.0  # seconds a sampled workflow gets to close after its order completed, before it is read
# The marker the SDK core records for a local activity's result (sdk-core: LOCAL_ACTIVITY_MARKER_NAME).
LOCAL_ACTIVITY_MARKER = "core_local_activity"
WAIT_UPDATE = "wait_for_status"  # the order's update behind ?waitFor= (the client's long polls)
# The entity workflows one order involves, by their key in the document.
ORDER_WORKFLOWS = ("basket", "order", "payment", "shopping_list", "invoice", "customer")
PHASES = ("prepare", "checkout_to_completed")
COUNTS = (
    "workflow_tasks",
    "workflow_task_failures",
    "activity_tasks",
    "activity_retries",
    "local_activities",
    "updates",
    "waits",
    "signals",
    "events",
)
T = TypeVar("T")


# ---- statistics ----------------------------------------------------------------------------------------


def percentile(values: Iterable[float], p: float) -> float:
    """Nearest rank: the smallest value with at least ``p`` % of the values at or below it (0 for none)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = math.ceil(round(p * len(ordered) / 100, 9))  # rounded first: 90 % of 10 is 9, not 9.000000000000002
    return ordered[min(len(ordered), max(rank, 1)) - 1]


def summary(values: list[float]) -> dict[str, float]:
    """count, mean, min, p50, p90, p99, max (seconds)."""
    return {
        "count": len(values),
        "mean": statistics.fmean(values) if values else 0.0,
        "min": min(values, default=0.0),
        "p50": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
        "max": max(values, default=0.0),
    }


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def ratios(saga: Json, floor: Json) -> dict[str, float | None]:
    """Saga ÷ floor: checkout → approved p50 and p99 over the floor run's, orders/s over floor runs/s, and the
    system's CPU (Temporal + workers and API + Postgres; the bench client left out) per order over per run."""
    approved = saga["latency_seconds"]["checkout_to_approved"]
    run = floor["latency_seconds"]["run"]
    return {
        "latency_p50": _ratio(approved["p50"], run["p50"]),
        "latency_p99": _ratio(approved["p99"], run["p99"]),
        "throughput": _ratio(saga["orders_per_second"], floor["runs_per_second"]),
        "cpu": _ratio(system_cpu(saga["cpu_seconds"], "per_order"), system_cpu(floor["cpu_seconds"], "per_run")),
    }


def system_cpu(cpu: Json, per: str) -> float:
    """The system's CPU seconds per order (or run): what is measured of Temporal, the workers + API and Postgres."""
    return float(sum(cpu[p][per] for p in ("temporal_server", "workers_and_api", "postgres") if cpu[p] is not None))


# ---- CPU -----------------------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_stats() -> dict[int, tuple[int, float]]:
    """Every process: pid → (parent pid, CPU seconds of itself and of its children it has reaped)."""
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # After "pid (comm) ": state ppid … utime stime cutime cstime are fields 3, 4 and 14-17 of proc(5).
        fields = text[text.rindex(")") + 2 :].split()
        utime, stime, cutime, cstime = (int(f) for f in fields[11:15])
        stats[int(entry.name)] = (int(fields[1]), (utime + stime + cutime + cstime) / CLOCK_TICKS)
    return stats


def process_tree_cpu(root: int) -> float:
    """CPU seconds (user + system) of a process and all its descendants, including the descendants that have
    exited and been reaped (their time is in their parent's cutime/cstime). A difference of two readings is the
    tree's CPU in between, however its processes came and went (Postgres's backends do)."""
    stats = _proc_stats()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
            todo += children.get(pid, [])
    return total


def machine_cpu() -> float:
    """CPU seconds every core of the machine has been busy (user, nice, system, irq, softirq, steal) since boot:
    whatever ran, this stack or anything else."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def own_process_cpu() -> float:
    """CPU seconds of this process, every thread (the SDK core's too); children not included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class ClientCpu:
    """The CPU the bench client's own coroutines use, on the event loop they share with the API and workers.

    ``run`` drives a coroutine step by step and adds up ``time.thread_time()`` across each step (from a resume to
    its next suspension), so what other tasks on the loop do meanwhile is not counted. Counted: the client's
    code, httpx's request building and response parsing, and the kernel's share of the loopback sends it makes;
    not counted: the event loop's own selecting and scheduling, which stays in the process's figure.
    """

    def __init__(self) -> None:
        self.seconds = 0.0

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return await _Metered(coro, self)


class _Metered(Generic[T]):
    def __init__(self, coro: Coroutine[Any, Any, T], meter: ClientCpu) -> None:
        self._coro = coro
        self._meter = meter

    def __await__(self) -> Generator[Any, Any, T]:
        coro, meter = self._coro, self._meter
        sent: Any = None
        thrown: BaseException | None = None
        while True:
            started = time.thread_time()
            try:
                yielded = coro.send(sent) if thrown is None else coro.throw(thrown)
            except StopIteration as done:
                meter.seconds += time.thread_time() - started
                result: T = done.value
                return result
            except BaseException:
                meter.seconds += time.thread_time() - started
                raise
            meter.seconds += time.thread_time() - started
            try:
                sent, thrown = (yield yielded), None
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as err:  # a cancellation, handed on to the coroutine where it waits
                sent, thrown = None, err


@dataclass
class CpuReading:
    temporal: float | None
    postgres: float | None
    workers: float | None  # the worker processes (None: the workers run in this process)
    api: float | None  # the API processes (None: the API runs in this process)
    process: float
    client: float
    machine: float
    at: float = field(default_factory=time.perf_counter)


class CpuMeter:
    """Readings of the embedded stack's processes: its Temporal dev server and Postgres, its worker and API
    processes (children of this process), and this process. A stack that joined an external server measures only
    this process."""

    def __init__(self, stack: Stack, client: ClientCpu) -> None:
        self._temporal = _child_pid(stack.temporal)
        self._postgres = _child_pid(stack.postgres)
        self._workers = [child.pid for child in stack.children if child.kind == "worker"]
        self._api = [child.pid for child in stack.children if child.kind == "api"]
        self._client = client

    def read(self) -> CpuReading:
        return CpuReading(
            temporal=process_tree_cpu(self._temporal) if self._temporal else None,
            postgres=process_tree_cpu(self._postgres) if self._postgres else None,
            workers=sum(process_tree_cpu(pid) for pid in self._workers) if self._workers else None,
            api=sum(process_tree_cpu(pid) for pid in self._api) if self._api else None,
            process=own_process_cpu(),
            client=self._client.seconds,
            machine=machine_cpu(),
        )


def _child_pid(server: object) -> int | None:
    # The devstack keeps its server's Popen to itself (``_process``); the bench only reads its pid.
    process = getattr(server, "_process", None)
    pid = getattr(process, "pid", None)
    return pid if isinstance(pid, int) else None


def cpu_document(before: CpuReading, after: CpuReading, count: int, per: str, *, system_here: bool = True) -> Json:
    """Per process: seconds, per order (or run) and cores busy on average over the phase's wall time.
    ``system_here``: this process runs some of the system (its workers and API, or the floor's worker), so only
    its client coroutines' share is the client's; otherwise all of this process is the client."""
    wall = after.at - before.at

    def entry(seconds: float | None) -> Json | None:
        if seconds is None:
            return None
        return {"seconds": seconds, per: seconds / count if count else 0.0, "cores": seconds / wall if wall else 0.0}

    def delta(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else b - a

    process = after.process - before.process
    client = after.client - before.client if system_here else process
    machine = after.machine - before.machine
    workers, api = delta(before.workers, after.workers), delta(before.api, after.api)
    children = (workers or 0.0) + (api or 0.0)
    ours = [delta(before.temporal, after.temporal), process, children, delta(before.postgres, after.postgres)]
    return {
        "wall_seconds": wall,
        "temporal_server": entry(delta(before.temporal, after.temporal)),
        "workers": entry(workers),
        "api": entry(api),
        "workers_and_api": entry(process - client + children),
        "bench_client": entry(client),
        "postgres": entry(delta(before.postgres, after.postgres)),
        "python_process": entry(process),
        "machine": entry(machine),
        # Whatever else ran meanwhile (another program's load makes every figure here worse), never below 0:
        # the readings come in whole clock ticks.
        "others": entry(max(machine - sum(x for x in ours if x is not None), 0.0)),
    }


# ---- histories -----------------------------------------------------------------------------------------


def count_events(events: Iterable[HistoryEvent]) -> dict[str, int]:
    """What a stretch of history cost:

    - ``workflow_tasks``: WorkflowTaskCompleted events;
    - ``workflow_task_failures``: WorkflowTaskFailed and WorkflowTaskTimedOut events (tasks that were redone);
    - ``activity_tasks``: ActivityTaskScheduled events (one per activity, however often it was attempted);
    - ``activity_retries``: attempts beyond the first, from each ActivityTaskStarted event (which records the
      attempt that ended the activity); local activities' retries are not counted;
    - ``local_activities``: MarkerRecorded events whose marker is the SDK's local-activity marker
      (``core_local_activity``; patch and other markers are not counted);
    - ``updates``: WorkflowExecutionUpdateAccepted events (commands, and the client's long polls);
    - ``waits``: of those, the ``wait_for_status`` updates behind ``?waitFor=`` (the client's long polls);
    - ``signals``: WorkflowExecutionSignaled events;
    - ``events``: every event.
    """
    counts = dict.fromkeys(COUNTS, 0)
    for event in events:
        counts["events"] += 1
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
            counts["workflow_tasks"] += 1
        elif kind in (EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT):
            counts["workflow_task_failures"] += 1
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            counts["activity_tasks"] += 1
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            counts["activity_retries"] += max(event.activity_task_started_event_attributes.attempt - 1, 0)
        elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
            if event.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER:
                counts["local_activities"] += 1
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            counts["updates"] += 1
            name = event.workflow_execution_update_accepted_event_attributes.accepted_request.input.name
            if name == WAIT_UPDATE:
                counts["waits"] += 1
        elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            counts["signals"] += 1
    return counts


def event_time(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime(tzinfo=UTC)


def split_at(events: Iterable[HistoryEvent], at: datetime) -> tuple[list[HistoryEvent], list[HistoryEvent]]:
    """The events recorded before ``at``, and the others."""
    before: list[HistoryEvent] = []
    after: list[HistoryEvent] = []
    for event in events:
        (before if event_time(event) < at else after).append(event)
    return before, after


def within(events: Iterable[HistoryEvent], start: datetime, end: datetime) -> list[HistoryEvent]:
    return [e for e in events if start <= event_time(e) <= end]


def add(*counts: Mapping[str, float]) -> dict[str, float]:
    return {key: sum(c[key] for c in counts) for key in COUNTS}


def scaled(counts: Mapping[str, float], factor: float) -> dict[str, float]:
    return {key: counts[key] * factor for key in COUNTS}


def mean_counts(counts: list[Mapping[str, float]]) -> dict[str, float]:
    return {key: statistics.fmean(c[key] for c in counts) if counts else 0.0 for key in COUNTS}


async def workflow_events(client: Client, workflow_id: str, close_within: float | None = None) -> list[HistoryEvent]:
    """Every event of a workflow ID, its runs continued as new included, oldest first; after waiting at most
    ``close_within`` seconds for it to close (so that its last deliveries are in)."""
    handle = client.get_workflow_handle(workflow_id)
    if close_within:
        with contextlib.suppress(Exception):  # still running, or failed: its history is read as it is
            await asyncio.wait_for(handle.result(), close_within)
    runs: list[list[HistoryEvent]] = []
    while True:
        events = [event async for event in handle.fetch_history_events()]
        runs.append(events)
        previous = events[0].workflow_execution_started_event_attributes.continued_execution_run_id if events else ""
        if not previous:
            break
        handle = client.get_workflow_handle(workflow_id, run_id=previous)
    return [event for run in reversed(runs) for event in run]


def sample(count: int, size: int) -> list[int]:
    """``size`` indices spread evenly over ``range(count)``, first and last included (all when fewer)."""
    if count <= size:
        return list(range(count))
    if size < 2:
        return list(range(size))
    return sorted({round(j * (count - 1) / (size - 1)) for j in range(size)})


# ---- the orders ----------------------------------------------------------------------------------------


@dataclass
class Order:
    basket_id: str  # = the order's ID
    payment_id: str
    bot_id: str
    bot: MallbotsClient
    checkout_at: datetime | None = None
    shopping_id: str = ""
    invoice_id: str = ""
    approved: float = 0.0  # seconds from the checkout's sending to the client's learning it
    approval_recorded: float = 0.0  # … to the approval's time in the saga (the order's updatedAt then)
    completed: float = 0.0


class ClientTally:
    """What the bench client asked: requests and of them long polls (an httpx event hook), commands retried
    after a 503 (with the same Idempotency-Key: the API's advice), long polls answered 503 (asked again), long
    polls answered early without the status (the workflow did not hold the wait; asked again 0.1 s later)."""

    def __init__(self) -> None:
        self.requests = 0
        self.long_polls = 0
        self.retried_commands = 0
        self.timed_out_waits = 0
        self.early_answers = 0

    async def __call__(self, request: httpx.Request) -> None:
        self.requests += 1
        if "waitFor" in request.url.params:
            self.long_polls += 1

    def snapshot(self) -> dict[str, int]:
        names = ("requests", "long_polls", "retried_commands", "timed_out_waits", "early_answers")
        return {name: getattr(self, name) for name in names}


@dataclass
class Mall:
    """The bench's store, product and customer; the customer's client; token mint (None: auth off)."""

    customer: MallbotsClient
    customer_id: str
    product_id: str
    mint: TokenMint | None
    tag: str
    tally: ClientTally


async def open_mall(http: MallbotsClient, mint: TokenMint | None, tally: ClientTally) -> Mall:
    tag = uuid.uuid4().hex[:6]
    owner = http.acting_as(mint(Role.STORE_OWNER, f"bench-owner-{tag}") if mint else None)
    store_id = await owner.create_store(f"Bench store {tag}", "Bench wing")
    await owner.enable_participation(store_id)
    product_id = await owner.add_product(store_id, f"Bench widget {tag}", "9.99", sku=f"BENCH-{tag}")
    customer = http.acting_as(mint(Role.CUSTOMER, f"bench-customer-{tag}") if mint else None)
    customer_id = await customer.register_customer(f"Bench customer {tag}", "+1 555 0199")
    return Mall(customer, customer_id, product_id, mint, tag, tally)


async def command(
    actor: MallbotsClient, tally: ClientTally, method: str, path: str, body: Mapping[str, Any] | None = None
) -> Json:
    """A command as a careful client sends it: with an Idempotency-Key, and again with the same key when the API
    answers 503 (its deadline passed; the command may still take effect, and the key makes the retry the same
    command). Any other refusal fails the bench."""
    key = f"bench-{uuid.uuid4()}"
    for attempt in range(1, COMMAND_ATTEMPTS + 1):
        try:
            return await actor.request(method, path, body, key=key)
        except ApiError as err:
            if err.status != 503 or attempt == COMMAND_ATTEMPTS:
                raise
            tally.retried_commands += 1
    raise AssertionError("unreachable")


async def wait_for(actor: MallbotsClient, tally: ClientTally, order_id: str, status: str) -> Json:
    """The order once it is in ``status``: one long poll (``?waitFor=``), asked again only when it answered
    without getting there (its timeout) or with a 503 (its deadline passed under load). A final status other
    than ``status`` fails the bench."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + JOURNEY_WITHIN
    params = {"waitFor": status, "timeout": f"{LONG_POLL_SECONDS:g}"}
    while True:
        asked = loop.time()
        try:
            order = cast(Json, (await actor.request("GET", f"/api/ordering/{order_id}", params=params))["order"])
        except ApiError as err:
            if err.status != 503:
                raise
            tally.timed_out_waits += 1
        else:
            if order["status"] == status:
                return order
            if order["status"] in FINAL_ORDER_STATUSES:
                raise RuntimeError(f"bench order {order_id} ended {order['status']}: {order.get('reason')}")
            if loop.time() - asked < LONG_POLL_SECONDS / 2:
                # Answered early, not there yet (the workflow did not take the wait): counted, never a busy loop.
                tally.early_answers += 1
                await asyncio.sleep(0.1)
        if loop.time() > deadline:
            raise TimeoutError(f"bench order {order_id} was not {status} within {JOURNEY_WITHIN:g} s")


async def bounded(count: int, concurrency: int, one: Callable[[int], Awaitable[T]]) -> list[T]:
    """``one(i)`` for every i < count, at most ``concurrency`` at once; results in order."""
    semaphore = asyncio.Semaphore(concurrency)

    async def limited(i: int) -> T:
        async with semaphore:
            return await one(i)

    return list(await asyncio.gather(*(limited(i) for i in range(count))))


async def prepare_orders(mall: Mall, count: int, concurrency: int) -> list[Order]:
    """Baskets with an item and payments authorized, untimed; one bot (and its token) per concurrent order."""
    bots = {}
    for slot in range(concurrency):
        bot_id = f"bench-bot-{mall.tag}-{slot}"
        bots[slot] = (bot_id, mall.customer.acting_as(mall.mint(Role.BOT, bot_id) if mall.mint else None))
    customer, tally = mall.customer, mall.tally

    async def prepare(i: int) -> Order:
        payment = {"customerId": mall.customer_id, "amount": 100.0}
        payment_id = str((await command(customer, tally, "POST", "/api/payments", payment))["id"])
        basket = {"customerId": mall.customer_id}
        basket_id = str((await command(customer, tally, "POST", "/api/baskets", basket))["id"])
        item = {"productId": mall.product_id, "quantity": 2}
        await command(customer, tally, "PUT", f"/api/baskets/{basket_id}/addItem", item)
        bot_id, bot = bots[i % concurrency]
        return Order(basket_id, payment_id, bot_id, bot)

    return await bounded(count, concurrency, prepare)


async def journey(mall: Mall, order: Order) -> None:
    """Checkout → approved → (the bot picks the list) → ready → (the customer pays) → completed."""
    customer, bot, tally = mall.customer, order.bot, mall.tally
    order.checkout_at = datetime.now(UTC)
    sent = time.perf_counter()
    await command(customer, tally, "PUT", f"/api/baskets/{order.basket_id}/checkout", {"paymentId": order.payment_id})
    approved = await wait_for(customer, tally, order.basket_id, "approved")
    order.approved = time.perf_counter() - sent
    order.approval_recorded = (datetime.fromisoformat(approved["updatedAt"]) - order.checkout_at).total_seconds()
    order.shopping_id = str(approved["shoppingId"])
    shopping = f"/api/depot/shopping/{order.shopping_id}"
    await command(bot, tally, "PUT", f"{shopping}/assign", {"botId": order.bot_id})
    await command(bot, tally, "PUT", f"{shopping}/complete")
    ready = await wait_for(customer, tally, order.basket_id, "ready")
    order.invoice_id = str(ready["invoiceId"])
    await command(customer, tally, "PUT", f"/api/payments/invoices/{order.invoice_id}/pay")
    await wait_for(customer, tally, order.basket_id, "completed")
    order.completed = time.perf_counter() - sent


async def order_costs(client: Client, mall: Mall, orders: list[Order], window: tuple[datetime, datetime]) -> Json:
    """Tasks per order, from the histories of the sampled orders' own workflows (basket, order, payment,
    shopping list, invoice: each belongs to that one order, and is counted whole: ``prepare`` before its checkout
    was sent, ``checkout_to_completed`` from then on), and the customer's share: its workflow is every order's,
    so the events it recorded during the timed phase, divided by the orders."""
    customer = within(await workflow_events(client, customer_workflow_id(mall.customer_id)), *window)
    customer_share = scaled(count_events(customer), 1 / len(orders))
    chosen = [orders[i] for i in sample(len(orders), HISTORY_SAMPLE)]

    async def costs(order: Order) -> Json:
        assert order.checkout_at is not None
        ids = {
            "basket": basket_workflow_id(order.basket_id),
            "order": order_workflow_id(order.basket_id),
            "payment": payment_workflow_id(order.payment_id),
            "shopping_list": shopping_list_workflow_id(order.shopping_id),
            "invoice": invoice_workflow_id(order.invoice_id),
        }
        by_workflow: dict[str, dict[str, float]] = {}
        prepare: list[dict[str, float]] = []
        checkout: list[dict[str, float]] = [customer_share]
        for name, workflow_id in ids.items():
            events = await workflow_events(client, workflow_id, CLOSE_WITHIN)
            before, after = split_at(events, order.checkout_at)
            prepare.append(dict(count_events(before)))
            checkout.append(dict(count_events(after)))
            by_workflow[name] = add(prepare[-1], checkout[-1])
        by_workflow["customer"] = customer_share
        by_phase = dict(zip(PHASES, (add(*prepare), add(*checkout)), strict=True))
        return {
            "order_id": order.basket_id,
            "total": add(*by_phase.values()),
            "by_workflow": by_workflow,
            "by_phase": by_phase,
        }

    each = [await costs(order) for order in chosen]
    return {
        "sampled_orders": len(each),
        "mean": {
            "total": mean_counts([o["total"] for o in each]),
            "by_workflow": {w: mean_counts([o["by_workflow"][w] for o in each]) for w in ORDER_WORKFLOWS},
            "by_phase": {p: mean_counts([o["by_phase"][p] for o in each]) for p in PHASES},
        },
        "min": {key: min(o["total"][key] for o in each) for key in COUNTS},
        "max": {key: max(o["total"][key] for o in each) for key in COUNTS},
        "orders": each,
    }


async def bench_saga(
    stack: Stack, http: MallbotsClient, tally: ClientTally, orders: int, concurrency: int
) -> tuple[Json, Mall]:
    assert stack.client is not None
    mint = stack.token if stack.issuer is not None else None
    mall = await open_mall(http, mint, tally)
    warmup = await prepare_orders(mall, min(orders, WARMUP_ORDERS), concurrency)
    await bounded(len(warmup), concurrency, lambda i: journey(mall, warmup[i]))

    prepared = await prepare_orders(mall, orders, concurrency)
    await asyncio.sleep(SETTLE_SECONDS)
    client_cpu = ClientCpu()
    meter = CpuMeter(stack, client_cpu)
    idle = meter.read()
    await asyncio.sleep(IDLE_SECONDS)
    here = not stack.children  # the workers and the API run in this process
    idle_cpu = cpu_document(idle, meter.read(), 1, "per_order", system_here=here)
    asked = tally.snapshot()
    started_at, before = datetime.now(UTC), meter.read()
    await bounded(orders, concurrency, lambda i: client_cpu.run(journey(mall, prepared[i])))
    after, ended_at = meter.read(), datetime.now(UTC)
    seconds = after.at - before.at
    asked = {k: v - asked[k] for k, v in tally.snapshot().items()}
    return {
        "orders": orders,
        "seconds": seconds,
        "orders_per_second": orders / seconds,
        "latency_seconds": {
            "checkout_to_approved": summary([o.approved for o in prepared]),
            "checkout_to_completed": summary([o.completed for o in prepared]),
            "checkout_to_approval_recorded": summary([o.approval_recorded for o in prepared]),
        },
        "idle_cores": {p: None if idle_cpu[p] is None else idle_cpu[p]["cores"] for p in IDLE_PROCESSES},
        "client": {
            **asked,
            "requests_per_order": asked["requests"] / orders,
            "long_polls_per_order": asked["long_polls"] / orders,
        },
        "cpu_seconds": cpu_document(before, after, orders, "per_order", system_here=here),
        "tasks_per_order": await order_costs(stack.client, mall, prepared, (started_at, ended_at)),
    }, mall


async def bench_floor(stack: Stack, runs: int, concurrency: int, steps: int = SAGA_ACTIVITIES) -> Json:
    """The same server's floor: ``runs`` workflows of ``steps`` sequential no-op activities, ``concurrency`` at
    once, on a worker of their own in this process (beside the stack's, idle by then); warmed up first."""
    client = stack.client
    assert client is not None
    client_cpu = ClientCpu()
    meter = CpuMeter(stack, client_cpu)
    latencies: list[float] = []
    ids: list[str] = []

    async def one(record: bool) -> None:
        workflow_id = f"bench-floor-{uuid.uuid4()}"
        started = time.perf_counter()
        await client.execute_workflow(FloorWorkflow.run, steps, id=workflow_id, task_queue=FLOOR_QUEUE)
        if record:
            latencies.append(time.perf_counter() - started)
            ids.append(workflow_id)

    async with Worker(client, task_queue=FLOOR_QUEUE, workflows=[FloorWorkflow], activities=[bench_noop]):
        await bounded(min(runs, WARMUP_ORDERS), concurrency, lambda _: one(False))
        before = meter.read()
        await bounded(runs, concurrency, lambda _: client_cpu.run(one(True)))
        after = meter.read()
    seconds = after.at - before.at
    each = [count_events(await workflow_events(client, ids[i])) for i in sample(len(ids), HISTORY_SAMPLE)]
    return {
        "runs": runs,
        "activities_per_run": steps,
        "seconds": seconds,
        "runs_per_second": runs / seconds,
        "latency_seconds": {"run": summary(latencies)},
        "cpu_seconds": cpu_document(before, after, runs, "per_run"),
        "tasks_per_run": {
            "sampled_runs": len(each),
            "mean": mean_counts(list(each)),
            "min": {key: min(c[key] for c in each) for key in COUNTS},
            "max": {key: max(c[key] for c in each) for key in COUNTS},
        },
    }


def _count(stack: Stack, kind: str) -> int:
    """The stack's child processes of ``kind`` (0: it runs them in this process)."""
    return sum(child.kind == kind for child in stack.children)


def rss_bytes(pid: int) -> int:
    """A process's resident set size (``VmRSS`` of ``/proc/<pid>/status``); 0 when it is gone."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def memory_sample(stack: Stack, baskets: int) -> Json:
    workers = [child.pid for child in stack.children if child.kind == "worker"] or [os.getpid()]
    api = [child.pid for child in stack.children if child.kind == "api"] or [os.getpid()]
    return {
        "baskets": baskets,
        "workers_rss_bytes": sum(rss_bytes(pid) for pid in workers),
        "api_rss_bytes": sum(rss_bytes(pid) for pid in api),
    }


async def bench_memory(stack: Stack, mall: Mall, count: int, concurrency: int) -> Json:
    """``count`` baskets opened, ``concurrency`` at a time, and left open; the memory sampled as they open."""
    tenth = max(1, count // 10)
    samples = [memory_sample(stack, 0)]
    opened = 0
    started = time.perf_counter()

    async def one(_: int) -> None:
        nonlocal opened
        await command(mall.customer, mall.tally, "POST", "/api/baskets", {"customerId": mall.customer_id})
        opened += 1
        if opened % tenth == 0 or opened == count:
            samples.append(memory_sample(stack, opened))

    await bounded(count, concurrency, one)
    seconds = time.perf_counter() - started
    first = next(s for s in samples if s["baskets"] >= tenth)["workers_rss_bytes"]
    half = next(s for s in samples if s["baskets"] >= count // 2)["workers_rss_bytes"]
    last = samples[-1]["workers_rss_bytes"]
    return {
        "open_baskets": count,
        "seconds": seconds,
        "baskets_per_second": count / seconds if seconds else 0.0,
        "samples": samples,
        "growth_after_first_tenth": last / first - 1 if first else None,
        # The workers cache the runs they served (the SDK's sticky cache, bounded per worker): memory grows while
        # it fills, then stays; the second half says whether it stays.
        "growth_over_second_half": last / half - 1 if half else None,
    }


async def run_bench(stack: Stack, orders: int, concurrency: int, floor: bool = True, open_baskets: int = 0) -> Json:
    """The whole bench on a running stack (its API, workers and Temporal client): the ``SCHEMA`` document."""
    if orders < 1 or concurrency < 1:
        raise ValueError("orders and concurrency are at least 1")
    token = stack.token() if stack.issuer is not None else None
    tally = ClientTally()
    # Enough pooled connections that no order waits for one or opens a new one: every order has at most one
    # request in flight (a long poll holds its connection while it waits).
    limits = httpx.Limits(max_connections=concurrency + 10, max_keepalive_connections=concurrency + 10)
    load = os.getloadavg()
    async with httpx.AsyncClient(
        base_url=stack.api_url, timeout=120, limits=limits, event_hooks={"request": [tally]}
    ) as raw:
        http = MallbotsClient(stack.api_url, token=token, http=raw)
        run_started = datetime.now(UTC)
        saga, mall = await bench_saga(stack, http, tally, orders, concurrency)
        floor_doc = await bench_floor(stack, orders, concurrency) if floor else None
        memory = await bench_memory(stack, mall, open_baskets, concurrency) if open_baskets else None
    return {
        "schema": SCHEMA,
        "run": {
            "orders": orders,
            "concurrency": concurrency,
            "warmup_orders": min(orders, WARMUP_ORDERS),
            "history_sample": HISTORY_SAMPLE,
            "floor": floor,
            "open_baskets": open_baskets,
            "started_at": run_started.isoformat(),
            "cpus": os.cpu_count(),
            "load_average": list(load),
            "processes": {"workers": _count(stack, "worker"), "api": _count(stack, "api")},
        },
        "saga": saga,
        "floor": floor_doc,
        "ratios": ratios(saga, floor_doc) if floor_doc is not None else None,
        "memory": memory,
    }


# ---- tables --------------------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def _num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def render(doc: Json) -> list[Table]:
    """The document as tables: latency and rate, ratios, tasks per order, CPU per order."""
    run, saga, floor = doc["run"], doc["saga"], doc["floor"]
    title = f"mallbots bench · {run['orders']} orders · concurrency {run['concurrency']}"
    latency = Table(title=title)
    for column in ("what", "count", "orders (runs)/s", "mean ms", "p50 ms", "p90 ms", "p99 ms"):
        latency.add_column(column, justify="left" if column == "what" else "right")
    rows = [
        ("checkout → approved", saga["latency_seconds"]["checkout_to_approved"], None),
        ("  (approval recorded by the saga)", saga["latency_seconds"]["checkout_to_approval_recorded"], None),
        (
            "checkout → completed (bot, payment)",
            saga["latency_seconds"]["checkout_to_completed"],
            saga["orders_per_second"],
        ),
    ]
    if floor is not None:
        rows.append(
            (
                f"floor: {floor['activities_per_run']} no-op activities",
                floor["latency_seconds"]["run"],
                floor["runs_per_second"],
            )
        )
    for name, stats, rate in rows:
        latency.add_row(
            name,
            str(stats["count"]),
            f"{rate:.1f}" if rate is not None else "",
            *(_ms(stats[k]) for k in ("mean", "p50", "p90", "p99")),
        )
    client = saga["client"]
    latency.caption = (
        f"client: {client['requests_per_order']:.1f} requests per order, {client['long_polls_per_order']:.1f} of them "
        f"long polls; {client['timed_out_waits']} long polls answered 503, {client['early_answers']} early, "
        f"{client['retried_commands']} commands retried after a 503"
    )
    tables = [latency]
    if doc["ratios"] is not None:
        ratio = Table(title="saga ÷ floor (same run)")
        for column in ("approved p50", "approved p99", "orders/s ÷ runs/s", "system CPU per order ÷ per run"):
            ratio.add_column(column, justify="right")
        r = doc["ratios"]
        ratio.add_row(
            *(f"{r[k]:.2f}x" if r[k] is not None else "-" for k in ("latency_p50", "latency_p99", "throughput", "cpu"))
        )
        tables.append(ratio)

    tasks = saga["tasks_per_order"]
    cost = Table(title=f"tasks per order (mean of {tasks['sampled_orders']} orders' histories)")
    columns = (
        "workflow",
        "workflow tasks (failed)",
        "activity tasks (retries)",
        "local activities",
        "updates (waits)",
        "signals",
    )
    for column in columns:
        cost.add_column(column, justify="left" if column == "workflow" else "right")

    def cost_row(name: str, c: Mapping[str, float], style: str = "") -> None:
        cells = [
            f"{_num(c['workflow_tasks'])} ({_num(c['workflow_task_failures'])})",
            f"{_num(c['activity_tasks'])} ({_num(c['activity_retries'])})",
            _num(c["local_activities"]),
            f"{_num(c['updates'])} ({_num(c['waits'])})",
            _num(c["signals"]),
        ]
        cost.add_row(name, *cells, style=style)

    for name in ORDER_WORKFLOWS:
        cost_row(name.replace("_", " "), tasks["mean"]["by_workflow"][name])
    cost.add_section()
    cost_row("prepare (basket, item, payment)", tasks["mean"]["by_phase"]["prepare"], "dim")
    cost_row("checkout → completed", tasks["mean"]["by_phase"]["checkout_to_completed"], "dim")
    cost_row("one order", tasks["mean"]["total"], "bold")
    if floor is not None:
        cost.add_section()
        cost_row(f"floor run ({floor['tasks_per_run']['sampled_runs']} sampled)", floor["tasks_per_run"]["mean"])
    tables.append(cost)

    cpu = Table(title="CPU seconds (user + system), timed phase only")
    columns = ("process", "saga: CPU per order", "saga: cores busy", "floor: CPU per run", "floor: cores busy", "idle")
    for column in columns:
        cpu.add_column(column, justify="left" if column == "process" else "right")
    names = {
        "temporal_server": "Temporal server (dev server, child process)",
        "workers": "worker processes",
        "api": "API processes",
        "workers_and_api": "workers + API in all",
        "bench_client": "bench client",
        "postgres": "Postgres (postmaster and backends)",
        "python_process": "the bench's process (client; the floor's worker)",
        "machine": "the machine: every process, the kernel",
        "others": "others (not this stack: another program's load)",
    }
    for key, name in names.items():
        s = saga["cpu_seconds"][key]
        f = floor["cpu_seconds"][key] if floor is not None else None
        cpu.add_row(
            name,
            f"{s['per_order'] * 1000:.1f} ms" if s else "-",
            f"{s['cores']:.2f}" if s else "-",
            f"{f['per_run'] * 1000:.1f} ms" if f else "-",
            f"{f['cores']:.2f}" if f else "-",
            f"{idle:.2f}" if (idle := saga["idle_cores"].get(key)) is not None else "",
        )
    cpu.add_section()
    cpu.add_row(
        "system: Temporal + workers/API + Postgres",
        f"{system_cpu(saga['cpu_seconds'], 'per_order') * 1000:.1f} ms",
        "",
        f"{system_cpu(floor['cpu_seconds'], 'per_run') * 1000:.1f} ms" if floor is not None else "-",
        "",
        "",
        style="bold",
    )
    tables.append(cpu)
    if (memory := doc.get("memory")) is not None:
        rss = Table(title=f"memory while {memory['open_baskets']} baskets are opened and left open")
        for column in ("baskets open", "workers RSS", "API RSS"):
            rss.add_column(column, justify="right")
        for sample_row in memory["samples"]:
            rss.add_row(
                str(sample_row["baskets"]),
                f"{sample_row['workers_rss_bytes'] / 2**20:.0f} MiB",
                f"{sample_row['api_rss_bytes'] / 2**20:.0f} MiB",
            )

        def pct(growth: float | None) -> str:
            return f"{growth * 100:+.1f}%" if growth is not None else "-"

        rss.caption = (
            f"{memory['baskets_per_second']:.0f} baskets/s; the workers' growth after the first tenth "
            f"{pct(memory['growth_after_first_tenth'])}, over the second half {pct(memory['growth_over_second_half'])}"
        )
        tables.append(rss)
    return tables
