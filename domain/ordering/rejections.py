"""Why an order was rejected, as one of a few categories: a metric label must not be free text.

A rejection's reason is the message of the rule the saga broke (``domain.*.model``), which quotes IDs,
store names and amounts; a label of it would make one time series per order. The category keeps what an
operator acts on (customers turned away, payments short, a store that left the mall) and nothing else.
The patterns follow the rules' own messages; ``tests/unit/test_rejection_categories.py`` raises every rule
the saga can break and checks its category, so a reworded message is noticed there, not on a dashboard.
"""

from __future__ import annotations

import re
from enum import StrEnum


class RejectionCategory(StrEnum):
    CUSTOMER_UNKNOWN = "customer_unknown"
    CUSTOMER_DISABLED = "customer_disabled"
    PAYMENT_UNKNOWN = "payment_unknown"
    PAYMENT_FOREIGN = "payment_foreign"  # another customer's
    PAYMENT_SHORT = "payment_short"  # does not cover the total
    PAYMENT_EXPIRED = "payment_expired"
    PAYMENT_UNAVAILABLE = "payment_unavailable"  # reserved by another order, captured or released
    PRODUCT_UNAVAILABLE = "product_unavailable"  # unknown, removed, or not sold by that store
    STORE_UNKNOWN = "store_unknown"
    STORE_NOT_PARTICIPATING = "store_not_participating"
    INVALID_ORDER = "invalid_order"  # no items, too many lines
    OTHER = "other"


# First match wins; each pattern must match the whole reason (names and IDs in it are free text).
_PATTERNS: tuple[tuple[re.Pattern[str], RejectionCategory], ...] = tuple(
    (re.compile(pattern, re.DOTALL), category)
    for pattern, category in (
        (r"the customer .+ is not registered", RejectionCategory.CUSTOMER_UNKNOWN),
        (r"the customer .+ is disabled", RejectionCategory.CUSTOMER_DISABLED),
        (r"the payment of .+ does not cover the order total .+", RejectionCategory.PAYMENT_SHORT),
        (r"the payment .+ belongs to another customer", RejectionCategory.PAYMENT_FOREIGN),
        (r"the payment .+ does not exist", RejectionCategory.PAYMENT_UNKNOWN),
        (r"the payment .+ is expired( by order .+)?", RejectionCategory.PAYMENT_EXPIRED),
        (r"the payment .+ is (reserved|captured|released)( by order .+)?", RejectionCategory.PAYMENT_UNAVAILABLE),
        (r"the product .+ does not exist", RejectionCategory.PRODUCT_UNAVAILABLE),
        (r"the product .+ is not sold by store .+", RejectionCategory.PRODUCT_UNAVAILABLE),
        (r"the store .+ is not participating in the mall", RejectionCategory.STORE_NOT_PARTICIPATING),
        (r"the store .+ does not exist", RejectionCategory.STORE_UNKNOWN),
        (r"the (order|shopping list) has no items", RejectionCategory.INVALID_ORDER),
        (r"an order holds at most \d+ different products", RejectionCategory.INVALID_ORDER),
        (r"a basket holds at most \d+ different products", RejectionCategory.INVALID_ORDER),
    )
)


def rejection_category(reason: str) -> RejectionCategory:
    """The category of a rejection's reason; ``OTHER`` for a reason no rule of the saga words like that."""
    for pattern, category in _PATTERNS:
        if pattern.fullmatch(reason):
            return category
    return RejectionCategory.OTHER
