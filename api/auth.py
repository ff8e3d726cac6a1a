"""Authentication: who is calling. A bearer JWT, verified by PyJWT, becomes a ``Principal``.

``Authentication`` (an ASGI middleware) verifies the token of any request that carries one and puts the
principal in the request's state, or, when it does not verify, why not. Whether a route needs a principal,
and which, is decided by its rule in ``api.access`` (the one place for that): a route that needs one answers
a 401 with that reason; a public one does not care (the codec endpoint, for one, takes a bearer secret of its
own in the same header).

Two verifiers: ``OidcVerifier`` for any standard identity provider (its discovery document names the JWKS;
keys are fetched and cached by PyJWT's ``PyJWKClient``), and ``LocalVerifier`` for the local issuer of
``make run`` and the tests (``mallbots.identity``). Authentication off (``MALLBOTS_AUTH=off``): every request
is the anonymous operator, as in the book.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import Request
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

# Asymmetric only: a shared-secret (HS*) or unsigned ("none") token is never accepted.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
LEEWAY_SECONDS = 30  # clock skew between the issuer and us
MAX_TOKEN_BYTES = 8192
# A subject becomes part of IDs and keys: printable, bounded.
SUBJECT_PATTERN = re.compile(r"[\x21-\x7e]{1,200}")
_CUSTOMER_NAMESPACE = uuid.UUID("0b6c8f1e-3d52-4b8e-9c1a-27f4d0e5a913")
CHALLENGE = 'Bearer realm="mallbots"'  # the WWW-Authenticate of every 401


class AuthConfigError(RuntimeError):
    """An authentication setting the process cannot start with; the message says which and how to fix it."""


class Role(StrEnum):
    CUSTOMER = "customer"
    STORE_OWNER = "store_owner"
    BOT = "bot"
    OPERATOR = "operator"


def customer_id_of(subject: str) -> str:
    """The customer a customer token stands for: derived from its subject, so the token's holder is linked to
    the customer it registers (``POST /api/customers``) with no table to keep in step."""
    return str(uuid.uuid5(_CUSTOMER_NAMESPACE, subject))


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[Role]

    @property
    def is_operator(self) -> bool:
        return Role.OPERATOR in self.roles

    @property
    def customer_id(self) -> str:
        return customer_id_of(self.subject)


# Authentication off: the book's behaviour, everyone may do everything. Its empty subject keeps Idempotency-Key
# scoping and derived IDs exactly as before authentication existed.
ANONYMOUS = Principal(subject="", roles=frozenset({Role.OPERATOR}))


class InvalidToken(Exception):
    """The bearer token does not verify; the message says why (never the token)."""


class TokenVerifier(Protocol):
    async def verify(self, token: str) -> Principal: ...


def _roles(claims: dict[str, Any], path: str) -> frozenset[Role]:
    """The roles at a dotted claim path (``roles``, ``realm_access.roles``): a list or a space-separated string.
    Roles this API does not know are ignored."""
    node: Any = claims
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    values = node.split() if isinstance(node, str) else node if isinstance(node, list) else []
    known = {role.value for role in Role}
    return frozenset(Role(v) for v in values if isinstance(v, str) and v in known)


def _principal(claims: dict[str, Any], roles_claim: str) -> Principal:
    subject = claims.get("sub")
    if not isinstance(subject, str) or not SUBJECT_PATTERN.fullmatch(subject):
        raise InvalidToken("the token's subject (sub) must be 1-200 printable characters")
    return Principal(subject=subject, roles=_roles(claims, roles_claim))


def _decode(token: str, key: Any, algorithms: list[str], issuer: str, audience: str) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            issuer=issuer,
            audience=audience,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired") from None
    except jwt.InvalidAudienceError:
        raise InvalidToken("the token is not for this API (audience)") from None
    except jwt.InvalidIssuerError:
        raise InvalidToken("the token is not from the trusted issuer") from None
    except jwt.PyJWTError as err:
        raise InvalidToken(f"the token is not valid: {err}") from None
    return claims


PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


@dataclass(frozen=True)
class LocalVerifier:
    """Tokens of the local issuer (``mallbots.identity.LocalIssuer``), checked against its public key."""

    key: PublicKey
    algorithm: str
    issuer: str
    audience: str
    roles_claim: str = "roles"

    async def verify(self, token: str) -> Principal:
        return _principal(_decode(token, self.key, [self.algorithm], self.issuer, self.audience), self.roles_claim)


class OidcVerifier:
    """Tokens of an OIDC identity provider: the JWKS named by its discovery document (or ``jwks_url``), keys
    cached and refetched when a token names a key ID not seen yet (the provider rotated its keys), at most
    once per ``refresh_cooldown`` seconds (a flood of forged key IDs does not become a flood on the provider)."""

    def __init__(
        self,
        issuer: str,
        *,
        audience: str,
        jwks_url: str | None = None,
        roles_claim: str = "roles",
        refresh_cooldown: float = 30.0,
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.roles_claim = roles_claim
        self._jwks_url = jwks_url
        self._cooldown = refresh_cooldown
        self._keys: jwt.PyJWKClient | None = None
        self._lock = asyncio.Lock()

    async def _client(self) -> jwt.PyJWKClient:
        async with self._lock:
            if self._keys is None:
                url = self._jwks_url or await self._discover()
                self._keys = jwt.PyJWKClient(
                    url, cache_keys=True, lifespan=300, timeout=10, cooldown_duration=self._cooldown
                )
            return self._keys

    async def _discover(self) -> str:
        where = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                response = await http.get(where)
                response.raise_for_status()
                document = response.json()
        except (httpx.HTTPError, json.JSONDecodeError) as err:
            log.warning("the identity provider's discovery document %s could not be read: %s", where, err)
            raise InvalidToken("the identity provider cannot be reached to verify the token") from None
        if document.get("issuer") != self.issuer or not isinstance(document.get("jwks_uri"), str):
            raise InvalidToken("the identity provider's discovery document does not name this issuer's JWKS")
        return str(document["jwks_uri"])

    async def verify(self, token: str) -> Principal:
        keys = await self._client()
        try:
            # PyJWKClient fetches synchronously (urllib): off the event loop, cached after the first time.
            signing = await asyncio.to_thread(keys.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientConnectionError as err:
            log.warning("the identity provider's JWKS could not be read: %s", err)
            raise InvalidToken("the identity provider cannot be reached to verify the token") from None
        except jwt.PyJWTError as err:
            raise InvalidToken(f"the token is not valid: {err}") from None
        claims = _decode(token, signing.key, ALGORITHMS, self.issuer, self.audience)
        return _principal(claims, self.roles_claim)


class Authentication:
    """Verifies the bearer token of every request that has one; the principal goes to the request state
    (``principal``), None when no token was sent or it did not verify (``auth_error`` then says why). With
    authentication off every request is ``ANONYMOUS``."""

    def __init__(self, app: ASGIApp, verifier: Callable[[], TokenVerifier | None]) -> None:
        self.app = app
        self._verifier = verifier  # read when a request comes: the app's context is set after the middleware

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        verifier = self._verifier()
        if verifier is None:
            state["principal"] = ANONYMOUS
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers", ())).get(b"authorization")
        state["principal"] = None  # the route's rule decides whether that is enough
        if header is not None:
            try:
                state["principal"] = await verifier.verify(_bearer(header))
            except InvalidToken as err:
                state["auth_error"] = str(err)
        await self.app(scope, receive, send)


def _bearer(header: bytes) -> str:
    if len(header) > MAX_TOKEN_BYTES:
        raise InvalidToken("the Authorization header is too long")
    scheme, _, token = header.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def principal_of(request: Request) -> Principal | None:
    """The caller ``Authentication`` found (None: no token was sent, or it did not verify)."""
    found: Principal | None = getattr(request.state, "principal", None)
    return found


def why_unauthenticated(request: Request) -> str:
    """What a route that needs a caller answers with its 401."""
    return str(getattr(request.state, "auth_error", "") or "a bearer token is required")


def roles_text(roles: Iterable[Role]) -> str:
    return " or ".join(sorted(str(role) for role in roles))
