"""The pure rules of order search (domain/search.py): the keyset cursor, the filters and the page size."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.ordering.model import OrderStatus
from domain.search import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Cursor,
    OrderFilters,
    decode_cursor,
    encode_cursor,
    validate_filters,
    validate_limit,
)
from domain.shared.errors import InvalidArgument

NOON = datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=UTC)
NOT_OURS = "next is not a cursor this API gave out"


def _token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


# --- the cursor ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        Cursor(created_at=NOON, id="3f2a9c1e-0000-4000-8000-000000000001"),
        Cursor(created_at=NOON.replace(microsecond=0), id="a"),
        Cursor(created_at=datetime(2026, 1, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5))), id="x.y:z_1-2"),
        Cursor(created_at=datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), id="Z" * 64),
    ],
)
def test_a_cursor_decodes_to_the_same_position_it_was_encoded_from(cursor: Cursor) -> None:
    decoded = decode_cursor(encode_cursor(cursor))

    assert decoded == cursor
    assert decoded.created_at.utcoffset() == cursor.created_at.utcoffset()  # the same instant, to the microsecond


@pytest.mark.parametrize("order_id", ["", "x/y+z=é", "a\x00b", "Z" * 65])
def test_a_cursor_naming_no_order_id_this_api_gives_out_is_refused(order_id: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^next is not a cursor this API gave out$"):
        decode_cursor(encode_cursor(Cursor(created_at=NOON, id=order_id)))


def test_an_overlong_cursor_is_refused_before_it_is_decoded() -> None:
    with pytest.raises(InvalidArgument, match=r"^next is not a cursor this API gave out$"):
        decode_cursor("A" * 201)


def test_a_cursor_is_url_safe_text_that_does_not_show_its_contents() -> None:
    token = encode_cursor(Cursor(created_at=NOON, id="order-with/odd+chars?"))

    assert token.isascii()
    assert not set(token) & set("+/=?&# ")
    assert "order" not in token and "2026" not in token


def test_cursors_of_different_positions_differ() -> None:
    first = encode_cursor(Cursor(created_at=NOON, id="a"))

    assert first != encode_cursor(Cursor(created_at=NOON, id="b"))
    assert first != encode_cursor(Cursor(created_at=NOON + timedelta(microseconds=1), id="a"))


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-cursor",
        "====",
        "é",
        "e30",  # {}
        _token(b"\xff\xfe\xfd"),
        _token(b"null"),
        _token(b"[1, 2]"),
        _token(b'"a string"'),
        _token(b'{"c": "2026-11-28T12:00:00Z"}'),
        _token(b'{"i": "order-1"}'),
        _token(b'{"c": "yesterday", "i": "order-1"}'),
        _token(b'{"c": "2026-11-28T12:00:00", "i": "order-1"}'),  # no time zone: which instant?
        _token(b'{"c": "2026-11-28T12:00:00Z", "i": 5}'),
        _token(b'{"c": "2026-11-28T12:00:00Z", "i": null}'),
        _token(json.dumps({"c": NOON.isoformat(), "i": ["order-1"]}).encode()),
    ],
)
def test_a_malformed_cursor_is_refused_as_invalid_input(token: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        decode_cursor(token)

    assert refused.value.message == NOT_OURS


# --- the filters --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [
        OrderFilters(),
        OrderFilters(customer_id="c-1", status=OrderStatus.APPROVED),
        OrderFilters(store_ids=("s-1", "s-2"), product_ids=("p-1",)),
        OrderFilters(after=NOON),
        OrderFilters(before=NOON),
        OrderFilters(after=NOON, before=NOON + timedelta(microseconds=1)),
        OrderFilters(after=NOON, before=NOON.astimezone(timezone(timedelta(hours=9))) + timedelta(seconds=1)),
        OrderFilters(min_total=Decimal("0")),
        OrderFilters(max_total=Decimal("0")),
        OrderFilters(min_total=Decimal("9.99"), max_total=Decimal("9.99")),
        OrderFilters(min_total=Decimal("1"), max_total=Decimal("1000000")),
    ],
)
def test_sensible_filters_are_accepted_unchanged(filters: OrderFilters) -> None:
    assert validate_filters(filters) == filters


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (OrderFilters(after=NOON, before=NOON - timedelta(seconds=1)), "after must be earlier than before"),
        (OrderFilters(after=NOON, before=NOON), "after must be earlier than before"),
        (
            # the same instant written in two time zones is still an empty window
            OrderFilters(after=NOON, before=NOON.astimezone(timezone(timedelta(hours=-3)))),
            "after must be earlier than before",
        ),
        (OrderFilters(after=NOON.replace(tzinfo=None)), "after and before need a time zone"),
        (OrderFilters(before=NOON.replace(tzinfo=None)), "after and before need a time zone"),
        (OrderFilters(min_total=Decimal("10.01"), max_total=Decimal("10")), "minTotal cannot be more than maxTotal"),
        (OrderFilters(min_total=Decimal("-0.01")), "minTotal and maxTotal must be zero or more"),
        (OrderFilters(max_total=Decimal("-5")), "minTotal and maxTotal must be zero or more"),
    ],
)
def test_contradictory_or_meaningless_filters_are_refused_with_a_reason(filters: OrderFilters, message: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        validate_filters(filters)

    assert refused.value.message.startswith(message)


@pytest.mark.parametrize("total", ["NaN", "Infinity", "-Infinity"])
def test_a_total_that_is_not_a_finite_number_cannot_even_be_a_filter(total: str) -> None:
    with pytest.raises(ValidationError):
        OrderFilters(min_total=Decimal(total))


def test_filters_are_immutable_so_a_validated_one_stays_valid() -> None:
    filters = validate_filters(OrderFilters(min_total=Decimal("1"), max_total=Decimal("2")))

    with pytest.raises(ValidationError):
        filters.min_total = Decimal("3")  # type: ignore[misc]


# --- the page size ------------------------------------------------------------------------------------


def test_a_page_has_twenty_orders_unless_asked_otherwise() -> None:
    assert validate_limit(None) == DEFAULT_LIMIT == 20


@pytest.mark.parametrize("limit", [1, 2, 20, 99, MAX_LIMIT])
def test_a_page_size_from_one_to_a_hundred_is_accepted(limit: int) -> None:
    assert validate_limit(limit) == limit


@pytest.mark.parametrize("limit", [0, -1, MAX_LIMIT + 1, 10_000])
def test_a_page_size_outside_one_to_a_hundred_is_refused(limit: int) -> None:
    with pytest.raises(InvalidArgument) as refused:
        validate_limit(limit)

    assert refused.value.message == "limit must be between 1 and 100"
