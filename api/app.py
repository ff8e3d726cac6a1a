"""The FastAPI application: one router per service, health, metrics, OpenAPI at /docs."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from api.deps import ApiContext
from api.errors import install_error_handlers
from api.routers import baskets, customers, depot, notifications, ordering, payments, search, stores

ROUTERS = {
    "stores": stores.router,
    "customers": customers.router,
    "baskets": baskets.router,
    "ordering": ordering.router,
    "depot": depot.router,
    "payments": payments.router,
    "notifications": notifications.router,
    "search": search.router,
}


def create_app(
    context: ApiContext,
    services: Iterable[str] | None = None,
    readiness: Callable[[], Awaitable[None]] | None = None,
) -> FastAPI:
    """``services`` limits the routers (``mallbots api --service X``); ``readiness`` raises when not ready."""
    app = FastAPI(
        title="MallBots on Temporal",
        description="The shopping mall of 'Event-Driven Architecture in Golang' on Temporal workflows.",
        version="0.1.0",
    )
    app.state.context = context
    install_error_handlers(app)
    wanted = set(services) if services is not None else set(ROUTERS)
    for name, router in ROUTERS.items():
        if name in wanted:
            app.include_router(router)
    _install_health(app, readiness)
    _install_metrics(app)
    return app


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
    registry = CollectorRegistry()
    requests = Counter("mallbots_http_requests", "HTTP requests", ["method", "route", "status"], registry=registry)
    latency = Histogram("mallbots_http_request_seconds", "HTTP request latency", ["method", "route"], registry=registry)

    @app.middleware("http")
    async def measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        requests.labels(request.method, route, str(response.status_code)).inc()
        latency.labels(request.method, route).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics", tags=["health"], include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
