"""The FastAPI application: one router per service, health, metrics, OpenAPI at /docs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from api.access import AUTHORIZED, rule_for
from api.auth import Authentication
from api.codec import MAX_CODEC_BODY_BYTES, CodecCors, CodecServer, install_codec_server
from api.codec import PREFIX as CODEC_PREFIX
from api.deps import ApiContext
from api.errors import install_error_handlers
from api.http import BodyLimit, RequestDeadline, RequestMetrics
from api.idempotency import Idempotency
from api.routers import baskets, customers, depot, notifications, ops, ordering, payments, search, stores

ROUTERS = {
    "stores": stores.router,
    "customers": customers.router,
    "baskets": baskets.router,
    "ordering": ordering.router,
    "depot": depot.router,
    "payments": payments.router,
    "notifications": notifications.router,
    "search": search.router,
    "ops": ops.router,  # not a service: served by every API process, like health
}


def create_app(
    context: ApiContext,
    services: Iterable[str] | None = None,
    readiness: Callable[[], Awaitable[None]] | None = None,
    codec_server: CodecServer | None = None,
) -> FastAPI:
    """``services`` limits the routers (``mallbots api --service X``); ``readiness`` raises when not ready;
    ``codec_server`` adds the codec endpoint the Temporal UI decodes payloads through (``api.codec``)."""
    # FastAPIOffline: the same FastAPI app, its /docs and /redoc pages served with Swagger UI's and ReDoc's
    # assets from the fastapi-offline wheel (under /static-offline-docs), not from a CDN: they work offline.
    app = FastAPIOffline(
        title="MallBots on Temporal",
        description="The shopping mall of 'Event-Driven Architecture in Golang' on Temporal workflows.",
        version="0.1.0",
        dependencies=[AUTHORIZED],  # every route's rule (api.access); deny by default
    )
    app.state.context = context
    install_error_handlers(app)
    wanted = {*services, "ops"} if services is not None else set(ROUTERS)
    for name, router in ROUTERS.items():
        if name in wanted:
            app.include_router(router)
    _install_health(app, readiness)
    if codec_server is not None:
        install_codec_server(app, codec_server)
    _install_metrics(app)
    if codec_server is not None:
        app.add_middleware(CodecCors, origins=codec_server.cors_origins)  # outermost: it answers preflights
    _strict_openapi(app)
    return app


def _refuses_its_zero_value(schema: dict[str, Any]) -> bool:
    # (A nullable field, ``anyOf`` with null, takes null as its zero value: it stays optional.)
    return schema.get("minLength", 0) >= 1 or schema.get("minItems", 0) >= 1 or "exclusiveMinimum" in schema


def _strict_openapi(app: FastAPI) -> None:
    """The document a generated client is built from says what the API really takes. A field that may be left
    out of a request (proto3-style: it is then its zero value, and the domain rule answers) but whose zero
    value is refused is *required* here, with no default, so a generated client always sends it."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        requests = {
            name
            for name, schema in document.get("components", {}).get("schemas", {}).items()
            if name.endswith("Request")
        }
        for name, schema in document.get("components", {}).get("schemas", {}).items():
            required = set(schema.get("required", ()))
            for field, prop in schema.get("properties", {}).items():
                if prop.get("type") in ("number", "integer") and isinstance(prop.get("default"), str):
                    prop["default"] = float(prop["default"])  # a Decimal's default is a number on the wire
                if _refuses_its_zero_value(prop) and prop.get("default") in (None, "", 0, "0", []):
                    prop.pop("default", None)
                    required.add(field)
                elif name in requests and field not in required and isinstance(prop.get("type"), str):
                    prop["type"] = [prop["type"], "null"]  # an optional field may be null: its default, then
                elif name in requests and field not in required and "$ref" in prop:
                    schema["properties"][field] = {"anyOf": [{"$ref": prop.pop("$ref")}, {"type": "null"}], **prop}
            if required:
                schema["required"] = sorted(required)
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
                ref = body.get("schema", {}).get("$ref", "")
                target = document["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {}) if ref else {}
                if ref and not target.get("required"):
                    operation["requestBody"]["required"] = False  # nothing in it is needed: it may be left out
                for parameter in operation.get("parameters", ()):
                    schema = parameter.get("schema", {})
                    # (One with a default of its own, e.g. a wait's timeout of 10 s, may be left out.)
                    if (
                        _refuses_its_zero_value(schema)
                        and schema.get("default") in (None, "", 0, "0", [])
                        and parameter["in"] == "query"
                    ):
                        parameter["required"] = True
                        parameter["schema"].pop("default", None)
        _declare_security(document)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _declare_security(document: dict[str, Any]) -> None:
    """Every operation that needs a token says so (a generated client then sends it): from its rule."""
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes["bearer"] = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            rule = rule_for(method.upper(), path)
            if rule is not None and not rule.public:
                operation["security"] = [{"bearer": []}]


def _install_health(app: FastAPI, readiness: Callable[[], Awaitable[None]] | None) -> None:
    @app.get("/liveness", tags=["health"])
    async def liveness() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readiness", tags=["health"])
    async def ready() -> JSONResponse:
        try:
            await app.state.context.client.service_client.check_health()
            if readiness is not None:
                await readiness()
        except Exception as err:  # any failure means "not ready", reported with its reason
            return JSONResponse({"status": "unavailable", "message": str(err)}, status_code=503)
        return JSONResponse({"status": "ok"})


def _install_metrics(app: FastAPI) -> None:
    """This app's HTTP metrics (its own registry, so two apps in one process stay apart), then the process's
    default registry: what the workers in this process count (e.g. parked poison events)."""
    registry = CollectorRegistry()
    # Outermost last: every answer is counted, a huge body never reaches the deadline or the app, and the
    # deadline covers what idempotency does in the database too.
    app.add_middleware(Idempotency, sessions=lambda: app.state.context.sessions)
    app.add_middleware(Authentication, verifier=lambda: app.state.context.verifier)  # who, before idempotency
    app.add_middleware(RequestDeadline, seconds=lambda: app.state.context.request_timeout_seconds)
    app.add_middleware(BodyLimit, larger={f"{CODEC_PREFIX}/": MAX_CODEC_BODY_BYTES})
    app.add_middleware(RequestMetrics, registry=registry)

    @app.get("/metrics", tags=["health"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry) + generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
