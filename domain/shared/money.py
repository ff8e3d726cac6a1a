from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import PlainSerializer

from domain.shared.errors import InvalidArgument

CENT = Decimal("0.01")

# Bounds keep every amount, and every total made of them, exact in NUMERIC(18, 2) columns: a price or
# payment beyond them is refused as input instead of failing a projection forever later.
MAX_PRICE = Decimal("1000000.00")
MAX_QUANTITY = 1000
MAX_PAYMENT = Decimal("1000000000.00")
# The largest total an order can have: MAX_LINES lines of MAX_QUANTITY at MAX_PRICE (4e10), within NUMERIC(18, 2).
MAX_TOTAL = Decimal("9999999999999999.99")

# Exact in code and in Postgres (NUMERIC); a JSON number (not a string) on the wire.
Money = Annotated[Decimal, PlainSerializer(lambda d: float(d), return_type=float, when_used="json")]


def money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT)


def cents(value: Decimal, what: str) -> Decimal:
    """``value`` in whole cents, or refused: rounding a price or a payment would change what was asked."""
    exact = value.quantize(CENT)
    if exact != value:
        raise InvalidArgument(f"the {what} cannot have fractions of a cent")
    return exact
