"""The rules every text field and ID of the mall follows (``domain.shared.text``)."""

from __future__ import annotations

import re

import pytest

from domain.shared.errors import InvalidArgument
from domain.shared.text import (
    ID_PATTERN,
    MAX_ID,
    MULTILINE_PATTERN,
    NO_CONTROLS_PATTERN,
    TEXT_PATTERN,
    optional_text,
    require_id,
    require_text,
)

CONTROLS = ["\x00", "\x01", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\ud800", "\udfff"]  # C0, DEL, C1, surrogates
FINE = ["Ada", "Café Zoë", "東京", "🛒 Cart", "O'Brien & Sons", "a\u200db", "x" * 100]


@pytest.mark.parametrize("text", FINE)
def test_ordinary_text_is_kept_trimmed(text: str) -> None:
    assert require_text(f"  {text}\u3000", "store name") == text


@pytest.mark.parametrize("padded", ["\tAda", "Ada\n", "\x85Ada", "Ada\x1f"])
def test_a_control_character_that_trimming_would_drop_is_refused_all_the_same(padded: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^the store name cannot contain control characters$"):
        require_text(padded, "store name")


@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_a_control_character_anywhere_is_refused(control: str, where: str) -> None:
    text = {"start": f"{control}Ada", "middle": f"A{control}da", "end": f"Ada{control}x"}[where]
    with pytest.raises(InvalidArgument, match=r"^the store name cannot contain control characters$"):
        require_text(text, "store name")
    with pytest.raises(InvalidArgument, match=r"^the description cannot contain control characters$"):
        optional_text(text, "description", 1000, multiline=True)


def test_line_breaks_and_tabs_are_kept_only_in_multiline_text() -> None:
    kept = optional_text("two\r\nlines\tand a tab", "description", 100, multiline=True)
    assert kept == "two\r\nlines\tand a tab"
    assert re.match(MULTILINE_PATTERN, kept)
    with pytest.raises(InvalidArgument, match="control characters"):
        optional_text("two\nlines", "SKU", 100)
    with pytest.raises(InvalidArgument, match="control characters"):
        require_text("two\nlines", "store name")


@pytest.mark.parametrize("blank", ["", " ", "\t", " \u3000 ", "\n"])
def test_blank_text_is_refused_as_blank_and_optional_text_may_be_blank(blank: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^the store name cannot be blank$"):
        require_text(blank, "store name")
    assert optional_text(blank, "description", 10, multiline=True) == ""


def test_text_is_bounded_after_trimming() -> None:
    assert require_text(" " + "x" * 100 + " ", "store name") == "x" * 100
    with pytest.raises(InvalidArgument, match=r"^the store name cannot be longer than 100 characters$"):
        require_text("x" * 101, "store name")
    with pytest.raises(InvalidArgument, match=r"^the store location cannot be longer than 5 characters$"):
        require_text("abcdef", "store location", 5)
    with pytest.raises(InvalidArgument, match=r"^the SKU cannot be longer than 3 characters$"):
        optional_text("abcd", "SKU", 3)


@pytest.mark.parametrize("good", ["3f2a1c9e-0b5d-4c1e-9a55-6d2b8f0c1a77", "bot-7", "a", "A.b_c:d-e", "x" * MAX_ID])
def test_an_id_is_taken_exactly_as_given(good: str) -> None:
    assert require_id(good, "store ID") == good


@pytest.mark.parametrize(
    "bad",
    [" bot-7", "bot-7 ", "bot 7", "bot/7", "../etc", "-bot", ".x", "bot\x00", "bot\n", "é", "x" * (MAX_ID + 1), "a?b"],
)
def test_a_malformed_id_is_refused(bad: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^the store ID is not a valid ID$"):
        require_id(bad, "store ID")


@pytest.mark.parametrize("blank", ["", " ", "\t\n"])
def test_a_blank_id_is_refused_as_blank(blank: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^the store ID cannot be blank$"):
        require_id(blank, "store ID")


@pytest.mark.parametrize("text", [*FINE, " padded ", "with\u3000ideographic space"])
def test_what_the_schema_patterns_accept_the_rules_accept(text: str) -> None:
    assert re.match(TEXT_PATTERN, text)
    assert re.match(NO_CONTROLS_PATTERN, text)
    assert require_text(text, "name")


@pytest.mark.parametrize("text", ["", "   ", "A\x00", "\x7fA", "A\x9f"])
def test_what_the_schema_patterns_refuse_the_rules_refuse(text: str) -> None:
    assert not re.match(TEXT_PATTERN, text)
    with pytest.raises(InvalidArgument):
        require_text(text, "name")


@pytest.mark.parametrize("value", ["bot-7", " bot-7", "bot 7", "", "x" * 64])
def test_the_id_pattern_and_the_id_rule_agree(value: str) -> None:
    by_pattern = bool(re.match(ID_PATTERN, value)) and len(value) <= MAX_ID
    try:
        require_id(value, "ID")
        by_rule = True
    except InvalidArgument:
        by_rule = False
    assert by_pattern == by_rule
