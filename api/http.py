"""HTTP plumbing shared by every router: how a body is read, how big it may be, how requests are counted.

All of it is plain ASGI or a route class (no ``BaseHTTPMiddleware``, which costs a task and a copy of
every response on the hot path).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from decimal import Decimal
from typing import Any, NoReturn

from fastapi import Request, Response
from fastapi.routing import APIRoute
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.schemas import error_body

MAX_BODY_BYTES = 64 * 1024  # the largest valid request (an order of 40 lines) is a few kilobytes
RETRY_AFTER_SECONDS = "1"
log = logging.getLogger(__name__)


def _no_constants(name: str) -> NoReturn:
    raise json.JSONDecodeError(f"{name} is not a number", name, 0)


class JsonBodyRequest(Request):
    """A body is JSON whatever its Content-Type says (as grpc-gateway reads it, so a client written for the
    book works), and a JSON number is read as the exact decimal it spells: 19.990000000000000001 is not
    19.99, and NaN or Infinity are not numbers at all."""

    async def body(self) -> bytes:
        """No body at all is an empty object: every field its zero value (the gateway reads it so too)."""
        return await super().body() or b"{}"

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), parse_float=Decimal, parse_constant=_no_constants)
        return self._json


class JsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def json_body_handler(request: Request) -> Response:
            scope = request.scope
            if scope.get("method") in ("POST", "PUT", "PATCH", "DELETE"):
                headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
                scope = {**scope, "headers": [*headers, (b"content-type", b"application/json")]}
            return await handle(JsonBodyRequest(scope, request.receive))

        return json_body_handler


class BodyTooLarge(HTTPException):
    """An HTTPException, so that FastAPI, reading the body, passes it on instead of calling it a parse error."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class BodyLimit:
    """Refuses a request body over ``limit`` bytes with 413, whether announced (Content-Length) or streamed.
    ``larger`` raises the limit under some path prefixes (the codec endpoint takes whole histories' payloads)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES, larger: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.larger = dict(larger or {})

    def _limit_for(self, path: str) -> int:
        return next((n for prefix, n in self.larger.items() if path.startswith(prefix)), self.limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(str(scope.get("path", "")))
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(send, limit)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    await _send_error(send, 413, f"the request body is larger than {limit} bytes")


async def _send_error(send: Send, status: int, message: str, headers: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    body = json.dumps(error_body(status, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def too_late(seconds: float) -> str:
    return (
        f"the request did not finish within {seconds:g} s; a command still takes effect: "
        "read its result, or retry it with the same Idempotency-Key"
    )


class RequestDeadline:
    """No request hangs: one that has not answered within ``seconds`` is answered 503 with Retry-After.
    A command's effect is not undone by that: its update goes on in the entity's workflow, and a retry
    with the same Idempotency-Key answers what it did."""

    def __init__(self, app: ASGIApp, seconds: Callable[[], float]) -> None:
        self.app = app
        self._seconds = seconds  # read when a request comes: the app's context is set after the middleware

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        seconds = self._seconds()

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            async with asyncio.timeout(seconds):
                await self.app(scope, receive, tracking_send)
        except TimeoutError:
            log.warning("%s %s did not answer within %.1f s", scope["method"], scope["path"], seconds)
            if not started:
                await _send_error(send, 503, too_late(seconds), ((b"retry-after", RETRY_AFTER_SECONDS.encode()),))


class RequestMetrics:
    """``mallbots_http_requests_total`` and ``mallbots_http_request_duration_seconds`` by route template."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "mallbots_http_requests", "HTTP requests", ["method", "route", "status"], registry=registry
        )
        self.latency = Histogram(
            "mallbots_http_request_duration_seconds", "HTTP request latency", ["method", "route"], registry=registry
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.requests.labels(scope["method"], route, str(status)).inc()
            self.latency.labels(scope["method"], route).observe(time.perf_counter() - started)
