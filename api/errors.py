"""The one place where failures become HTTP statuses."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import FailureError
from temporalio.service import RPCError, RPCStatusCode

from api.http import too_late
from api.schemas import error_body
from domain.shared.errors import DomainError, ErrorKind
from workflows.shared.errors import business_error_in

log = logging.getLogger(__name__)

STATUS = {ErrorKind.INVALID: 400, ErrorKind.NOT_FOUND: 404, ErrorKind.CONFLICT: 409}
# Outages a client should simply retry: answered 503 with Retry-After instead of a bare 500.
UNAVAILABLE_RPC = {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.RESOURCE_EXHAUSTED}
RETRY_AFTER_SECONDS = "1"


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)


def _unavailable(message: str) -> JSONResponse:
    return _error(503, message, {"Retry-After": RETRY_AFTER_SECONDS})


def _message(err: RequestValidationError) -> str:
    parts = []
    for e in err.errors():
        if e.get("type") == "json_invalid":
            return "the request body is not valid JSON"
        if e.get("type") == "model_attributes_type" and tuple(e.get("loc", ())) == ("body",):
            return "the request body must be a JSON object"
        where = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path"))
        parts.append(f"{where}: {e.get('msg')}" if where else str(e.get("msg")))
    return "; ".join(parts) or "invalid request"


def _methods_of(request: Request) -> list[str]:
    """Every method the API serves at this request's path, read from its OpenAPI document (one path is
    often served by several routes, and Starlette's own ``Allow`` names only the first)."""
    path = request.url.path
    methods: set[str] = set()
    for template, operations in request.app.openapi()["paths"].items():
        if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), path):
            methods |= {method.upper() for method in operations}
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, err: DomainError) -> JSONResponse:
        return _error(STATUS[err.kind], err.message)

    async def refused(_: Request, err: Exception) -> JSONResponse:
        """The entity (or an activity its command ran, e.g. "is this customer registered?") refused it."""
        found = business_error_in(err)
        if found is None:
            log.error("a command failed without a business reason", exc_info=err)
            return _error(500, "the command failed")
        return _error(STATUS[found.kind], found.message)

    app.add_exception_handler(FailureError, refused)
    app.add_exception_handler(WorkflowUpdateFailedError, refused)

    @app.exception_handler(DBAPIError)
    async def database_unavailable(_: Request, err: DBAPIError) -> JSONResponse:
        # Reads come from the read models; a lost or refused connection is an outage, not a bug.
        if isinstance(err.orig, psycopg.OperationalError) or err.connection_invalidated:
            log.warning("a read model's database is unavailable: %s", err.orig)
            return _unavailable("the database is unavailable; try again shortly")
        log.error("a database error", exc_info=err)
        return _error(500, "the request failed")

    @app.exception_handler(RPCError)
    async def temporal_unavailable(_: Request, err: RPCError) -> JSONResponse:
        if err.status in UNAVAILABLE_RPC:
            log.warning("the Temporal service is unavailable: %s", err.message)
            return _unavailable("the workflow service is unavailable; try again shortly")
        log.error("a Temporal call failed", exc_info=err)
        return _error(500, "the request failed")

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, err: RequestValidationError) -> JSONResponse:
        return _error(400, _message(err))

    @app.exception_handler(WorkflowUpdateRPCTimeoutOrCancelledError)
    async def command_too_late(request: Request, _: WorkflowUpdateRPCTimeoutOrCancelledError) -> JSONResponse:
        """The request's deadline (or the client's RPC timeout) came while the entity was still at work: the
        SDK turns the cancellation into this error. The update goes on in the workflow."""
        return _unavailable(too_late(request.app.state.context.request_timeout_seconds))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, err: StarletteHTTPException) -> JSONResponse:
        """Routing errors (unknown path, method not allowed with its ``Allow``) in the one error shape."""
        if err.status_code == 404:
            message = f"there is no {request.url.path}"
        elif err.status_code == 405:
            # Starlette names only the first route of the path; a path is often served by several.
            allowed = ", ".join(_methods_of(request))
            message = f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}"
            return _error(405, message, {**(err.headers or {}), "Allow": allowed})
        else:
            message = str(err.detail)
        return _error(err.status_code, message, err.headers)

    @app.exception_handler(Exception)
    async def internal_error(_: Request, err: Exception) -> JSONResponse:
        log.error("a request failed", exc_info=err)
        return _error(500, "the request failed; it was logged")
