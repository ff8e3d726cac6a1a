"""Who may call the API: the token issuer the API trusts, and the local one of ``make run`` and the tests.

In production the API trusts an OIDC identity provider (``MALLBOTS_AUTH_ISSUER``: its discovery document
names its JWKS; ``api.auth.OidcVerifier``). Without one, it trusts the *local issuer*: a private key (EC P-256,
or RSA) that ``mallbots token`` signs tokens with and the API verifies against. Where that key comes from,
like the payload keys (``mallbots.codec``): ``MALLBOTS_AUTH_SIGNING_KEY_FILE`` (a mounted PEM) wins; an
ephemeral stack (tests, bench) makes a random one in memory; the embedded dev stack makes one once and keeps
it in its data directory (so `mallbots token` in another terminal signs what the running stack accepts);
anything else, with authentication on and no issuer, refuses to start. ``MALLBOTS_AUTH=off`` turns it all
off, on purpose only, with a WARNING.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from api.auth import AuthConfigError, LocalVerifier, OidcVerifier, Role, TokenVerifier
from mallbots.codec import create_secret_file
from mallbots.settings import Settings

log = logging.getLogger(__name__)

LOCAL_ISSUER = "urn:mallbots:local-issuer"
DEV_SIGNING_KEY_FILE = "auth-signing-key.pem"
DEFAULT_TOKEN_TTL = timedelta(hours=12)

AUTH_OFF_WARNING = (
    "AUTHENTICATION IS OFF (MALLBOTS_AUTH=off): anyone who reaches the API may do anything, as any customer, "
    "store owner, bot or operator. For a local demo or a client written for the book only."
)
NO_ISSUER = (
    "authentication is on and no token issuer is configured: set MALLBOTS_AUTH_ISSUER (an OIDC identity provider) "
    "or MALLBOTS_AUTH_SIGNING_KEY_FILE (the local issuer's PEM private key: "
    "`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`). (MALLBOTS_AUTH=off, on purpose only.)"
)

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class LocalIssuer:
    """Signs tokens the API accepts when no identity provider is configured."""

    key: PrivateKey
    audience: str
    roles_claim: str = "roles"

    @property
    def algorithm(self) -> str:
        return "ES256" if isinstance(self.key, ec.EllipticCurvePrivateKey) else "RS256"

    @classmethod
    def generate(cls, audience: str, roles_claim: str = "roles") -> LocalIssuer:
        return cls(ec.generate_private_key(ec.SECP256R1()), audience, roles_claim)

    @classmethod
    def from_pem(cls, pem: bytes, audience: str, roles_claim: str = "roles", source: str = "the key") -> LocalIssuer:
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as err:
            raise AuthConfigError(f"{source} is not an unencrypted PEM private key: {err}") from None
        if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
            return cls(key, audience, roles_claim)
        if isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
            return cls(key, audience, roles_claim)
        raise AuthConfigError(f"{source} must be an EC P-256 or an RSA (2048 bits or more) private key")

    def pem(self) -> str:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()

    def mint(self, subject: str, roles: Iterable[Role], ttl: timedelta = DEFAULT_TOKEN_TTL) -> str:
        """A signed token for ``subject`` with ``roles``, valid for ``ttl``."""
        now = int(time.time())
        claims = {
            "iss": LOCAL_ISSUER,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + int(ttl.total_seconds()),
            "jti": uuid.uuid4().hex,
        }
        _set_claim(claims, self.roles_claim, sorted(str(role) for role in roles))
        return jwt.encode(claims, self.key, algorithm=self.algorithm)

    def verifier(self) -> TokenVerifier:
        return LocalVerifier(
            self.key.public_key(),
            self.algorithm,
            issuer=LOCAL_ISSUER,
            audience=self.audience,
            roles_claim=self.roles_claim,
        )


def _set_claim(claims: dict[str, object], path: str, value: object) -> None:
    """``realm_access.roles`` → ``{"realm_access": {"roles": value}}``, as such identity providers write it."""
    *parents, last = path.split(".")
    node = claims
    for part in parents:
        child = node.setdefault(part, {})
        assert isinstance(child, dict)
        node = child
    node[last] = value


def local_issuer(settings: Settings, *, dev_key: Path | None = None, ephemeral: bool = False) -> LocalIssuer | None:
    """The local issuer of this process, or None when an OIDC issuer is configured or auth is off.

    ``MALLBOTS_AUTH_SIGNING_KEY_FILE`` wins; else ``ephemeral`` = a random key, ``dev_key`` = the key kept in
    the dev stack's data directory (made on the first start); else refused (``NO_ISSUER``)."""
    if not settings.auth or settings.auth_issuer is not None:
        return None
    audience, claim = settings.auth_audience, settings.auth_roles_claim
    if settings.auth_signing_key_file is not None:
        path = settings.auth_signing_key_file
        try:
            pem = path.read_bytes()
        except OSError as err:
            raise AuthConfigError(f"MALLBOTS_AUTH_SIGNING_KEY_FILE {path} cannot be read: {err.strerror}") from None
        return LocalIssuer.from_pem(pem, audience, claim, f"MALLBOTS_AUTH_SIGNING_KEY_FILE {path}")
    if ephemeral:
        return LocalIssuer.generate(audience, claim)
    if dev_key is not None:
        if create_secret_file(dev_key, LocalIssuer.generate(audience, claim).pem()):
            log.info("made the local token issuer's signing key for the dev stack, kept in %s", dev_key)
        return LocalIssuer.from_pem(dev_key.read_bytes(), audience, claim, f"the dev stack's signing key {dev_key}")
    raise AuthConfigError(NO_ISSUER)


def token_verifier(settings: Settings, issuer: LocalIssuer | None) -> TokenVerifier | None:
    """What the API checks bearer tokens with; None = authentication off (on purpose, logged loudly)."""
    if not settings.auth:
        log.warning(AUTH_OFF_WARNING)
        return None
    if settings.auth_issuer is not None:
        return OidcVerifier(
            settings.auth_issuer,
            audience=settings.auth_audience,
            jwks_url=settings.auth_jwks_url,
            roles_claim=settings.auth_roles_claim,
        )
    if issuer is None:
        raise AuthConfigError(NO_ISSUER)
    return issuer.verifier()
