from __future__ import annotations

import math
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


# How far from a whole cent a float sum may stray, in units in the last place of that cent amount's float:
# 29.97 summed in float64 prints as 29.970000000000002, two ulps away; a real fraction is billions away.
FLOAT_NOISE_ULPS = 64


def cents(value: Decimal, what: str) -> Decimal:
    """``value`` in whole cents, or refused: rounding a real fraction of a cent would change what was asked.

    One exception, deliberately: a client that computes money in floating point (the book's busywork sums
    prices in float64) sends a whole-cent amount as the float that stands for it, e.g. 29.970000000000002.
    Such a value (exactly a float64's shortest spelling, a few ulps from a whole cent) is that cent
    amount, so it is rounded to it. 29.975 is a real half cent, and 19.990000000000000001 is no float at all
    (a float64 cannot hold that many digits): both are refused."""
    exact = value.quantize(CENT)
    if exact == value:
        return exact
    if value.is_finite() and Decimal(repr(float(value))) == value:
        noise = Decimal(math.ulp(float(exact))) * FLOAT_NOISE_ULPS
        if abs(value - exact) <= noise:
            return exact
    raise InvalidArgument(f"the {what} cannot have fractions of a cent")
