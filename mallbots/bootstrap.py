"""The composition root: settings + a Temporal client + databases (+ overrides) → workers and the API app.

Wiring only: nothing here starts a server. ``mallbots.stack`` provisions what is missing (the embedded
dev stack), migrates, and then calls these; tests call them with their own overrides.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from activities.notifications.gateway import RecordingGateway, SmsGateway
from activities.shared.poison import DeadLetters, ParkPoisonEvents, dead_letters_of
from activities.shared.projection_lag import MeasureProjectionLag
from api.app import create_app
from api.auth import TokenVerifier
from api.codec import CodecServer
from api.deps import ApiContext, EntitySettings
from mallbots import versioning
from mallbots.codec import EncryptionCodec, PayloadKey
from mallbots.db import Databases
from mallbots.metrics import initialize_worker_series, initialize_workflow_series, sdk_runtime
from mallbots.services import DEFINITIONS, ServiceResources, activity_methods
from mallbots.settings import Settings
from mallbots.telemetry import instrument_app, tracing_interceptor
from mallbots.temporal_client import connect
from mallbots.transport import temporal_transport

# Workers run workflows outside the SDK's sandbox by default. The sandbox's guard is its restricted modules: a
# workflow's `time.time()`, `random` or `datetime.now()` fails its task. That guard only holds if the workflow
# modules are re-imported inside the sandbox for every run, which is what the SDK's default sandbox does and
# what costs the most; with every module passed through (how the workers ran before) those calls went through
# unchecked, and the sandbox still cost a quarter of the workers' CPU per order (measured with `mallbots bench`).
# So the guard lives where it is cheap and complete: the workflow tests and the golden-history replays run every
# workflow in the SDK's default sandbox (tests/workflows/fakes.py, tests/replay), and MALLBOTS_WORKFLOW_SANDBOX=true
# gives a worker the same, at its price.
SANDBOXED = SandboxedWorkflowRunner()
UNSANDBOXED = UnsandboxedWorkflowRunner()


@dataclass(frozen=True)
class Overrides:
    """What a test (or another deployment) replaces in the default wiring."""

    activities: Mapping[str, Sequence[object]] = field(default_factory=dict)  # service → activity objects
    sms_gateway: SmsGateway | None = None  # default: record each message in the notifications schema


def data_converter(keys: Sequence[PayloadKey] | None) -> DataConverter:
    """The one data converter of every client and worker (the API's, the workers', the CLI tools', the bench's):
    the pydantic converter (Decimal, datetime and models round-trip) whose every payload is encrypted with
    ``keys`` (``mallbots.codec``). Failures carry their message and stack trace in an encoded (so encrypted)
    attribute too: a message may quote what a payload held. ``keys`` None = in clear (encryption turned off)."""
    if keys is None:
        return pydantic_data_converter
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


async def connect_temporal(
    settings: Settings,
    address: str,
    tracer: TracerProvider | None = None,
    *,
    keys: Sequence[PayloadKey] | None,
) -> Client:
    """The one client of a process (workers and API share it), with tracing and SDK metrics as configured, and
    the payload keys (``mallbots.codec.payload_keys``; None only when encryption is off on purpose), and TLS and the
    API key as the settings say (``mallbots.transport``). The dev server opens its port a moment before it serves,
    so a refused first connection is retried."""
    interceptors: list[Interceptor] = [tracing_interceptor(tracer)] if tracer is not None else []
    runtime = sdk_runtime(settings.temporal_metrics_address) if settings.temporal_metrics_address else None
    converter = data_converter(keys)
    transport = temporal_transport(settings)
    attempts = 100
    for attempt in range(attempts):
        try:
            return await connect(address, settings.temporal_namespace, converter, interceptors, runtime, transport)
        except RuntimeError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(0.1)
    raise AssertionError("unreachable")


def build_workers(
    settings: Settings,
    client: Client,
    databases: Databases,
    services: Iterable[str],
    overrides: Overrides = Overrides(),
) -> list[Worker]:
    """One worker per service task queue (a service with neither workflows nor activities gets none).

    Each parks the poison events of its projections in its service's ``dead_letters`` (see
    ``activities.shared.poison``), so one event no projection can apply never jams its entity, and measures
    how far behind its read models are (``activities.shared.projection_lag``: inside the parking, so a parked
    event is not measured as applied)."""
    gateway = overrides.sms_gateway or RecordingGateway(databases.sessions("notifications"))
    services = list(services)
    initialize_workflow_series(client, services)
    workers = []
    for name in services:
        definition = DEFINITIONS[name]
        objects = overrides.activities.get(name)
        if objects is None:
            resources = ServiceResources(sessions=databases.sessions(name), client=client, gateway=gateway)
            objects = definition.activity_objects(resources)
        activities = activity_methods(objects)
        if not activities and not definition.workflows:
            continue
        dead_letters = DeadLetters(name, databases.sessions(name), dead_letters_of(name))
        initialize_worker_series(name)
        workers.append(
            Worker(
                client,
                task_queue=definition.task_queue,
                workflows=list(definition.workflows),
                activities=activities,
                max_concurrent_activities=200,
                max_concurrent_workflow_tasks=200,
                max_cached_workflows=settings.workflow_cache,
                workflow_runner=SANDBOXED if settings.workflow_sandbox else UNSANDBOXED,
                interceptors=[ParkPoisonEvents(dead_letters), MeasureProjectionLag(name)],
                deployment_config=versioning.deployment_config(settings),  # None = unversioned (mallbots.versioning)
                graceful_shutdown_timeout=settings.worker_shutdown_grace,
            )
        )
    return workers


def build_app(
    settings: Settings,
    client: Client,
    databases: Databases,
    services: Iterable[str],
    tracer: TracerProvider | None = None,
    codec_server: CodecServer | None = None,
    *,
    verifier: TokenVerifier | None,
) -> FastAPI:
    """The REST API of ``services``, reading each service's read model, commanding through ``client``; with
    ``codec_server``, also the codec endpoint the Temporal UI decodes payloads through (``api.codec``);
    bearer tokens checked with ``verifier`` (``mallbots.identity.token_verifier``; None = authentication off)."""
    context = ApiContext(
        client=client,
        sessions=databases.sessions,
        verifier=verifier,
        metrics_public=settings.metrics_public,
        entities=EntitySettings(
            basket_ttl_seconds=settings.basket_ttl.total_seconds(),
            payment_ttl_seconds=settings.payment_ttl.total_seconds(),
            continue_as_new_after=settings.continue_as_new_after,
        ),
        request_timeout_seconds=settings.request_timeout.total_seconds(),
    )
    app = create_app(context, services, readiness=databases.ping, codec_server=codec_server)
    if tracer is not None:
        instrument_app(app, tracer)  # the request span, with the order ID of routes that name one
    return app


@dataclass(frozen=True)
class Wiring:
    workers: list[Worker]
    app: FastAPI | None


def bootstrap(
    settings: Settings,
    client: Client,
    databases: Databases,
    services: Iterable[str],
    *,
    workers: bool = True,
    api: bool = True,
    overrides: Overrides = Overrides(),
    tracer: TracerProvider | None = None,
    codec_server: CodecServer | None = None,
    verifier: TokenVerifier | None,  # no default: authentication is off only when someone says so
) -> Wiring:
    """Everything one process runs for ``services``: their workers, their API, or both."""
    services = list(services)
    return Wiring(
        workers=build_workers(settings, client, databases, services, overrides) if workers else [],
        app=build_app(settings, client, databases, services, tracer, codec_server, verifier=verifier) if api else None,
    )
