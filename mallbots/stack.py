"""The whole system in one process: what ``mallbots up`` runs and what the tests start.

It provisions: anything not given (Temporal address, database URLs) is started locally on free loopback
ports (``mallbots.devstack``) and migrated; then ``mallbots.bootstrap`` wires the workers and the API,
which this runs until stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from temporalio.client import Client
from temporalio.worker import Worker

from mallbots import bootstrap, migrate
from mallbots.bootstrap import Overrides
from mallbots.db import Databases
from mallbots.devstack.ports import free_port, port_is_free
from mallbots.devstack.postgres import LocalPostgres
from mallbots.devstack.temporal import LocalTemporal
from mallbots.settings import SERVICES, Settings
from mallbots.telemetry import tracer_provider

log = logging.getLogger(__name__)

# How long a stop waits for the workers. A workflow task whose local activity keeps retrying (its database
# is down) never completes, and the SDK's shutdown waits for it; after this the workers are abandoned
# (their work is not lost: the server hands the task to the next worker once it times out).
WORKER_STOP_GRACE_SECONDS = 10.0


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


class _ApiServer(uvicorn.Server):
    """Uvicorn without its own Ctrl-C handling: the stack's owner stops the API together with the workers
    and servers, in order (uvicorn alone would stop only the API, e.g. under a seeding client)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Stack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.settings = options.settings
        self.postgres: LocalPostgres | None = None
        self.temporal: LocalTemporal | None = None
        self.client: Client | None = None
        self.databases: Databases | None = None
        self.database_urls: dict[str, str] = {}
        self.workers: list[Worker] = []
        self._worker_tasks: list[asyncio.Task[None]] = []
        self._server: _ApiServer | None = None
        self._server_task: asyncio.Task[None] | None = None
        self.api_url = ""
        self.tracer_provider: TracerProvider | None = None

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

    async def start(self) -> None:
        data_dir = self.settings.data_dir.resolve()
        if self.settings.database_url is None and any(
            getattr(self.settings, f"{s}_database_url") is None for s in SERVICES
        ):
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
            data_dir.mkdir(parents=True, exist_ok=True)
            self.temporal.start()
        await asyncio.to_thread(migrate.upgrade_all, self.database_urls)
        if self.settings.otlp_endpoint:
            self.tracer_provider = tracer_provider(self.settings.otlp_endpoint)
        self.client = await bootstrap.connect_temporal(self.settings, self.temporal_address, self.tracer_provider)
        self.databases = Databases(self.database_urls)
        wiring = bootstrap.bootstrap(
            self.settings,
            self.client,
            self.databases,
            self.options.services,
            workers=self.options.run_workers,
            api=self.options.run_api,
            overrides=self.options.overrides,
            tracer=self.tracer_provider,
        )
        self.workers = wiring.workers
        self._worker_tasks = [asyncio.create_task(w.run()) for w in self.workers]
        if wiring.app is not None:
            await self._serve(wiring.app)

    async def _serve(self, app: FastAPI) -> None:
        port = self.options.api_port if self.options.api_port is not None else self.settings.api_port
        port = port or free_port()
        config = uvicorn.Config(
            app, host=self.settings.api_host, port=port, log_level="warning", lifespan="off", access_log=False
        )
        self._server = _ApiServer(config)
        self._server_task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._server_task.done():
                self._server_task.result()
                raise RuntimeError(f"the API did not start on port {port}")
            await asyncio.sleep(0.02)
        self.api_url = f"http://{self.settings.api_host}:{port}"

    async def stop(self) -> None:
        if self._server is not None and self._server_task is not None:
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await self._server_task
        if self.workers:
            await self._stop_workers()
        if self.databases is not None:
            await self.databases.dispose()
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()  # flushes what is still buffered
        if self.temporal is not None:
            await asyncio.to_thread(self.temporal.stop)
        if self.postgres is not None:
            if self.options.persistent:
                await asyncio.to_thread(self.postgres.stop)
            else:
                await asyncio.to_thread(self.postgres.destroy)

    async def _stop_workers(self) -> None:
        stopping = asyncio.gather(*(w.shutdown() for w in self.workers), *self._worker_tasks, return_exceptions=True)
        try:
            await asyncio.wait_for(asyncio.shield(stopping), WORKER_STOP_GRACE_SECONDS)
        except TimeoutError:
            log.warning(
                "the workers did not stop within %.0f s (a step still retrying against an unavailable database?); "
                "stopping without them",
                WORKER_STOP_GRACE_SECONDS,
            )
            for task in self._worker_tasks:
                task.cancel()
            await asyncio.wait([stopping], timeout=1.0)
        self.workers = []
        self._worker_tasks = []


def _preferred_port(port: int, persistent: bool) -> int:
    """The configured port when it is free (stable URLs for people); otherwise 0, meaning any free port."""
    return port if persistent and port_is_free(port) else 0


def ephemeral_options(data_dir: Path, **kwargs: object) -> StackOptions:
    """A throw-away stack on free ports (tests, benchmarks)."""
    settings = Settings(data_dir=data_dir, temporal_address=None, database_url=None)
    return StackOptions(settings=settings, persistent=False, ui=False, api_port=0, **kwargs)  # type: ignore[arg-type]
