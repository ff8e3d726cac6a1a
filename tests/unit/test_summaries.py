from __future__ import annotations

import pytest

from workflows.ordering.order_workflow import OrderWorkflow
from workflows.shared.summaries import MAX_SUMMARY_BYTES, counted, summary


@pytest.mark.parametrize("text", ["Store Waldorf · Upper East", "x" * MAX_SUMMARY_BYTES])
def test_a_summary_that_fits_is_kept(text: str) -> None:
    assert summary(text) == text


@pytest.mark.parametrize("char", ["x", "é", "東", "🛒"])
def test_a_long_summary_is_cut_on_a_character_within_temporals_limit(char: str) -> None:
    cut = summary("Store " + char * MAX_SUMMARY_BYTES)
    assert len(cut.encode()) <= MAX_SUMMARY_BYTES
    assert cut.endswith("…") and cut.startswith("Store " + char)
    assert char * 10 in cut


@pytest.mark.parametrize(("count", "said"), [(0, "0 items"), (1, "1 item"), (2, "2 items"), (40, "40 items")])
def test_a_count_takes_its_plural_only_when_not_one(count: int, said: str) -> None:
    assert counted(count, "item") == said


def test_an_orders_summary_says_1_item_not_1_items() -> None:
    from decimal import Decimal

    assert OrderWorkflow.summary("3f2a9c1d-0000", 1, Decimal("9.99")) == "Order 3f2a9c1d… · 1 item · 9.99"
