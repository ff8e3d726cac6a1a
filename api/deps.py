"""What the routers need, built once by the composition root and stored on ``app.state``."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from temporalio.client import Client, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from activities.shared.db import SessionFactory
from domain.shared.errors import NotFound

T = TypeVar("T")

# Idempotency keys are scoped per service and turned into stable entity IDs (uuid5).
_ID_NAMESPACE = uuid.UUID("5d1f5a3e-7c11-4c1e-9a55-6d2b8f0c1a77")


@dataclass
class ApiContext:
    client: Client
    sessions: Callable[[str], SessionFactory]
    basket_ttl_seconds: float = 86400.0
    payment_ttl_seconds: float = 7 * 86400.0
    continue_as_new_after: int = 1000


def context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.context
    return ctx


Context = Annotated[ApiContext, Depends(context)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)]


def new_id(scope: str, idempotency_key: str | None) -> str:
    """A fresh ID, or the same ID every time for the same key (so a retried POST creates nothing new)."""
    if idempotency_key:
        return str(uuid.uuid5(_ID_NAMESPACE, f"{scope}:{idempotency_key}"))
    return str(uuid.uuid4())


ClosedCheck = Callable[[], Awaitable[None]]


async def update(
    handle: WorkflowHandle[Any, Any],
    command: Any,
    what: str,
    arg: Any = None,
    when_closed: ClosedCheck | None = None,
) -> Any:
    """Send an update to an entity. One that does not exist is a 404; one whose workflow has ended
    (a final state) is first shown to ``when_closed``, which raises the 409 that explains it."""
    try:
        if arg is None:
            return await handle.execute_update(command)
        return await handle.execute_update(command, arg)
    except RPCError as err:
        if err.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            if when_closed is not None:
                await when_closed()
            raise NotFound(f"the {what} does not exist") from err
        raise
