"""Order search: the filters' rules and the keyset cursor. Pure: no SQL."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, ValidationError

from domain.ordering.model import OrderStatus
from domain.shared.errors import InvalidArgument
from domain.shared.text import require_id

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_FILTER_IDS = 50  # stores or products a search may name
MAX_CURSOR = 200
# Far above any order's total (40 lines of 1000 at 1,000,000.00: 4e10), and exact as a JSON (float) number.
MAX_FILTER_TOTAL = Decimal("1000000000000000")


class OrderFilters(BaseModel):
    model_config = ConfigDict(frozen=True)

    customer_id: str | None = None
    after: datetime | None = None  # created at or after
    before: datetime | None = None  # created strictly before
    store_ids: tuple[str, ...] = ()  # orders with an item of ANY of these stores
    product_ids: tuple[str, ...] = ()  # orders with ANY of these products
    min_total: Decimal | None = None
    max_total: Decimal | None = None
    status: OrderStatus | None = None


class Cursor(BaseModel):
    """Where the previous page ended, in the (created_at DESC, id DESC) order."""

    model_config = ConfigDict(frozen=True)

    created_at: datetime
    id: str


def validate_filters(filters: OrderFilters) -> OrderFilters:
    if filters.customer_id is not None:
        require_id(filters.customer_id, "customer ID")
    for what, ids in (("store IDs", filters.store_ids), ("product IDs", filters.product_ids)):
        if len(ids) > MAX_FILTER_IDS:
            raise InvalidArgument(f"a search names at most {MAX_FILTER_IDS} {what}")
        for one in ids:
            require_id(one, what.removesuffix("s"))
    for moment in (filters.after, filters.before):
        if moment is not None and moment.tzinfo is None:
            raise InvalidArgument("after and before need a time zone (e.g. 2026-11-28T10:00:00Z)")
    if filters.after and filters.before and filters.after >= filters.before:
        raise InvalidArgument("after must be earlier than before")
    if filters.min_total is not None and filters.max_total is not None and filters.min_total > filters.max_total:
        raise InvalidArgument("minTotal cannot be more than maxTotal")
    for total in (filters.min_total, filters.max_total):
        if total is not None and (not total.is_finite() or total < 0):
            raise InvalidArgument("minTotal and maxTotal must be zero or more")
        if total is not None and total > MAX_FILTER_TOTAL:
            raise InvalidArgument(f"minTotal and maxTotal cannot be more than {MAX_FILTER_TOTAL}")
    return filters


def validate_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidArgument(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def encode_cursor(cursor: Cursor) -> str:
    raw = json.dumps({"c": cursor.created_at.isoformat(), "i": cursor.id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> Cursor:
    if len(token) > MAX_CURSOR:
        raise InvalidArgument("next is not a cursor this API gave out")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        cursor = Cursor(created_at=data["c"], id=data["i"])
    except (binascii.Error, ValueError, KeyError, TypeError, ValidationError) as err:
        raise InvalidArgument("next is not a cursor this API gave out") from err
    if cursor.created_at.tzinfo is None:
        raise InvalidArgument("next is not a cursor this API gave out")
    try:
        require_id(cursor.id, "cursor")
    except InvalidArgument as err:
        raise InvalidArgument("next is not a cursor this API gave out") from err
    return cursor
