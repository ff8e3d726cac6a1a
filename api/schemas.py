"""Wire format: lowerCamelCase JSON, money as JSON numbers, errors as grpc-gateway's ``{code, message, details}``;
and the request fields, each declared once with the bounds the OpenAPI document shows and the domain rule
that enforces them (the rule's message is the 400's: "the store name cannot contain control characters")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel

from domain.customers.model import SMS_PATTERN
from domain.search import MAX_FILTER_IDS, MAX_FILTER_TOTAL
from domain.shared.lines import MAX_LINES
from domain.shared.money import MAX_PAYMENT, MAX_PRICE, MAX_QUANTITY
from domain.shared.text import (
    ID_PATTERN,
    MAX_DESCRIPTION,
    MAX_ID,
    MAX_LOCATION,
    MAX_NAME,
    MAX_SKU,
    MAX_SMS_INPUT,
    MULTILINE_PATTERN,
    NO_CONTROLS_PATTERN,
    TEXT_PATTERN,
    optional_text,
    require_id,
    require_text,
)


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, from_attributes=True)


class RequestModel(ApiModel):
    """A request as proto3 reads it (the book's gateway): every field may be left out or be null, and is then
    its zero value, for the domain rule to answer ("the store name cannot be blank"), not a schema error. A
    field the API needs is still *required* in the OpenAPI document, so a generated client sends it.

    A zero value skips the field's validator (a customer or bot ID left out means the caller), so a route whose
    entity would answer a closed state first checks its required fields itself (``require_id``)."""

    @model_validator(mode="before")
    @classmethod
    def _null_is_zero(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


class IdResponse(ApiModel):
    id: str


class ErrorResponse(ApiModel):
    """grpc-gateway's error body (``google.rpc.Status``), so a client written for the book reads ours."""

    code: int = Field(description="the gRPC status code that matches the HTTP status (see GRPC_CODES)")
    message: str
    details: list[dict[str, Any]] = []


# The gRPC code grpc-gateway maps to each HTTP status we answer (runtime.HTTPStatusFromCode, inverted).
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 409: 10, 413: 8, 422: 9, 500: 13, 503: 14, 504: 4}


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"code": GRPC_CODES.get(status, 2), "message": message, "details": []}


def _responses(*statuses: tuple[int, str]) -> dict[int | str, dict[str, Any]]:
    return {status: {"model": ErrorResponse, "description": description} for status, description in statuses}


ERROR_RESPONSES = _responses(
    (400, "invalid input, nothing written"),
    (401, "no bearer token, or one that does not verify (expired, another issuer or audience)"),
    (403, "the token's role may not do this"),
    (404, "unknown ID, or not the caller's"),
    (409, "not allowed in the current state"),
    (413, "request body too large"),
    (422, "an Idempotency-Key reused for a different request"),
    (503, "a dependency is unavailable or the command took too long; retry after Retry-After seconds"),
)


# ---- the rules, as validators: a broken rule raises the domain's InvalidArgument, answered as a 400 ----


def _text(what: str, max_length: int = MAX_NAME) -> Callable[[str], str]:
    return lambda value: require_text(value, what, max_length)


def _optional(what: str, max_length: int, multiline: bool = False) -> Callable[[str], str]:
    return lambda value: optional_text(value, what, max_length, multiline=multiline)


def _id(what: str) -> Callable[[str], str]:
    return lambda value: require_id(value, what)


def _text_schema(max_length: int, pattern: str = TEXT_PATTERN, min_length: int = 1) -> dict[str, Any]:
    return {"minLength": min_length, "maxLength": max_length, "pattern": pattern}


_ID_SCHEMA: dict[str, Any] = {"minLength": 1, "maxLength": MAX_ID, "pattern": ID_PATTERN}

StoreName = Annotated[str, Field(json_schema_extra=_text_schema(MAX_NAME)), AfterValidator(_text("store name"))]
StoreLocation = Annotated[
    str,
    Field(json_schema_extra=_text_schema(MAX_LOCATION)),
    AfterValidator(_text("store location", MAX_LOCATION)),
]
ProductName = Annotated[str, Field(json_schema_extra=_text_schema(MAX_NAME)), AfterValidator(_text("product name"))]
ProductDescription = Annotated[
    str,
    Field(json_schema_extra=_text_schema(MAX_DESCRIPTION, MULTILINE_PATTERN, 0)),
    AfterValidator(_optional("product description", MAX_DESCRIPTION, multiline=True)),
]
Sku = Annotated[
    str,
    Field(json_schema_extra=_text_schema(MAX_SKU, NO_CONTROLS_PATTERN, 0)),
    AfterValidator(_optional("SKU", MAX_SKU)),
]
CustomerName = Annotated[str, Field(json_schema_extra=_text_schema(MAX_NAME)), AfterValidator(_text("customer name"))]
SmsNumber = Annotated[
    str,
    Field(json_schema_extra={"minLength": 5, "maxLength": MAX_SMS_INPUT, "pattern": SMS_PATTERN}),
    AfterValidator(_text("SMS number", MAX_SMS_INPUT)),
]
CustomerId = Annotated[str, Field(json_schema_extra=_ID_SCHEMA), AfterValidator(_id("customer ID"))]
PaymentId = Annotated[str, Field(json_schema_extra=_ID_SCHEMA), AfterValidator(_id("payment ID"))]
ProductId = Annotated[str, Field(json_schema_extra=_ID_SCHEMA), AfterValidator(_id("product ID"))]
BotId = Annotated[str, Field(json_schema_extra=_ID_SCHEMA), AfterValidator(_id("bot ID"))]
OrderId = Annotated[str, Field(json_schema_extra=_ID_SCHEMA), AfterValidator(_id("order ID"))]
StoreId = Annotated[str, Field(json_schema_extra=_ID_SCHEMA), AfterValidator(_id("store ID"))]

# Numbers are JSON numbers, dates RFC 3339 strings: "19.99" (a string) is not a price and 0 is not a date,
# whatever pydantic would make of them. Bounds: the domain rules refuse what is beyond them, with their messages.


def _json_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a JSON number")
    return value


def _json_integer(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | Decimal) or value != int(value):
        raise ValueError("must be a whole JSON number")
    return int(value)


def _json_datetime(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 date-time string, e.g. 2026-11-28T10:00:00Z")
    return value


def _money(**bounds: Any) -> Any:
    return WithJsonSchema({"type": "number", "multipleOf": 0.01, **bounds})


Price = Annotated[Decimal, BeforeValidator(_json_number), _money(minimum=0, maximum=float(MAX_PRICE))]


def _money_json(value: float) -> float | int:
    """Money as the book's gateway writes a double (Go's encoding/json): ``20``, ``9.99`` — never ``20.0``."""
    return int(value) if float(value).is_integer() else float(value)


# A price, total or amount in an answer: exact in code and in Postgres, a JSON number on the wire.
MoneyOut = Annotated[
    float, PlainSerializer(_money_json, return_type=int | float, when_used="json"), WithJsonSchema({"type": "number"})
]
Amount = Annotated[Decimal, BeforeValidator(_json_number), _money(exclusiveMinimum=0, maximum=float(MAX_PAYMENT))]
Total = Annotated[
    Decimal,
    BeforeValidator(_json_number),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": float(MAX_FILTER_TOTAL)}),
]
Quantity = Annotated[
    int, BeforeValidator(_json_integer), WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY})
]
Limit = Annotated[int, BeforeValidator(_json_integer)]
Moment = Annotated[datetime, BeforeValidator(_json_datetime)]
MAX_ITEMS = MAX_LINES
FilterIds = Annotated[
    list[Annotated[str, Field(json_schema_extra=_ID_SCHEMA)]],
    Field(max_length=MAX_FILTER_IDS),
]


def id_path(what: str) -> Any:
    return Path(json_schema_extra=_ID_SCHEMA, description=f"the {what}")


StoreIdPath = Annotated[str, id_path("store ID"), AfterValidator(_id("store ID"))]
ProductIdPath = Annotated[str, id_path("product ID"), AfterValidator(_id("product ID"))]
CustomerIdPath = Annotated[str, id_path("customer ID"), AfterValidator(_id("customer ID"))]
BasketIdPath = Annotated[str, id_path("basket ID"), AfterValidator(_id("basket ID"))]
OrderIdPath = Annotated[str, id_path("order ID"), AfterValidator(_id("order ID"))]
ShoppingListIdPath = Annotated[str, id_path("shopping list ID"), AfterValidator(_id("shopping list ID"))]
PaymentIdPath = Annotated[str, id_path("payment ID"), AfterValidator(_id("payment ID"))]
InvoiceIdPath = Annotated[str, id_path("invoice ID"), AfterValidator(_id("invoice ID"))]
CustomerIdQuery = Annotated[
    str,
    Query(alias="customerId", json_schema_extra=_ID_SCHEMA),
    AfterValidator(_id("customer ID")),
]
