from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import PlainSerializer

CENT = Decimal("0.01")

# Exact in code and in Postgres (NUMERIC); a JSON number (not a string) on the wire.
Money = Annotated[Decimal, PlainSerializer(lambda d: float(d), return_type=float, when_used="json")]


def money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT)
