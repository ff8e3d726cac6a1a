"""A rejection's free-text reason → the small fixed set of categories the metrics label orders with.

Every reason is produced by the rule that words it (not copied here), so a reworded rule fails this test
rather than turning into ``other`` on the dashboard."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from domain.baskets import model as baskets
from domain.customers import model as customers
from domain.depot import model as depot
from domain.ordering import model as ordering
from domain.ordering.rejections import RejectionCategory, rejection_category
from domain.payments import model as payments
from domain.shared.errors import DomainError
from domain.shared.lines import MAX_LINES

C = RejectionCategory
STORE = depot.DepotStore(id="s-1", name="Corner Shop", location="Level 1", participating=True)
PRODUCT = depot.DepotProduct(id="p-1", store_id="s-1", name="Widget")
WANT = depot.Wanted(product_id="p-1", store_id="s-1", quantity=1)
PAYMENT = payments.Payment(id="pay-1", customer_id="c-1", amount=Decimal("10.00"))


def _catalog(**changes: Any) -> baskets.CatalogProduct:
    fields: dict[str, Any] = {
        "id": "p-1",
        "store_id": "s-1",
        "store_name": "Corner Shop",
        "name": "Widget",
        "price": Decimal("1.00"),
        "store_participating": True,
    }
    return baskets.CatalogProduct(**{**fields, **changes})


def _shopping_list(stores: dict[str, depot.DepotStore], products: dict[str, depot.DepotProduct]) -> None:
    depot.create_shopping_list("l-1", "o-1", [WANT], stores, products)


def _reserve(payment: payments.Payment | None, customer: str = "c-1", total: str = "5.00") -> None:
    payments.reserve_payment(payment, "pay-1", customer, "o-1", Decimal(total))


def _used(status: payments.PaymentStatus, order_id: str | None) -> payments.Payment:
    return PAYMENT.model_copy(update={"status": status, "order_id": order_id})


# (what the saga's step does wrong, the category) — every rule a saga step (or the direct order's pricing) breaks.
BROKEN_RULES: list[tuple[str, Callable[[], object], RejectionCategory]] = [
    ("customer not registered", lambda: customers.authorize_customer(None, "c-1"), C.CUSTOMER_UNKNOWN),
    (
        "customer disabled",
        lambda: customers.authorize_customer(
            customers.Customer(id="c-1", name="A", sms_number="1", enabled=False), "c-1"
        ),
        C.CUSTOMER_DISABLED,
    ),
    ("payment unknown", lambda: _reserve(None), C.PAYMENT_UNKNOWN),
    ("someone else's payment", lambda: _reserve(PAYMENT, customer="c-2"), C.PAYMENT_FOREIGN),
    ("payment short", lambda: _reserve(PAYMENT, total="10.01"), C.PAYMENT_SHORT),
    ("payment expired", lambda: _reserve(_used(payments.PaymentStatus.EXPIRED, None)), C.PAYMENT_EXPIRED),
    (
        "payment reserved by another order",
        lambda: _reserve(_used(payments.PaymentStatus.RESERVED, "o-2")),
        C.PAYMENT_UNAVAILABLE,
    ),
    ("payment captured", lambda: _reserve(_used(payments.PaymentStatus.CAPTURED, "o-2")), C.PAYMENT_UNAVAILABLE),
    ("payment released", lambda: _reserve(_used(payments.PaymentStatus.RELEASED, None)), C.PAYMENT_UNAVAILABLE),
    ("product unknown to depot", lambda: _shopping_list({"s-1": STORE}, {}), C.PRODUCT_UNAVAILABLE),
    (
        "product removed",
        lambda: _shopping_list({"s-1": STORE}, {"p-1": PRODUCT.model_copy(update={"removed": True})}),
        C.PRODUCT_UNAVAILABLE,
    ),
    (
        "product of another store",
        lambda: _shopping_list({"s-1": STORE}, {"p-1": PRODUCT.model_copy(update={"store_id": "s-2"})}),
        C.PRODUCT_UNAVAILABLE,
    ),
    ("store unknown to depot", lambda: _shopping_list({}, {"p-1": PRODUCT}), C.STORE_UNKNOWN),
    (
        "store left the mall",
        lambda: _shopping_list({"s-1": STORE.model_copy(update={"participating": False})}, {"p-1": PRODUCT}),
        C.STORE_NOT_PARTICIPATING,
    ),
    ("no items for the list", lambda: depot.create_shopping_list("l-1", "o-1", [], {}, {}), C.INVALID_ORDER),
    ("pricing: product unknown", lambda: baskets.priced_line(None, "p-1", 1), C.PRODUCT_UNAVAILABLE),
    (
        "pricing: store left the mall",
        lambda: baskets.priced_line(_catalog(store_participating=False), "p-1", 1),
        C.STORE_NOT_PARTICIPATING,
    ),
    ("order without items", lambda: ordering.validate_request("c-1", "pay-1", {}), C.INVALID_ORDER),
    (
        "order with too many lines",
        lambda: ordering.validate_request("c-1", "pay-1", {f"p-{i}": 1 for i in range(MAX_LINES + 1)}),
        C.INVALID_ORDER,
    ),
]


def _reason(broken: Callable[[], object]) -> str:
    with pytest.raises(DomainError) as raised:
        broken()
    return raised.value.message


@pytest.mark.parametrize(("case", "broken", "category"), BROKEN_RULES, ids=[c[0] for c in BROKEN_RULES])
def test_each_rule_the_saga_can_break_has_its_category(
    case: str, broken: Callable[[], object], category: RejectionCategory
) -> None:
    reason = _reason(broken)
    assert rejection_category(reason) is category, f"{case}: {reason!r}"


@pytest.mark.parametrize(
    ("reason", "category"),
    [
        # confirm_payment's own words for a payment whose workflow has closed (activities/payments/payments.py)
        ("the payment pay-1 is expired", C.PAYMENT_EXPIRED),
        ("the payment pay-1 is released", C.PAYMENT_UNAVAILABLE),
        # Names are free text: only the rule's own wording decides.
        ("the store Is Disabled Ltd is not participating in the mall", C.STORE_NOT_PARTICIPATING),
        ("the store Ghost (does not exist) is not participating in the mall", C.STORE_NOT_PARTICIPATING),
    ],
)
def test_the_wording_of_the_activities_and_free_text_names(reason: str, category: RejectionCategory) -> None:
    assert rejection_category(reason) is category


@pytest.mark.parametrize("reason", ["", "boom", "the customer is disabled", "The customer c-1 is disabled", "x" * 5000])
def test_any_other_reason_is_other(reason: str) -> None:
    assert rejection_category(reason) is C.OTHER


def test_the_categories_are_few_and_are_valid_label_values() -> None:
    values = [c.value for c in RejectionCategory]
    assert len(values) == len(set(values)) <= 16
    assert all(v.isidentifier() and v == v.lower() for v in values)
