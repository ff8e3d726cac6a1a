"""Payload privacy: every payload the workers, the API and the tools exchange with Temporal is encrypted.

Temporal stores what it is sent: update arguments, events, activity results, continue-as-new inputs,
summaries, failure messages. Customers' names and SMS numbers travel in those, so ``EncryptionCodec`` seals
each payload with AES-GCM (the ``cryptography`` package) before it leaves the process and opens it when it
comes back. The server, its database and anyone with the Temporal UI see ciphertext; the codec endpoint of
the API (``api.codec``) decodes for an operator who has its token.

An encrypted payload: metadata ``encoding: binary/encrypted`` and ``encryption-key-id: <id>``; data = a random
12-byte nonce + the AES-GCM ciphertext (with its 16-byte tag) of the whole original ``Payload`` (protobuf
bytes, so its own metadata, e.g. ``encoding: json/plain``, is sealed too). The key ID is the associated data:
a payload relabelled with another key's ID does not open.

Keys (``payload_keys``): several may be configured; the first encrypts, all decrypt, so a key is rotated by
putting a new one first and removing the old one only once no history still needs it. Where none is
configured: an ephemeral stack (tests, bench) makes a random key; the embedded dev stack (``mallbots up``)
makes one once and keeps it in its data directory, so a restart still reads the histories it wrote; anything
else refuses to start. ``MALLBOTS_PAYLOAD_ENCRYPTION=off`` runs in clear, on purpose only, with a WARNING.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from mallbots.settings import Settings

log = logging.getLogger(__name__)

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32  # AES-256
# Key IDs travel in every payload's metadata and in settings lines: short, printable, no separators.
KEY_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# A token may be put in the codec endpoint's URL (the Temporal UI cannot send a static bearer): URL-safe only.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9._~-]{16,512}")
# The embedded dev stack's own secrets, in its data directory (MALLBOTS_DATA_DIR).
DEV_KEYS_FILE = "payload-keys"
DEV_TOKEN_FILE = "codec-token"

ENCRYPTION_OFF_WARNING = (
    "PAYLOAD ENCRYPTION IS OFF (MALLBOTS_PAYLOAD_ENCRYPTION=off): customers' names and SMS numbers go to Temporal "
    "in clear, readable by anyone with the Temporal UI or its database"
)
NO_KEYS = (
    "no payload encryption key is configured: set MALLBOTS_PAYLOAD_KEYS ('id=base64key', 32-byte keys) or "
    "MALLBOTS_PAYLOAD_KEYS_FILE (a mounted file, one 'id=base64key' a line); a new key: `mallbots new-payload-key`. "
    "(MALLBOTS_PAYLOAD_ENCRYPTION=off runs in clear, on purpose only.)"
)


class PrivacyConfigError(RuntimeError):
    """A payload-privacy setting the process cannot start with; the message says which and how to fix it."""


class PayloadKeyError(PrivacyConfigError):
    """A key setting that cannot be used (it names the setting and the entry, never a key's bytes)."""


class MissingPayloadKeys(PrivacyConfigError):
    """A deployment (not the embedded dev stack) started without any key."""


class PayloadDecodeError(ValueError):
    """An encrypted payload that does not open."""


class UnknownPayloadKey(PayloadDecodeError):
    """Encrypted with a key ID that is not configured (removed too early, or another deployment's)."""


@dataclass(frozen=True)
class PayloadKey:
    id: str
    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not KEY_ID_PATTERN.fullmatch(self.id):
            raise PayloadKeyError(f"the key ID {self.id!r} is not 1-64 of A-Z a-z 0-9 . _ : -")
        if len(self.secret) != KEY_BYTES:
            raise PayloadKeyError(f"the key {self.id!r} has {len(self.secret)} bytes; AES-256 needs {KEY_BYTES}")

    @staticmethod
    def generate(key_id: str) -> PayloadKey:
        return PayloadKey(key_id, AESGCM.generate_key(bit_length=KEY_BYTES * 8))

    def line(self) -> str:
        """``id=base64key``: one entry of MALLBOTS_PAYLOAD_KEYS, one line of MALLBOTS_PAYLOAD_KEYS_FILE."""
        return f"{self.id}={base64.b64encode(self.secret).decode('ascii')}"


def format_keys(keys: Sequence[PayloadKey]) -> str:
    """The value of MALLBOTS_PAYLOAD_KEYS for these keys (e.g. for a worker started beside a stack)."""
    return ",".join(key.line() for key in keys)


def _decoded_key(encoded: str) -> bytes:
    text = encoded.strip()
    altchars = b"-_" if ("-" in text or "_" in text) else None
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=altchars, validate=True)


def parse_keys(text: str, source: str = "MALLBOTS_PAYLOAD_KEYS") -> list[PayloadKey]:
    """``id=base64key`` entries separated by commas or lines (blank lines and ``#`` comments skipped); the
    first is the current key. ``source`` names the setting in the error messages."""
    keys: list[PayloadKey] = []
    entries = [entry.strip() for entry in re.split(r"[,\n]", text)]
    for number, entry in enumerate(entries, start=1):
        if not entry or entry.startswith("#"):
            continue
        key_id, separator, encoded = entry.partition("=")
        key_id = key_id.strip()
        if not separator or not key_id:
            raise PayloadKeyError(f"{source}: entry {number} is not 'id=base64key'")
        try:
            secret = _decoded_key(encoded)
        except (binascii.Error, ValueError):
            raise PayloadKeyError(f"{source}: the key {key_id!r} is not base64") from None
        try:
            key = PayloadKey(key_id, secret)
        except PayloadKeyError as err:
            raise PayloadKeyError(f"{source}: {err}") from None
        if any(k.id == key.id for k in keys):
            raise PayloadKeyError(f"{source}: the key ID {key.id!r} is given twice")
        keys.append(key)
    if not keys:
        raise PayloadKeyError(f"{source} holds no key")
    return keys


def read_key_file(path: Path, source: str = "MALLBOTS_PAYLOAD_KEYS_FILE") -> list[PayloadKey]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise PayloadKeyError(f"{source}: cannot read {path}: {err.strerror or err}") from None
    return parse_keys(text, f"{source} ({path})")


def create_secret_file(path: Path, content: str) -> bool:
    """Writes ``content`` to a new file only its owner reads; False when the file already exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as written:
        written.write(content)
    return True


def dev_stack_keys(path: Path) -> list[PayloadKey]:
    """The embedded dev stack's keys, made once and kept (a restart must still read its histories)."""
    key = PayloadKey.generate(f"dev-{secrets.token_hex(4)}")
    if create_secret_file(path, key.line() + "\n"):
        log.info("made a payload encryption key for the dev stack, kept in %s", path)
    return read_key_file(path, "the dev stack's key file")


def payload_keys(
    settings: Settings, *, dev_keys: Path | None = None, ephemeral: bool = False
) -> list[PayloadKey] | None:
    """This process's keys, the current one first; None = encryption off (on purpose, logged loudly).

    Configured keys always win. Without any: ``ephemeral`` (a throw-away stack) = a random key; ``dev_keys``
    (the embedded dev stack's key file) = the key kept there, made on the first start; else refused."""
    if not settings.payload_encryption:
        log.warning(ENCRYPTION_OFF_WARNING)
        return None
    if settings.payload_keys is not None and settings.payload_keys_file is not None:
        raise PayloadKeyError("set MALLBOTS_PAYLOAD_KEYS or MALLBOTS_PAYLOAD_KEYS_FILE, not both")
    if settings.payload_keys is not None:
        return parse_keys(settings.payload_keys.get_secret_value())
    if settings.payload_keys_file is not None:
        return read_key_file(settings.payload_keys_file)
    if ephemeral:
        return [PayloadKey.generate(f"ephemeral-{secrets.token_hex(4)}")]
    if dev_keys is not None:
        return dev_stack_keys(dev_keys)
    raise MissingPayloadKeys(NO_KEYS)


def codec_token(settings: Settings, *, dev_token: Path | None = None, ephemeral: bool = False) -> str | None:
    """The codec endpoint's bearer secret; None = no codec endpoint is served.

    ``MALLBOTS_CODEC_TOKEN`` wins; otherwise an ephemeral stack makes a random one and the dev stack makes one
    once and keeps it in ``dev_token``. A deployment without a token simply serves no codec endpoint."""
    if settings.codec_token is not None:
        token = settings.codec_token.get_secret_value()
        if not TOKEN_PATTERN.fullmatch(token):
            raise PrivacyConfigError(
                "MALLBOTS_CODEC_TOKEN must be 16-512 URL-safe characters (A-Z a-z 0-9 . _ ~ -), e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`"
            )
        return token
    if ephemeral:
        return secrets.token_urlsafe(32)
    if dev_token is None:
        return None
    create_secret_file(dev_token, secrets.token_urlsafe(32) + "\n")
    token = dev_token.read_text(encoding="utf-8").strip()
    if not TOKEN_PATTERN.fullmatch(token):
        raise PrivacyConfigError(f"{dev_token} does not hold a codec token: remove it, a new one is made")
    return token


class EncryptionCodec(PayloadCodec):
    """AES-GCM over each whole payload. Payloads that are not encrypted decode untouched (histories written
    before encryption was turned on, or with it off), so turning it on needs no migration."""

    def __init__(self, keys: Sequence[PayloadKey]) -> None:
        if not keys:
            raise PayloadKeyError("the codec needs at least one key")
        self._current = keys[0].id
        self._ciphers = {key.id: AESGCM(key.secret) for key in keys}

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._ciphers)

    @property
    def current_key_id(self) -> str:
        return self._current

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(payload) for payload in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(payload) for payload in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key_id = self._current.encode()
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[self._current].encrypt(nonce, payload.SerializeToString(), key_id)
        return Payload(metadata={"encoding": ENCODING, KEY_ID: key_id}, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        raw_id = payload.metadata.get(KEY_ID, b"")
        key_id = raw_id.decode("utf-8", errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            configured = ", ".join(self._ciphers)
            raise UnknownPayloadKey(
                f"a payload is encrypted with the key {key_id!r}, which is not configured (configured: {configured}); "
                "add it (after the current key) to MALLBOTS_PAYLOAD_KEYS or MALLBOTS_PAYLOAD_KEYS_FILE"
            )
        if len(payload.data) < NONCE_BYTES + TAG_BYTES:
            raise PayloadDecodeError(f"a payload encrypted with the key {key_id!r} is truncated")
        try:
            plain = cipher.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], raw_id)
        except InvalidTag:
            raise PayloadDecodeError(
                f"a payload encrypted with the key {key_id!r} does not open: it was altered, or the key configured "
                "under that ID is not the one that encrypted it"
            ) from None
        return Payload.FromString(plain)
