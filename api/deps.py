"""What the routers need, as FastAPI dependencies (override them in tests with ``app.dependency_overrides``).

The composition root (``mallbots.bootstrap``) builds one ``ApiContext`` and stores it on ``app.state``;
routers never read it directly but ask for the piece they use: the Temporal client, their own service's
read model (``StoresReadModel`` …), or the entity settings.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request
from temporalio.client import Client

from api.auth import TokenVerifier
from api.idempotency import current_key, current_update_id
from domain.shared.errors import NotFound
from domain.shared.text import TEXT_PATTERN
from readmodels.shared.db import SessionFactory
from workflows.shared.client import EntityGone, update_entity

T = TypeVar("T")

# Idempotency keys are scoped per service and turned into stable entity IDs (uuid5).
_ID_NAMESPACE = uuid.UUID("5d1f5a3e-7c11-4c1e-9a55-6d2b8f0c1a77")


@dataclass(frozen=True)
class EntitySettings:
    """What a new entity workflow is started with."""

    basket_ttl_seconds: float = 86400.0
    payment_ttl_seconds: float = 7 * 86400.0
    continue_as_new_after: int = 1000


@dataclass
class ApiContext:
    client: Client
    sessions: Callable[[str], SessionFactory]
    # What bearer tokens are checked with (api.auth); None = authentication off, on purpose only. No default:
    # whoever builds a context says which.
    verifier: TokenVerifier | None
    entities: EntitySettings = EntitySettings()
    request_timeout_seconds: float = 10.0  # no request waits longer: 503 + Retry-After
    metrics_public: bool = True  # False: /metrics needs an operator token (api.access)


def _context(request: Request) -> ApiContext:
    ctx: ApiContext = request.app.state.context
    return ctx


def temporal_client(request: Request) -> Client:
    return _context(request).client


def request_deadline(request: Request) -> float:
    """Seconds a request may take before it is answered 503 (``MALLBOTS_REQUEST_TIMEOUT``)."""
    return _context(request).request_timeout_seconds


def entity_settings(request: Request) -> EntitySettings:
    return _context(request).entities


def _read_model(service: str) -> Callable[[Request], SessionFactory]:
    def read_model(request: Request) -> SessionFactory:
        return _context(request).sessions(service)

    read_model.__name__ = f"{service}_read_model"
    return read_model


# One dependency per service: a router reads only its own service's read model.
stores_read_model = _read_model("stores")
customers_read_model = _read_model("customers")
baskets_read_model = _read_model("baskets")
ordering_read_model = _read_model("ordering")
depot_read_model = _read_model("depot")
payments_read_model = _read_model("payments")
notifications_read_model = _read_model("notifications")
search_read_model = _read_model("search")

TemporalClient = Annotated[Client, Depends(temporal_client)]
Entities = Annotated[EntitySettings, Depends(entity_settings)]
RequestDeadline = Annotated[float, Depends(request_deadline)]
StoresReadModel = Annotated[SessionFactory, Depends(stores_read_model)]
CustomersReadModel = Annotated[SessionFactory, Depends(customers_read_model)]
BasketsReadModel = Annotated[SessionFactory, Depends(baskets_read_model)]
OrderingReadModel = Annotated[SessionFactory, Depends(ordering_read_model)]
DepotReadModel = Annotated[SessionFactory, Depends(depot_read_model)]
PaymentsReadModel = Annotated[SessionFactory, Depends(payments_read_model)]
NotificationsReadModel = Annotated[SessionFactory, Depends(notifications_read_model)]
SearchReadModel = Annotated[SessionFactory, Depends(search_read_model)]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=200, json_schema_extra={"pattern": TEXT_PATTERN}),
]


def _accepts_idempotency_key(key: IdempotencyKey = None) -> None:
    """Declares the header on a command (its value is used by ``api.idempotency``)."""


ACCEPTS_IDEMPOTENCY_KEY = Depends(_accepts_idempotency_key)


def new_id(scope: str, idempotency_key: str | None) -> str:
    """A fresh ID, or the same ID every time for the same key (so a retried POST creates nothing new). The key
    is the caller's (``api.idempotency`` scopes it by the token's subject): two callers who happen to pick the
    same key create two entities, and neither learns the other's ID."""
    if idempotency_key:
        return str(uuid.uuid5(_ID_NAMESPACE, f"{scope}:{current_key.get() or idempotency_key}"))
    return str(uuid.uuid4())


async def get_or_404(found: Awaitable[T | None], what: str) -> T:
    """The row a read-model query found, or a 404 naming ``what`` ("store 3f2a…")."""
    row = await found
    if row is None:
        raise NotFound(f"the {what} does not exist")
    return row


ClosedCheck = Callable[[], Awaitable[None]]


async def command(
    client: Client,
    workflow_id: str,
    update: Any,
    what: str,
    arg: Any = None,
    when_closed: ClosedCheck | None = None,
) -> Any:
    """Send a command to an entity. One that does not exist is a 404; one whose workflow has ended
    (a final state) is first shown to ``when_closed``, which raises the 409 that explains it. A command
    with an Idempotency-Key carries it as its update ID, so racing retries are applied once."""
    try:
        return await update_entity(client, workflow_id, update, arg, update_id=current_update_id())
    except EntityGone as err:
        if when_closed is not None:
            await when_closed()
        raise NotFound(f"the {what} does not exist") from err
