from __future__ import annotations

import pytest

from workflows.shared.summaries import MAX_SUMMARY_BYTES, summary


@pytest.mark.parametrize("text", ["Store Waldorf · Upper East", "x" * MAX_SUMMARY_BYTES])
def test_a_summary_that_fits_is_kept(text: str) -> None:
    assert summary(text) == text


@pytest.mark.parametrize("char", ["x", "é", "東", "🛒"])
def test_a_long_summary_is_cut_on_a_character_within_temporals_limit(char: str) -> None:
    cut = summary("Store " + char * MAX_SUMMARY_BYTES)
    assert len(cut.encode()) <= MAX_SUMMARY_BYTES
    assert cut.endswith("…") and cut.startswith("Store " + char)
    assert char * 10 in cut
