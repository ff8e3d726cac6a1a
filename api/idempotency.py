"""``Idempotency-Key``: a retry is answered as the first request was, and a key is good for one request only.

A key is bound, in the owning service's ``idempotency_keys`` table, to what it was first used for: the
method, the path and a fingerprint of the body. The same key again with the same request replays the stored
answer (``Idempotent-Replayed: true``) without doing anything twice; with another method, path or body it is
a 422. Two identical requests racing with one key both go through to the entity, which applies the command
once (the key is the update's ID; a create's entity ID is derived from the key). An answer is stored before
its last byte is sent, so a retry cannot overtake the write; a 5xx is not stored, so a request that met an
outage runs again when retried. If a process dies between the command and storing its answer, the retry sends
the command again: an entity still running answers it from its update ID; one that has ended since answers as
it would now (e.g. 409 "the basket is checked out").

Keys are the caller's own: stored (and used as update IDs and to derive created IDs) prefixed by the
subject and roles of the caller's token (``api.auth``), so one caller's key never replays, or collides with,
another caller's request. A request without a verified caller (it will be refused a 401) claims no key.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import Decimal
from importlib import import_module
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import OperationalError
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import Principal
from api.schemas import error_body
from domain.shared.errors import InvalidArgument
from domain.shared.text import require_text
from readmodels.shared.db import SessionFactory

log = logging.getLogger(__name__)
HEADER = b"idempotency-key"
MAX_KEY = 200
COMMAND_METHODS = {"POST", "PUT", "DELETE"}
WITHOUT_EFFECTS = {"search", "notifications"}  # their POSTs and GETs only read
# The key of the request being handled, for the command it sends (its update ID): set only here.
current_key: ContextVar[str | None] = ContextVar("idempotency_key", default=None)


def scoped_key(principal: Principal, key: str) -> str:
    """The key as stored and used: the caller's own, in the roles it has now (a stored answer is replayed
    before the route's rule is asked again: a subject whose roles changed must not replay what its old roles
    were answered). Subjects and roles have no spaces, so the parts never blur. The anonymous caller of
    authentication-off has no subject: its keys are the keys, as in the book."""
    if not principal.subject:
        return key
    return f"{principal.subject} {','.join(sorted(principal.roles))} {key}"


def current_update_id() -> str | None:
    """The Workflow Update ID of the command being handled: the caller-scoped key, hashed. A key is the
    client's free text (it might be "seed:Ada Lovelace"), and an update ID is stored in Temporal's history in
    clear, outside the payload codec: only a digest of it goes there."""
    key = current_key.get()
    return None if key is None else "key-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def fingerprint(method: str, path: str, body: bytes) -> str:
    """The request a key stands for. A JSON body counts by its meaning (key order and spacing do not)."""
    try:
        canonical = json.dumps(json.loads(body, parse_float=Decimal), sort_keys=True, default=str).encode()
    except ValueError:
        canonical = body
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), canonical])).hexdigest()


def _service(path: str) -> str | None:
    parts = path.split("/")
    return parts[2] if len(parts) > 2 and parts[1] == "api" else None


def _routed(scope: Scope) -> bool:
    """Some route of the app takes this method at this path."""
    return any(route.matches(scope)[0] is Match.FULL for route in scope["app"].router.routes)


def _table(service: str) -> Table | None:
    try:
        table: Table = import_module(f"readmodels.{service}.tables").IDEMPOTENCY_KEYS
    except (ModuleNotFoundError, AttributeError):
        return None
    return table


async def _respond(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


def _error(status: int, message: str) -> bytes:
    return json.dumps(error_body(status, message)).encode()


class Idempotency:
    def __init__(self, app: ASGIApp, sessions: Callable[[], Callable[[str], SessionFactory]]) -> None:
        self.app = app
        self._sessions = sessions  # read when a request comes: the app's context is set after the middleware

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_key = dict(scope.get("headers", ())).get(HEADER) if scope["type"] == "http" else None
        principal = scope.get("state", {}).get("principal")
        service = _service(scope.get("path", "")) if raw_key is not None else None
        table = _table(service) if service and service not in WITHOUT_EFFECTS else None
        if (
            raw_key is None
            or principal is None
            or scope["method"] not in COMMAND_METHODS
            or service is None
            or table is None
            or not _routed(scope)  # a 404 or 405 comes first and does not use up a key
        ):
            await self.app(scope, receive, send)
            return
        try:
            key = require_text(raw_key.decode("utf-8", errors="replace"), "Idempotency-Key", MAX_KEY)
        except InvalidArgument as err:
            await _respond(send, 400, _error(400, err.message))
            return
        scoped = scoped_key(principal, key)
        body = await _read_body(receive)
        method, path = scope["method"], scope["path"]
        request_print = fingerprint(method, path, body)
        sessions = self._sessions()(service)
        try:
            first = await _claim(sessions, table, scoped, method, path, request_print)
        except OperationalError:
            await _respond(
                send, 503, _error(503, "the database is unavailable; try again shortly"), [(b"retry-after", b"1")]
            )
            return
        if (first["method"], first["path"], first["fingerprint"]) != (method, path, request_print):
            message = (
                f"the Idempotency-Key {key!r} was first used for {first['method']} {first['path']}"
                + (" with another body" if (first["method"], first["path"]) == (method, path) else "")
                + "; use a new key for a new request"
            )
            await _respond(send, 422, _error(422, message))
            return
        if first["status_code"] is not None:
            await _respond(send, first["status_code"], first["body"] or b"", [(b"idempotent-replayed", b"true")])
            return
        answered: dict[str, Any] = {"status": 500, "body": b""}

        async def replay_receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered["status"] = message["status"]
            elif message["type"] == "http.response.body":
                answered["body"] += message.get("body", b"")
                if not message.get("more_body"):
                    # Stored before the last byte goes out: a client that retries the moment it has the
                    # answer must find it stored and be replayed, not race this write.
                    await _store(sessions, table, scoped, key, answered["status"], answered["body"])
            await send(message)

        token = current_key.set(scoped)
        try:
            await self.app(scope, replay_receive, recording_send)
        finally:
            current_key.reset(token)


async def _store(sessions: SessionFactory, table: Table, scoped: str, key: str, status: int, body: bytes) -> None:
    """Keep the answer for the key's retries, unless it is a 5xx (a retry after an outage runs again)."""
    if status >= 500:
        return
    try:
        async with sessions.begin() as session:
            await (await session.connection()).execute(
                table.update()
                .where(table.c.key == scoped)
                .values(status_code=status, body=body, completed_at=datetime.now(UTC))
            )
    except OperationalError:  # the answer goes out anyway; a retry runs the request again, deduplicated
        log.warning("could not store the answer to Idempotency-Key %r: the database is unavailable", key)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _claim(sessions: SessionFactory, table: Table, key: str, method: str, path: str, request_print: str) -> Any:
    """This key's first use: inserted now, or the one stored before (whoever inserted first wins)."""
    async with sessions.begin() as session:
        connection = await session.connection()  # Core statements on a plain table: no ORM involved
        await connection.execute(
            insert(table)
            .values(key=key, method=method, path=path, fingerprint=request_print)
            .on_conflict_do_nothing(index_elements=[table.c.key])
        )
        return (await connection.execute(select(table).where(table.c.key == key))).mappings().one()
