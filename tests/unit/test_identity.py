"""Where the API's token issuer comes from: settings, the dev stack's key, or nowhere (refused)."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from api.auth import AuthConfigError, LocalVerifier, OidcVerifier, Role
from mallbots.identity import AUTH_OFF_WARNING, LocalIssuer, local_issuer, token_verifier
from mallbots.settings import Settings


def _settings(**values: object) -> Settings:
    return Settings.model_validate(values)


def test_a_deployment_without_an_issuer_or_a_signing_key_refuses_to_start() -> None:
    with pytest.raises(AuthConfigError, match=r"MALLBOTS_AUTH_ISSUER .* or MALLBOTS_AUTH_SIGNING_KEY_FILE"):
        local_issuer(_settings())
    with pytest.raises(AuthConfigError, match="no token issuer is configured"):
        token_verifier(_settings(), None)


def test_the_dev_stack_makes_its_signing_key_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    key = tmp_path / "auth-signing-key.pem"

    first = local_issuer(_settings(), dev_key=key)
    again = local_issuer(_settings(), dev_key=key)

    assert first is not None and again is not None
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert first.pem() == again.pem()  # a token of `mallbots token` is accepted by the running stack


async def test_a_mounted_signing_key_wins_and_its_tokens_verify(tmp_path: Path) -> None:
    mounted = tmp_path / "signing.pem"
    mounted.write_text(LocalIssuer.generate("mallbots").pem())
    settings = _settings(auth_signing_key_file=mounted)

    issuer = local_issuer(settings, dev_key=tmp_path / "dev.pem", ephemeral=True)
    verifier = token_verifier(settings, issuer)

    assert issuer is not None and isinstance(verifier, LocalVerifier)
    assert not (tmp_path / "dev.pem").exists()
    assert (await verifier.verify(issuer.mint("op", [Role.OPERATOR]))).is_operator


def test_an_unreadable_signing_key_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(AuthConfigError, match=r"MALLBOTS_AUTH_SIGNING_KEY_FILE .*missing.pem cannot be read"):
        local_issuer(_settings(auth_signing_key_file=tmp_path / "missing.pem"))
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    with pytest.raises(AuthConfigError, match="is not an unencrypted PEM private key"):
        local_issuer(_settings(auth_signing_key_file=garbage))


def test_an_oidc_issuer_means_no_local_issuer() -> None:
    settings = _settings(auth_issuer="https://idp.example/realms/mall", auth_audience="mall-api")

    assert local_issuer(settings, ephemeral=True) is None
    verifier = token_verifier(settings, None)
    assert isinstance(verifier, OidcVerifier)
    assert (verifier.issuer, verifier.audience) == ("https://idp.example/realms/mall", "mall-api")


def test_authentication_off_is_said_loudly(caplog: pytest.LogCaptureFixture) -> None:
    settings = _settings(auth=False)

    with caplog.at_level(logging.WARNING):
        assert local_issuer(settings, ephemeral=True) is None
        assert token_verifier(settings, None) is None

    assert AUTH_OFF_WARNING in caplog.text
