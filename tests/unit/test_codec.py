"""The payload codec: AES-GCM over each whole payload, a key ID in its metadata, several keys for rotation;
and where its keys come from (settings, a mounted file, the dev stack's data directory, or nowhere)."""

from __future__ import annotations

import base64
import logging
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.contrib.pydantic import pydantic_data_converter

from mallbots.bootstrap import data_converter
from mallbots.codec import (
    DEV_KEYS_FILE,
    ENCODING,
    KEY_ID,
    EncryptionCodec,
    MissingPayloadKeys,
    PayloadDecodeError,
    PayloadKey,
    PayloadKeyError,
    PrivacyConfigError,
    UnknownPayloadKey,
    codec_token,
    format_keys,
    parse_keys,
    payload_keys,
)
from mallbots.settings import Settings

OLD = PayloadKey("2024-old", bytes(range(32)))
NEW = PayloadKey("2025-new", bytes(range(32, 64)))


class Registration(BaseModel):
    name: str
    sms_number: str
    credit: Decimal


REGISTRATION = Registration(name="Ada Lovelace", sms_number="+44 20 7946 0018", credit=Decimal("19.99"))


def plain(value: object) -> Payload:
    (payload,) = pydantic_data_converter.payload_converter.to_payloads([value])
    return payload


def settings(**values: object) -> Settings:
    """Settings from these values only (no environment, no .env file of whoever runs the tests)."""
    defaults = {"payload_keys": None, "payload_keys_file": None, "codec_token": None, "payload_encryption": True}
    return Settings.model_validate({**defaults, **values})


async def test_a_payload_round_trips_and_travels_as_ciphertext_under_its_key_id() -> None:
    codec = EncryptionCodec([NEW, OLD])
    original = plain(REGISTRATION)

    (sealed,) = await codec.encode([original])
    (opened,) = await codec.decode([sealed])

    assert opened == original
    assert dict(sealed.metadata) == {"encoding": ENCODING, KEY_ID: b"2025-new"}
    assert b"Ada" not in sealed.data and b"7946" not in sealed.data and b"json/plain" not in sealed.data
    assert len(sealed.data) == 12 + len(original.SerializeToString()) + 16  # nonce + ciphertext + tag


async def test_each_payload_gets_its_own_nonce() -> None:
    codec = EncryptionCodec([NEW])
    first, second = await codec.encode([plain("same"), plain("same")])
    assert first.data[:12] != second.data[:12]
    assert first.data != second.data


async def test_the_first_key_encrypts_and_an_older_key_still_decrypts_after_a_rotation() -> None:
    (written_before,) = await EncryptionCodec([OLD]).encode([plain(REGISTRATION)])
    rotated = EncryptionCodec([NEW, OLD])

    (read_after,) = await rotated.decode([written_before])
    (written_after,) = await rotated.encode([plain(REGISTRATION)])

    assert read_after == plain(REGISTRATION)
    assert written_after.metadata[KEY_ID] == b"2025-new"


async def test_a_key_id_that_is_not_configured_is_a_clear_error() -> None:
    (sealed,) = await EncryptionCodec([OLD]).encode([plain(REGISTRATION)])

    with pytest.raises(UnknownPayloadKey) as refused:
        await EncryptionCodec([NEW]).decode([sealed])

    message = str(refused.value)
    assert "'2024-old'" in message and "not configured" in message and "2025-new" in message
    assert "MALLBOTS_PAYLOAD_KEYS" in message


@pytest.mark.parametrize("where", ["nonce", "ciphertext", "tag"])
async def test_tampered_ciphertext_does_not_decrypt(where: str) -> None:
    codec = EncryptionCodec([NEW])
    (sealed,) = await codec.encode([plain(REGISTRATION)])
    data = bytearray(sealed.data)
    data[{"nonce": 0, "ciphertext": 20, "tag": -1}[where]] ^= 0x01
    tampered = Payload(metadata=sealed.metadata, data=bytes(data))

    with pytest.raises(PayloadDecodeError, match="does not open"):
        await codec.decode([tampered])


async def test_a_payload_relabelled_with_another_configured_key_id_does_not_decrypt() -> None:
    """The key ID is authenticated (associated data), not merely a hint."""
    codec = EncryptionCodec([NEW, OLD])
    (sealed,) = await codec.encode([plain(REGISTRATION)])
    relabelled = Payload(metadata={**sealed.metadata, KEY_ID: b"2024-old"}, data=sealed.data)

    with pytest.raises(PayloadDecodeError):
        await codec.decode([relabelled])


async def test_a_truncated_payload_is_refused() -> None:
    truncated = Payload(metadata={"encoding": ENCODING, KEY_ID: b"2025-new"}, data=b"short")
    with pytest.raises(PayloadDecodeError, match="truncated"):
        await EncryptionCodec([NEW]).decode([truncated])


async def test_payloads_that_are_not_encrypted_pass_through_decode_untouched() -> None:
    """Histories written in clear (before encryption was on, or with it off) stay readable."""
    clear = [plain(REGISTRATION), plain(None), Payload(metadata={"encoding": b"binary/plain"}, data=b"\x00\x01")]

    decoded = await EncryptionCodec([NEW]).decode(clear)

    assert decoded == clear


async def test_the_data_converter_encrypts_values_and_failure_messages() -> None:
    converter = data_converter([NEW])
    (sealed,) = await converter.encode([REGISTRATION])
    assert sealed.metadata["encoding"] == ENCODING
    assert await converter.decode([sealed], [Registration]) == [REGISTRATION]

    failure = Failure()
    await converter.encode_failure(ValueError("Ada Lovelace is not allowed"), failure)
    assert b"Ada" not in failure.SerializeToString()
    assert "Ada Lovelace is not allowed" in str(await converter.decode_failure(failure))


def test_without_keys_the_converter_is_the_plain_pydantic_one() -> None:
    assert data_converter(None) is pydantic_data_converter


# ---- keys from settings ---------------------------------------------------------------------------


def test_keys_are_parsed_from_the_setting_the_first_one_current() -> None:
    keys = parse_keys(f"{NEW.line()}, {OLD.line()}")
    assert keys == [NEW, OLD]
    assert EncryptionCodec(keys).current_key_id == "2025-new"
    assert parse_keys(format_keys([NEW, OLD])) == [NEW, OLD]


def test_url_safe_and_unpadded_base64_keys_are_accepted() -> None:
    secret = bytes([251] * 32)  # encodes with '+' and '/' in standard base64, '-' and '_' in the URL-safe one
    url_safe = base64.urlsafe_b64encode(secret).decode().rstrip("=")
    assert parse_keys(f"k1={url_safe}") == [PayloadKey("k1", secret)]


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("", "holds no key"),
        ("just-a-key", "is not 'id=base64key'"),
        ("=AAAA", "is not 'id=base64key'"),
        ("k1=not base64!", "is not base64"),
        (f"k1={base64.b64encode(b'short').decode()}", "has 5 bytes; AES-256 needs 32"),
        (f"{NEW.line()},{NEW.line()}", "given twice"),
        (f"bad id={base64.b64encode(bytes(32)).decode()}", "is not 1-64"),
    ],
    ids=["empty", "no separator", "no ID", "not base64", "16 bytes short", "duplicate", "bad ID"],
)
def test_a_key_setting_that_cannot_be_used_says_why_without_the_key(text: str, phrase: str) -> None:
    with pytest.raises(PayloadKeyError) as refused:
        parse_keys(text)
    assert phrase in str(refused.value)
    assert base64.b64encode(NEW.secret).decode() not in str(refused.value)


def test_a_key_never_shows_its_secret_in_its_repr() -> None:
    assert base64.b64encode(NEW.secret).decode() not in repr(NEW)
    assert str(list(NEW.secret)) not in repr(NEW)


def test_keys_come_from_the_setting() -> None:
    assert payload_keys(settings(payload_keys=format_keys([NEW, OLD]))) == [NEW, OLD]


def test_keys_come_from_a_mounted_file_one_a_line_first_line_current(tmp_path: Path) -> None:
    mounted = tmp_path / "keys"
    mounted.write_text(f"# rotated 2025-01-01\n{NEW.line()}\n\n{OLD.line()}\n")
    assert payload_keys(settings(payload_keys_file=mounted)) == [NEW, OLD]


def test_an_unreadable_key_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(PayloadKeyError, match=r"cannot read .*missing"):
        payload_keys(settings(payload_keys_file=tmp_path / "missing"))


def test_both_the_setting_and_the_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PayloadKeyError, match="not both"):
        payload_keys(settings(payload_keys=NEW.line(), payload_keys_file=tmp_path / "keys"))


def test_a_deployment_without_keys_refuses_to_start_and_says_how_to_fix_it() -> None:
    with pytest.raises(MissingPayloadKeys) as refused:
        payload_keys(settings())
    message = str(refused.value)
    assert "MALLBOTS_PAYLOAD_KEYS" in message and "MALLBOTS_PAYLOAD_KEYS_FILE" in message


def test_an_ephemeral_stack_gets_a_fresh_random_key_each_time() -> None:
    first, second = payload_keys(settings(), ephemeral=True), payload_keys(settings(), ephemeral=True)
    assert first is not None and second is not None and len(first) == len(second) == 1
    assert first[0].secret != second[0].secret


def test_the_dev_stack_makes_its_key_once_and_keeps_it_for_the_next_start(tmp_path: Path) -> None:
    kept = tmp_path / "data" / DEV_KEYS_FILE

    first = payload_keys(settings(), dev_keys=kept)
    again = payload_keys(settings(), dev_keys=kept)

    assert first == again and first is not None and first[0].id.startswith("dev-")
    assert kept.stat().st_mode & 0o077 == 0  # readable by its owner only


def test_configured_keys_win_over_the_dev_stacks_own(tmp_path: Path) -> None:
    kept = tmp_path / DEV_KEYS_FILE
    assert payload_keys(settings(payload_keys=NEW.line()), dev_keys=kept, ephemeral=True) == [NEW]
    assert not kept.exists()


def test_encryption_turned_off_on_purpose_is_a_loud_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mallbots.codec"):
        assert payload_keys(settings(payload_encryption="off", payload_keys=NEW.line())) is None
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "PAYLOAD ENCRYPTION IS OFF" in caplog.records[0].getMessage()


# ---- the codec endpoint's token -------------------------------------------------------------------


def test_the_codec_token_comes_from_the_setting_or_the_dev_stack_or_nowhere(tmp_path: Path) -> None:
    assert codec_token(settings(codec_token="s3cret-s3cret-s3cret")) == "s3cret-s3cret-s3cret"
    assert codec_token(settings()) is None  # a deployment without one serves no codec endpoint
    kept = tmp_path / "codec-token"
    made = codec_token(settings(), dev_token=kept)
    assert made is not None and len(made) >= 32 and codec_token(settings(), dev_token=kept) == made
    assert codec_token(settings(), ephemeral=True) != codec_token(settings(), ephemeral=True)


@pytest.mark.parametrize("token", ["short", "has/a/slash/in/it/x", "with space in the middle"])
def test_a_codec_token_that_cannot_go_in_a_url_or_is_too_short_is_refused(token: str) -> None:
    with pytest.raises(PrivacyConfigError, match="URL-safe"):
        codec_token(settings(codec_token=token))
