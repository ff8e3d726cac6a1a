"""The codec endpoint: the Temporal web UI (and the ``temporal`` CLI) decode payloads through it.

The protocol the UI speaks (Temporal's "codec server"): ``POST <endpoint>/decode`` and ``POST <endpoint>/encode``,
a ``Payloads`` message as proto3 JSON in and out: ``{"payloads": [{"metadata": {k: base64}, "data": base64}]}``.
The UI calls it from the browser, with ``Content-Type: application/json`` and ``X-Namespace``, so the UI's origin
needs CORS (answered here for the codec paths only, not for the rest of the API).

Its own authorization: a bearer secret (``MALLBOTS_CODEC_TOKEN``), either as ``Authorization: Bearer <token>``
(``temporal workflow show --codec-endpoint …/codec --codec-auth 'Bearer <token>'``, scripts) or as the last path
segment before ``/decode`` (``…/codec/<token>``): the UI sends a bearer only from its own login and only over
HTTPS, so the dev stack points its UI at the path form. No token → 401, a wrong one → 403, in the API's error
shape. Without a configured token the endpoint is not served at all.
"""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from google.protobuf import json_format
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.converter import PayloadCodec

PREFIX = "/codec"
# A history's payloads are bounded by Temporal's blob limit (2 MiB each by default), base64 in JSON.
MAX_CODEC_BODY_BYTES = 4 * 1024 * 1024
# What the UI's fetch sends (a preflight asks for these).
ALLOWED_HEADERS = ("Authorization", "Content-Type", "X-Namespace")


@dataclass(frozen=True)
class CodecServer:
    codec: PayloadCodec
    token: str = field(repr=False)
    cors_origins: Sequence[str] = ()


class CodecCors:
    """CORS for the codec paths only: the UI's origin may call ``/codec/...`` from a browser, nothing else."""

    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=list(origins),
            allow_methods=["POST"],
            allow_headers=list(ALLOWED_HEADERS),
            allow_credentials=True,  # the UI's "include cross-origin credentials" option
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope.get("path", "")).startswith(f"{PREFIX}/"):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _refuse(status: int, message: str) -> HTTPException:
    headers = {"WWW-Authenticate": 'Bearer realm="codec"'} if status == 401 else None
    return HTTPException(status, message, headers=headers)


def _authorize(server: CodecServer, presented: str | None) -> None:
    # The static bearer stands in for an operator's right to read personal data. Once the API verifies JWTs
    # (issue 13, authentication), this becomes "the caller's verified token has the operator role" — the UI then
    # passes the operator's own access token ("pass the user access token") — and the static token goes.
    if not presented:
        raise _refuse(401, "the codec endpoint needs a bearer token (Authorization: Bearer <MALLBOTS_CODEC_TOKEN>)")
    if not hmac.compare_digest(presented.encode(), server.token.encode()):
        raise _refuse(403, "the codec token is not valid")


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


async def _payloads_of(request: Request) -> list[Payload]:
    try:
        body = json.loads(await request.body() or b"{}")
        if not isinstance(body, dict):
            raise ValueError("not an object")
        return list(json_format.ParseDict(body, Payloads(), ignore_unknown_fields=True).payloads)
    except (ValueError, json_format.ParseError) as err:
        raise HTTPException(400, f'the body is not {{"payloads": [...]}} in proto3 JSON: {err}') from None


def _as_json(payloads: Sequence[Payload]) -> dict[str, Any]:
    """Proto3 JSON of ``Payloads``, written out so an empty list stays ``[]`` (the UI reads ``payloads``)."""

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii")

    return {
        "payloads": [
            {"metadata": {key: b64(value) for key, value in p.metadata.items()}, "data": b64(p.data)} for p in payloads
        ]
    }


def install_codec_server(app: FastAPI, server: CodecServer) -> None:
    router = APIRouter(prefix=PREFIX, tags=["codec"], include_in_schema=False)

    async def convert(request: Request, operation: str, presented: str | None) -> JSONResponse:
        _authorize(server, presented)
        payloads = await _payloads_of(request)
        try:
            converted = await (server.codec.decode if operation == "decode" else server.codec.encode)(payloads)
        except ValueError as err:  # a payload that does not open: unknown key ID, altered ciphertext
            raise HTTPException(400, str(err)) from None
        return JSONResponse(_as_json(converted))

    @router.post("/decode")
    async def decode(request: Request) -> JSONResponse:
        return await convert(request, "decode", _bearer(request))

    @router.post("/encode")
    async def encode(request: Request) -> JSONResponse:
        return await convert(request, "encode", _bearer(request))

    @router.post("/{token}/decode")
    async def decode_with_path_token(token: str, request: Request) -> JSONResponse:
        return await convert(request, "decode", token)

    @router.post("/{token}/encode")
    async def encode_with_path_token(token: str, request: Request) -> JSONResponse:
        return await convert(request, "encode", token)

    app.include_router(router)
