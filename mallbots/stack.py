"""The whole system in one process: what ``mallbots up`` runs and what the tests start.

It provisions: anything not given (Temporal address, database URLs) is started locally on free loopback
ports (``mallbots.devstack``) and migrated; then ``mallbots.bootstrap`` wires the workers and the API,
which this runs until stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from temporalio.client import Client
from temporalio.worker import Worker

from api.auth import Role, TokenVerifier
from api.codec import CodecServer
from mallbots import bootstrap, codec, identity, migrate, versioning
from mallbots.bootstrap import Overrides
from mallbots.db import Databases
from mallbots.devstack.lifetime import EXIT_DEADLINE_SECONDS
from mallbots.devstack.ports import port_is_free, reserved_socket
from mallbots.devstack.postgres import STOP_GRACE_SECONDS as POSTGRES_STOP_GRACE_SECONDS
from mallbots.devstack.postgres import LocalPostgres
from mallbots.devstack.temporal import STOP_GRACE_SECONDS as TEMPORAL_STOP_GRACE_SECONDS
from mallbots.devstack.temporal import LocalTemporal
from mallbots.metrics import MetricsServer
from mallbots.processes import Child, ProcessLayout, Resolved, start_children, stop_children, wait_until_ready
from mallbots.settings import SERVICES, Settings
from mallbots.telemetry import tracer_provider
from mallbots.transport import DatabaseTls, stack_transport

log = logging.getLogger(__name__)

# A stop is bounded step by step, whatever the workers are doing; what does not finish in its time is
# abandoned, and one log line says what and why. At worst: the API 1.5 + 0.5 s, the workers 3.5 + 0.5 s, the
# database engines 1 s, then Temporal (4 + 1 s), Postgres (5 + 1 s) and the trace flush (1 s) in parallel:
# 13 s, under the 14 s after which `mallbots up` ends the process anyway (devstack.lifetime.exit_after).
#
# In-flight requests get this long to answer, then are cancelled (a command waiting for a jammed projection
# would hold the API, and with it the stop, for ever).
API_STOP_GRACE_SECONDS = 1.5
# A workflow task whose local activity keeps retrying (its database is down) never completes, and the SDK's
# shutdown waits for it, as for an activity that ignores its cancellation; after this the workers are
# abandoned (their work is not lost: the server hands the task to the next worker once it times out).
WORKER_STOP_GRACE_SECONDS = 3.5
# Closing the pooled connections (a hung server may not answer).
DISPOSE_GRACE_SECONDS = 1.0
# How long the API keeps an idle connection open. Longer than any client's or proxy's idle expiry (httpx: 5 s, as
# uvicorn's own default; load balancers: up to 60 s), so it is never the server that closes a connection just as a
# client sends its next request on it (the client would read a reset: httpx.ReadError, a 502 behind a proxy).
KEEP_ALIVE_SECONDS = 75
# Flushing buffered spans to a collector that may not answer.
TRACES_FLUSH_SECONDS = 1.0
# With a process layout the API and worker processes stop at once, each in its own bounded steps above (the
# workers' 3.5 + 0.5 s and their engines' 1 s take longest); then they are killed. 6 s + Temporal and
# Postgres's 6.5 s stays within the 14 s.
CHILDREN_STOP_GRACE_SECONDS = 6.0


@dataclass
class StackOptions:
    settings: Settings = field(default_factory=Settings)
    persistent: bool = True  # keep Temporal and Postgres state under settings.data_dir
    ui: bool = True
    run_workers: bool = True
    run_api: bool = True
    api_port: int | None = None  # None = settings.api_port; 0 = a free port
    services: Sequence[str] = SERVICES
    overrides: Overrides = field(default_factory=Overrides)
    # None: the workers and the API run in this process (the tests, which override what they run). A layout:
    # they run as child processes, this one provisions and supervises (``mallbots.processes``).
    processes: ProcessLayout | None = None
    migrate: bool = True  # False: the schemas are at head already (a child of a stack that migrated them)
    api_socket_fd: int | None = None  # serve on this inherited listening socket (an API child process)


class _ApiServer(uvicorn.Server):
    """Uvicorn without its own Ctrl-C handling: the stack's owner stops the API together with the workers
    and servers, in order (uvicorn alone would stop only the API, e.g. under a seeding client)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Stack:
    stopping: str = ""  # the step a stop is in, for whoever has to say why it takes long
    abandoned: tuple[str, ...] = ()  # what the stops had to abandon or kill

    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.settings = options.settings
        self.postgres: LocalPostgres | None = None
        self.temporal: LocalTemporal | None = None
        self.client: Client | None = None
        self.databases: Databases | None = None
        self.database_urls: dict[str, str] = {}
        self.database_tls: DatabaseTls | None = None  # libpq's TLS parameters for every engine and migration
        self.workers: list[Worker] = []
        self._worker_tasks: list[asyncio.Task[None]] = []
        self._server: _ApiServer | None = None
        self._server_task: asyncio.Task[None] | None = None
        self.api_url = ""
        self.tracer_provider: TracerProvider | None = None
        self.metrics_server: MetricsServer | None = None  # the workers' metrics (MALLBOTS_METRICS_ADDRESS)
        self.payload_keys: list[codec.PayloadKey] | None = None  # None: encryption off (on purpose)
        self.codec_token: str | None = None  # None: no codec endpoint
        self.codec_cors_origins: list[str] = []
        self.issuer: identity.LocalIssuer | None = None  # the local token issuer, when no OIDC one is configured
        self.verifier: TokenVerifier | None = None  # None: authentication off (on purpose)
        self._api_port = 0
        self._api_socket: socket.socket | None = None
        self.children: list[Child] = []  # with a process layout: the API and worker processes

    @property
    def embedded(self) -> bool:
        """Whether this stack runs its own Temporal (the dev stack) rather than joining a deployment's."""
        return self.settings.temporal_address is None

    @property
    def codec_url(self) -> str:
        """The codec endpoint (``<url>/decode``, ``<url>/encode``, bearer token), empty when none is served."""
        return f"{self.api_url}/codec" if self.api_url and self.codec_token and self.payload_keys else ""

    @property
    def temporal_address(self) -> str:
        if self.temporal is not None:
            return self.temporal.address
        assert self.settings.temporal_address
        return self.settings.temporal_address

    async def __aenter__(self) -> Stack:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _resolve_privacy(self, data_dir: Path) -> None:
        """Keys and codec token first, before any server starts: a deployment without a key refuses to start.
        The embedded dev stack keeps its own in its data directory (a restart reads the old histories); an
        ephemeral one makes random ones."""
        persistent, ephemeral = self.embedded and self.options.persistent, self.embedded and not self.options.persistent
        self.payload_keys = codec.payload_keys(
            self.settings, dev_keys=data_dir / codec.DEV_KEYS_FILE if persistent else None, ephemeral=ephemeral
        )
        if self.options.run_api and self.payload_keys is not None:
            self.codec_token = codec.codec_token(
                self.settings, dev_token=data_dir / codec.DEV_TOKEN_FILE if persistent else None, ephemeral=ephemeral
            )
        if self.options.run_api:
            self.issuer = identity.local_issuer(
                self.settings,
                dev_key=data_dir / identity.DEV_SIGNING_KEY_FILE if persistent else None,
                ephemeral=ephemeral,
            )
            self.verifier = identity.token_verifier(self.settings, self.issuer)

    def token(self, role: Role = Role.OPERATOR, subject: str | None = None) -> str:
        """A token of this stack's local issuer (tests, the bench, the seed); raises when the API trusts an
        OIDC issuer (its tokens come from there) or authentication is off."""
        if self.issuer is None:
            raise RuntimeError("this stack has no local token issuer (an OIDC issuer is configured, or auth is off)")
        return self.issuer.mint(subject or default_subject(role), [role])

    def _browser_host(self) -> str:
        host = self.settings.api_host
        return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host

    @property
    def _starts_postgres(self) -> bool:
        """Whether some service has no database URL, so that this stack starts a Postgres of its own."""
        return self.settings.database_url is None and any(
            getattr(self.settings, f"{s}_database_url") is None for s in SERVICES
        )

    async def start(self) -> None:
        data_dir = self.settings.data_dir.resolve()
        self._resolve_privacy(data_dir)
        # TLS files read and checked before any server starts: a bad one stops the start, naming its setting.
        _, self.database_tls = stack_transport(
            self.settings, embedded_temporal=self.embedded, embedded_postgres=self._starts_postgres
        )
        if self.options.run_api and self.options.api_socket_fd is not None:
            self._api_socket = socket.socket(fileno=self.options.api_socket_fd)
            self._api_port = int(self._api_socket.getsockname()[1])
        elif self.options.run_api:
            # Chosen now: the dev server's UI is told where the codec endpoint will be before the API serves.
            port = self.options.api_port if self.options.api_port is not None else self.settings.api_port
            if port and self.options.processes is not None:
                self._api_socket = listening_socket(self.settings.api_host, port)  # the API children's
                self._api_port = port
            elif port:
                self._api_port = port
            else:
                # Held, bound, until the API serves on it: Temporal and Postgres, started in between, pick
                # free ports of their own and must not be handed this one.
                self._api_socket = reserved_socket(self.settings.api_host)
                self._api_port = int(self._api_socket.getsockname()[1])
        if self._starts_postgres:
            self.postgres = LocalPostgres(data_dir / "postgres", ephemeral=not self.options.persistent)
            # Started from this (the main) thread on purpose: the servers are told to die with it.
            shared_url = self.postgres.start()
            self.settings = self.settings.model_copy(update={"database_url": shared_url})
        self.database_urls = {s: self.settings.database_url_for(s) for s in SERVICES}
        if self.settings.temporal_address is None:
            self.temporal = LocalTemporal(
                db_file=data_dir / "temporal.db" if self.options.persistent else None,
                ui=self.options.ui,
                port=_preferred_port(self.settings.temporal_port, self.options.persistent),
                ui_port=_preferred_port(self.settings.temporal_ui_port, self.options.persistent),
                log_file=data_dir / "temporal.log",
            )
            if self.codec_token and self.payload_keys:
                self.temporal.ui_codec_endpoint = (
                    f"http://{self._browser_host()}:{self._api_port}/codec/{self.codec_token}"
                )
            data_dir.mkdir(parents=True, exist_ok=True)
            self.temporal.start()
        self.codec_cors_origins = self.settings.cors_origins() or self._dev_ui_origins()
        if self.options.migrate:
            await asyncio.to_thread(migrate.upgrade_all, self.database_urls, self.database_tls)
        if self.settings.otlp_endpoint:
            self.tracer_provider = tracer_provider(self.settings.otlp_endpoint)
        # With child processes, this one runs no worker: its client serves no SDK metrics, so that the first worker
        # process can serve them on the configured port (mallbots.processes.numbered_address).
        own = (
            self.settings
            if self.options.processes is None
            else self.settings.model_copy(update={"temporal_metrics_address": None})
        )
        self.client = await bootstrap.connect_temporal(
            own, self.temporal_address, self.tracer_provider, keys=self.payload_keys
        )
        if self.options.processes is not None:
            await self._start_children(self.options.processes, data_dir)
            return
        self.databases = Databases(self.database_urls, tls=self.database_tls, tracer=self.tracer_provider)
        wiring = bootstrap.bootstrap(
            self.settings,
            self.client,
            self.databases,
            self.options.services,
            workers=self.options.run_workers,
            api=self.options.run_api,
            overrides=self.options.overrides,
            tracer=self.tracer_provider,
            codec_server=self._codec_server(self.client),
            verifier=self.verifier,
        )
        self.workers = wiring.workers
        if self.workers and self.settings.metrics_address:
            self.metrics_server = MetricsServer.start(self.settings.metrics_address)
        self._worker_tasks = [asyncio.create_task(w.run()) for w in self.workers]
        # Versioned workers get no task until their build is current: the stack's own build, when nothing else
        # decides (mallbots.versioning.activate).
        await versioning.activate(self.client, self.settings, self.workers, embedded=self.embedded)
        if wiring.app is not None:
            await self._serve(wiring.app)

    async def _start_children(self, layout: ProcessLayout, data_dir: Path) -> None:
        """The API and the workers as processes of their own, joining what this stack provisioned."""
        resolved = Resolved(
            temporal_address=self.temporal_address,
            database_urls=self.database_urls,
            payload_keys=codec.format_keys(self.payload_keys) if self.payload_keys is not None else None,
            codec_token=self.codec_token,
            codec_cors_origins=self.codec_cors_origins,
            signing_key_file=self._signing_key_file(data_dir),
        )
        if not self.options.run_api:
            layout = ProcessLayout(workers=layout.workers, api=0)
        if not self.options.run_workers:
            raise ValueError("a process layout runs workers: use run_workers=True, or no layout")
        settings = self.settings
        if settings.worker_versioning and settings.build_id is None:
            # One build ID for every worker process, decided here (each would otherwise hash the code it loaded).
            settings = settings.model_copy(update={"build_id": versioning.this_version(settings).build_id})
        self.stopping = "starting the API and worker processes"
        self.children = start_children(layout, settings, resolved, self._api_socket, self.options.services)
        await wait_until_ready(self.children)
        if settings.worker_versioning and self.embedded and self.client is not None:
            # Each worker process joins this Temporal as a deployment's would, and makes its build current only on a
            # first install; the stack that owns the Temporal runs one build, so it makes it current (a restart on
            # changed code included).
            queues = versioning.service_queues(self.options.services)
            await versioning.activate_version(self.client, versioning.this_version(settings), queues, embedded=True)
        if self._api_socket is not None:
            self._api_socket.close()  # the children hold it; this process serves nothing
            self._api_socket = None
            self.api_url = f"http://{self.settings.api_host}:{self._api_port}"
        self.stopping = ""

    def _signing_key_file(self, data_dir: Path) -> Path | None:
        """Where the API children read the local issuer's key: the configured file, the dev stack's, or (a
        throw-away stack's key lives only in memory) a file only we read, in the stack's own temporary folder."""
        if self.issuer is None:
            return None
        if self.settings.auth_signing_key_file is not None:
            return self.settings.auth_signing_key_file
        path = data_dir / identity.DEV_SIGNING_KEY_FILE
        if not self.options.persistent:
            path = data_dir / "ephemeral-signing-key.pem"
            path.unlink(missing_ok=True)
            codec.create_secret_file(path, self.issuer.pem())
        return path

    def _dev_ui_origins(self) -> list[str]:
        """The dev stack's UI origin: where the browser that calls the codec endpoint loaded the UI from."""
        port = (
            self.temporal.ui_port if self.temporal is not None and self.options.ui else self.settings.temporal_ui_port
        )
        return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]

    def _codec_server(self, client: Client) -> CodecServer | None:
        payload_codec = client.data_converter.payload_codec
        if not self.options.run_api or payload_codec is None or not self.codec_token:
            return None
        return CodecServer(payload_codec, self.codec_token, self.codec_cors_origins)

    async def _serve(self, app: FastAPI) -> None:
        port = self._api_port
        config = uvicorn.Config(
            app,
            host=self.settings.api_host,
            port=port,
            log_level="warning",
            lifespan="off",
            access_log=False,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
        self._server = _ApiServer(config)
        sockets, self._api_socket = ([self._api_socket] if self._api_socket else None), None
        self._server_task = asyncio.create_task(self._server.serve(sockets=sockets))
        while not self._server.started:
            if self._server_task.done():
                self._server_task.result()
                raise RuntimeError(f"the API did not start on port {port}")
            await asyncio.sleep(0.02)
        self.api_url = f"http://{self.settings.api_host}:{port}"

    async def stop(self) -> None:
        """Stops the API, the workers, the engines, then Temporal and Postgres, each in bounded time."""
        started = time.monotonic()
        abandoned: list[str] = []
        if self._api_socket is not None:  # reserved but never served (the start failed before the API)
            self._api_socket.close()
            self._api_socket = None
        if self.children:
            self.stopping = "stopping the API and worker processes"
            children, self.children = self.children, []
            grace = CHILDREN_STOP_GRACE_SECONDS + worker_stop_seconds(self.settings) - WORKER_STOP_GRACE_SECONDS
            abandoned += await stop_children(children, grace)
        if self._server is not None and self._server_task is not None:
            self.stopping = "stopping the API"
            abandoned += await self._stop_api(self._server, self._server_task)
            self._server = self._server_task = None
        if self.workers:
            self.stopping = "waiting for the workers to stop"
            abandoned += await self._stop_workers()
        if self.databases is not None:
            self.stopping = "closing the database connections"
            if not await _finished(asyncio.ensure_future(self.databases.dispose()), DISPOSE_GRACE_SECONDS, cancel=True):
                abandoned.append(f"the database connections (not closed within {DISPOSE_GRACE_SECONDS:.0f} s)")
        self.stopping = "stopping Temporal and Postgres"
        steps: list[tuple[str, Callable[[], str | None], float]] = []
        if self.metrics_server is not None:
            server, self.metrics_server = self.metrics_server, None
            steps.append(("the metrics endpoint", server.stop, 1.5))
        if self.tracer_provider is not None:
            provider, self.tracer_provider = self.tracer_provider, None
            steps.append(("the buffered traces", _flush_traces(provider), TRACES_FLUSH_SECONDS))
        if self.temporal is not None:
            steps.append(("Temporal", self.temporal.stop, TEMPORAL_STOP_GRACE_SECONDS + 1.5))
        if self.postgres is not None:
            stop_postgres = self.postgres.stop if self.options.persistent else self.postgres.destroy
            steps.append(("Postgres", stop_postgres, POSTGRES_STOP_GRACE_SECONDS + 1.5))
        outcomes = await asyncio.gather(*(_in_daemon_thread(step, within) for _, step, within in steps))
        for (what, _, within), (returned, forced) in zip(steps, outcomes, strict=True):
            if not returned:
                abandoned.append(f"{what} (its stop did not return within {within:.0f} s)")
            elif forced:
                abandoned.append(forced)
        self.stopping = "exiting"
        self.abandoned = (*self.abandoned, *abandoned)
        if abandoned:
            log.warning("stopped in %.1f s, abandoning: %s", time.monotonic() - started, "; ".join(abandoned))
        else:
            log.info("stopped in %.1f s", time.monotonic() - started)

    async def _stop_api(self, server: _ApiServer, serving: asyncio.Task[None]) -> list[str]:
        server.should_exit = True
        if await _finished(serving, API_STOP_GRACE_SECONDS):
            return []
        in_flight = list(server.server_state.tasks)
        server.force_exit = True  # uvicorn stops waiting for the connections
        with _quiet_cancelled_requests():
            for request in in_flight:
                request.cancel()
            if in_flight:
                await asyncio.wait(in_flight, timeout=0.3)
            if not await _finished(serving, 0.2, cancel=True):
                return [f"the API (its server did not stop within {API_STOP_GRACE_SECONDS + 0.5:.0f} s)"]
        return [f"{len(in_flight)} request(s) in flight (cancelled after {API_STOP_GRACE_SECONDS:.1f} s)"]

    async def _stop_workers(self) -> list[str]:
        workers, tasks = self.workers, self._worker_tasks
        self.workers, self._worker_tasks = [], []
        stopping = asyncio.gather(*(w.shutdown() for w in workers), *tasks, return_exceptions=True)
        within = worker_stop_seconds(self.settings)
        if await _finished(stopping, within):
            return []
        busy = sorted(w.task_queue for w, task in zip(workers, tasks, strict=True) if not task.done())
        for task in tasks:
            task.cancel()
        await _finished(stopping, 0.5)
        return [
            f"the workers of {', '.join(busy) or 'every queue'} (still busy {within:.1f} s into "
            "their shutdown: a task that does not end, e.g. retrying against an unreachable database or Temporal, "
            "or ignoring its cancellation; the server hands it to the next worker)"
        ]


async def _finished(awaitable: asyncio.Future[Any], within: float, cancel: bool = False) -> bool:
    """Whether it finished within ``within`` seconds. Never waits longer: unlike ``wait_for``, not even for
    a cancellation (``cancel``) that the awaited code ignores."""
    done, _ = await asyncio.wait({awaitable}, timeout=within)
    if done:
        with contextlib.suppress(BaseException):
            awaitable.result()  # retrieved, never raised: a stop goes on whatever a step failed with
        return True
    if cancel:
        awaitable.cancel()
    return False


async def _in_daemon_thread(step: Callable[[], str | None], within: float) -> tuple[bool, str | None]:
    """Runs a blocking step in a daemon thread: (whether it returned within ``within`` seconds, what it
    returned). One that never returns is left behind, and cannot hold up the process's exit as an executor
    thread (``asyncio.to_thread``) would."""
    loop = asyncio.get_running_loop()
    outcome: asyncio.Future[str | None] = loop.create_future()

    def settle(result: str | None, error: BaseException | None) -> None:
        if outcome.done():
            return
        if error is not None:
            outcome.set_exception(error)
        else:
            outcome.set_result(result)

    def run() -> None:
        result, error = None, None
        try:
            result = step()
        except BaseException as exc:  # reported to the stop, which goes on
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name=f"stop-{getattr(step, '__name__', 'step')}", daemon=True).start()
    done, _ = await asyncio.wait({outcome}, timeout=within)
    if not done:
        return False, None
    if outcome.exception() is not None:
        log.warning("a stop step failed", exc_info=outcome.exception())
        return True, None
    return True, outcome.result()


class _DropCancelled(logging.Filter):
    """Drops the error reports of a request failing with the cancellation this stop sent it (or what the SDK
    turned it into): the stop says in its own line that it cancelled them."""

    def filter(self, record: logging.LogRecord) -> bool:
        err = record.exc_info[1] if record.exc_info else None
        seen: set[int] = set()
        while err is not None and id(err) not in seen:
            if isinstance(err, asyncio.CancelledError):
                return False
            seen.add(id(err))
            err = err.__cause__ or err.__context__
        return True


@contextlib.contextmanager
def _quiet_cancelled_requests() -> Iterator[None]:
    handlers = {*logging.getLogger().handlers, *logging.getLogger("uvicorn").handlers}
    handlers |= set(logging.getLogger("uvicorn.error").handlers)
    drop = _DropCancelled()
    for handler in handlers:
        handler.addFilter(drop)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(drop)


def _flush_traces(provider: TracerProvider) -> Callable[[], str | None]:
    def flush() -> str | None:
        provider.shutdown()  # flushes what is still buffered
        return None

    return flush


def worker_stop_seconds(settings: Settings) -> float:
    """How long a stop waits for the workers: ``WORKER_STOP_GRACE_SECONDS``, or longer when running activities are
    given a graceful shutdown (``MALLBOTS_WORKER_SHUTDOWN_GRACE``: a rollout scaling an old build down lets them
    finish), plus a moment for the SDK to cancel what is left once it is over."""
    return max(WORKER_STOP_GRACE_SECONDS, settings.worker_shutdown_grace.total_seconds() + 0.5)


def stop_deadline_seconds(settings: Settings) -> float:
    """From a stop signal, the process's hard deadline: ``EXIT_DEADLINE_SECONDS``, plus whatever the workers'
    graceful shutdown adds to their stop."""
    return EXIT_DEADLINE_SECONDS + worker_stop_seconds(settings) - WORKER_STOP_GRACE_SECONDS


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``port`` and listening, for the API processes to inherit and accept on."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _preferred_port(port: int, persistent: bool) -> int:
    """The configured port when it is free (stable URLs for people); otherwise 0, meaning any free port."""
    return port if persistent and port_is_free(port) else 0


def default_subject(role: Role) -> str:
    """Whom ``Stack.token`` stands for when no subject is given ("operator-1")."""
    return f"{role}-1"


def ephemeral_options(data_dir: Path, **kwargs: object) -> StackOptions:
    """A throw-away stack on free ports (tests, benchmarks)."""
    settings = Settings(data_dir=data_dir, temporal_address=None, database_url=None)
    return StackOptions(settings=settings, persistent=False, ui=False, api_port=0, **kwargs)  # type: ignore[arg-type]
