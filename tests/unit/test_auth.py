"""Bearer tokens: what verifies and what does not, for the local issuer and for an OIDC identity provider
(a real one in miniature: its discovery document and JWKS served over HTTP on a free loopback port)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from api.auth import AuthConfigError, InvalidToken, OidcVerifier, Role, customer_id_of
from mallbots.identity import LOCAL_ISSUER, LocalIssuer

AUDIENCE = "mallbots"


def _claims(**override: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": LOCAL_ISSUER, "aud": AUDIENCE, "sub": "alice", "iat": now, "exp": now + 60, "roles": ["customer"]}
    return base | override


@pytest.fixture
def issuer() -> LocalIssuer:
    return LocalIssuer.generate(AUDIENCE)


async def test_a_minted_token_verifies_as_its_subject_and_roles(issuer: LocalIssuer) -> None:
    principal = await issuer.verifier().verify(issuer.mint("alice", [Role.CUSTOMER, Role.STORE_OWNER]))

    assert principal.subject == "alice"
    assert principal.roles == {Role.CUSTOMER, Role.STORE_OWNER}
    assert principal.customer_id == customer_id_of("alice") != customer_id_of("bob")
    assert not principal.is_operator


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        # Built when the test runs (not when the module is collected, maybe minutes earlier: the token would expire).
        (lambda: _claims(exp=int(time.time()) - 120), "the token has expired"),
        (lambda: _claims(aud="another-api"), "the token is not for this API (audience)"),
        (lambda: _claims(iss="https://evil.example"), "the token is not from the trusted issuer"),
        (
            lambda: {k: v for k, v in _claims().items() if k != "exp"},
            'the token is not valid: Token is missing the "exp"',
        ),
        (lambda: _claims(sub=""), "the token's subject (sub) must be 1-200 printable characters"),
        (lambda: _claims(sub="two words"), "the token's subject (sub) must be 1-200 printable characters"),
        (lambda: _claims(sub="x" * 201), "the token's subject (sub) must be 1-200 printable characters"),
    ],
    ids=["expired", "audience", "issuer", "no-expiry", "empty-subject", "space-in-subject", "long-subject"],
)
async def test_a_token_with_bad_claims_is_refused_with_its_reason(
    issuer: LocalIssuer, claims: Callable[[], dict[str, Any]], message: str
) -> None:
    token = jwt.encode(claims(), issuer.key, algorithm=issuer.algorithm)

    with pytest.raises(InvalidToken) as refused:
        await issuer.verifier().verify(token)

    assert str(refused.value).startswith(message)


async def test_a_token_signed_by_another_key_is_refused(issuer: LocalIssuer) -> None:
    other = LocalIssuer.generate(AUDIENCE)

    with pytest.raises(InvalidToken, match="Signature verification failed"):
        await issuer.verifier().verify(other.mint("alice", [Role.OPERATOR]))


async def test_unsigned_and_shared_secret_tokens_are_refused(issuer: LocalIssuer) -> None:
    """``alg: none`` and HS256 signed with the public key (the classic confusion attack) never pass."""
    unsigned = jwt.encode(_claims(roles=["operator"]), "", algorithm="none")
    public_pem = issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = jwt.utils.base64url_encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = jwt.utils.base64url_encode(json.dumps(_claims(roles=["operator"])).encode())
    signature = jwt.utils.base64url_encode(hmac.new(public_pem, header + b"." + payload, hashlib.sha256).digest())
    confused = (header + b"." + payload + b"." + signature).decode()

    for token in (unsigned, confused):
        with pytest.raises(InvalidToken):
            await issuer.verifier().verify(token)


async def test_roles_are_read_from_a_dotted_claim_and_unknown_roles_are_ignored() -> None:
    issuer = LocalIssuer.generate(AUDIENCE, roles_claim="realm_access.roles")
    token = jwt.encode(
        _claims(roles=None, realm_access={"roles": ["bot", "offline_access", "uma_authorization"]}),
        issuer.key,
        algorithm=issuer.algorithm,
    )

    principal = await issuer.verifier().verify(token)

    assert principal.roles == {Role.BOT}
    spaced = jwt.encode(
        _claims(realm_access={"roles": "operator customer"}), issuer.key, algorithm=issuer.algorithm
    )  # a space-separated string, as some providers write scopes
    assert (await issuer.verifier().verify(spaced)).roles == {Role.OPERATOR, Role.CUSTOMER}


async def test_a_token_without_known_roles_verifies_with_none(issuer: LocalIssuer) -> None:
    principal = await issuer.verifier().verify(issuer.mint("visitor", []))

    assert principal.roles == frozenset()


def test_an_rsa_key_signs_rs256_and_small_or_odd_keys_are_refused() -> None:
    def pem(key: Any) -> bytes:
        return bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )

    rsa_issuer = LocalIssuer.from_pem(pem(rsa.generate_private_key(65537, 2048)), AUDIENCE)
    assert rsa_issuer.algorithm == "RS256"
    with pytest.raises(AuthConfigError, match="must be an EC P-256 or an RSA"):
        LocalIssuer.from_pem(pem(rsa.generate_private_key(65537, 1024)), AUDIENCE)
    with pytest.raises(AuthConfigError, match="must be an EC P-256 or an RSA"):
        LocalIssuer.from_pem(pem(ec.generate_private_key(ec.SECP384R1())), AUDIENCE)
    with pytest.raises(AuthConfigError, match="is not an unencrypted PEM private key"):
        LocalIssuer.from_pem(b"-----BEGIN NOTHING-----\n", AUDIENCE)


# ---- an OIDC identity provider ----------------------------------------------------------------------------


class _Provider:
    """Discovery document and JWKS of a tiny identity provider; counts JWKS fetches, rotates keys on demand."""

    def __init__(self) -> None:
        self.keys: list[tuple[str, rsa.RSAPrivateKey]] = [("k1", rsa.generate_private_key(65537, 2048))]
        self.jwks_fetches = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body: dict[str, Any]
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": provider.issuer, "jwks_uri": f"{provider.issuer}/jwks"}
                elif self.path == "/jwks":
                    provider.jwks_fetches += 1
                    body = {"keys": [provider.jwk(kid, key) for kid, key in provider.keys]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def jwk(kid: str, key: rsa.RSAPrivateKey) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
        return found | {"kid": kid, "use": "sig", "alg": "RS256"}

    def token(self, kid: str | None = None, **claims: Any) -> str:
        kid = kid or self.keys[-1][0]
        key = dict(self.keys)[kid]
        return jwt.encode(_claims(iss=self.issuer) | claims, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def provider() -> Iterator[_Provider]:
    running = _Provider()
    yield running
    running.server.shutdown()
    running.server.server_close()


async def test_an_oidc_token_verifies_through_discovery_and_jwks(provider: _Provider) -> None:
    verifier = OidcVerifier(provider.issuer, audience=AUDIENCE)

    principal = await verifier.verify(provider.token(sub="auth0|42", roles=["store_owner"]))

    assert principal.subject == "auth0|42" and principal.roles == {Role.STORE_OWNER}
    await verifier.verify(provider.token())
    assert provider.jwks_fetches == 1  # cached


async def test_a_rotated_oidc_key_is_fetched_and_a_forged_kid_is_refused(provider: _Provider) -> None:
    verifier = OidcVerifier(provider.issuer, audience=AUDIENCE, refresh_cooldown=0)
    await verifier.verify(provider.token())
    provider.keys.append(("k2", rsa.generate_private_key(65537, 2048)))

    assert (await verifier.verify(provider.token(kid="k2"))).subject == "alice"  # a new kid: the JWKS again
    forged = jwt.encode(_claims(iss=provider.issuer), rsa.generate_private_key(65537, 2048), "RS256", {"kid": "k9"})
    with pytest.raises(InvalidToken):
        await verifier.verify(forged)


async def test_an_oidc_token_of_another_issuer_or_audience_is_refused(provider: _Provider) -> None:
    verifier = OidcVerifier(provider.issuer, audience=AUDIENCE)

    with pytest.raises(InvalidToken, match="audience"):
        await verifier.verify(provider.token(aud="other"))
    with pytest.raises(InvalidToken, match="trusted issuer"):
        await verifier.verify(provider.token(iss="https://elsewhere.example"))


async def test_an_unreachable_identity_provider_refuses_tokens_and_says_why() -> None:
    from mallbots.devstack.ports import free_port

    verifier = OidcVerifier(f"http://127.0.0.1:{free_port()}", audience=AUDIENCE)

    with pytest.raises(InvalidToken, match="the identity provider cannot be reached"):
        await verifier.verify(LocalIssuer.generate(AUDIENCE).mint("alice", [Role.CUSTOMER], timedelta(minutes=1)))


async def test_a_discovery_document_for_another_issuer_is_not_trusted(provider: _Provider) -> None:
    verifier = OidcVerifier(provider.issuer + "/", audience=AUDIENCE)  # not the issuer the document names

    with pytest.raises(InvalidToken, match="does not name this issuer's JWKS"):
        await verifier.verify(provider.token())
