"""Text and IDs as the mall accepts them: trimmed, bounded, and free of control characters.

Bounds keep every value far inside what the stores downstream take (a Postgres text column refuses NUL;
Temporal's summaries take 400 bytes, search attributes 2 KB), so nothing valid here can fail later and
jam the entity that carries it. The same bounds are declared in the OpenAPI document (``api/schemas.py``).
"""

from __future__ import annotations

import re
import unicodedata

from domain.shared.errors import InvalidArgument

MAX_NAME = 100  # store, product and customer names
MAX_LOCATION = 200
MAX_DESCRIPTION = 2000
MAX_SKU = 64
MAX_ID = 64
MAX_SMS_INPUT = 32  # what a person may type: digits and their punctuation

# An ID as this mall hands them out (UUIDs) or a client may choose (a bot's): no spaces, no slashes.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
_ID = re.compile(ID_PATTERN)
# JSON Schema spellings of the same rules, for the OpenAPI document.
NO_CONTROLS_PATTERN = r"^[^\u0000-\u001F\u007F-\u009F]*$"
MULTILINE_PATTERN = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
TEXT_PATTERN = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
MULTILINE_ALLOWED = frozenset("\n\r\t")


def _refuse_controls(value: str, what: str, *, multiline: bool = False) -> None:
    """Anywhere in what was sent, even where trimming would drop it: a tab around a name is no name."""
    for char in value:
        if multiline and char in MULTILINE_ALLOWED:
            continue
        # Cc: C0/C1 controls, NUL among them; Cs: lone surrogates, which no UTF-8 store can hold.
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise InvalidArgument(f"the {what} cannot contain control characters")


def _bounded(value: str, what: str, max_length: int) -> str:
    if len(value) > max_length:
        raise InvalidArgument(f"the {what} cannot be longer than {max_length} characters")
    return value


def require_text(value: str, what: str, max_length: int = MAX_NAME) -> str:
    """Trimmed text, or InvalidArgument: "the <what> cannot be blank", "… cannot contain control
    characters", "… cannot be longer than N characters"."""
    text = value.strip()
    if not text:
        raise InvalidArgument(f"the {what} cannot be blank")
    _refuse_controls(value, what)
    return _bounded(text, what, max_length)


def optional_text(value: str, what: str, max_length: int, *, multiline: bool = False) -> str:
    """Like ``require_text`` but may be empty; ``multiline`` text keeps its line breaks and tabs."""
    _refuse_controls(value, what, multiline=multiline)
    return _bounded(value.strip(), what, max_length)


def require_id(value: str, what: str) -> str:
    """An ID exactly as given (IDs are not trimmed: " 3f2a" is not "3f2a"), or InvalidArgument."""
    if not value.strip():
        raise InvalidArgument(f"the {what} cannot be blank")
    if len(value) > MAX_ID or not _ID.fullmatch(value):
        raise InvalidArgument(f"the {what} is not a valid ID")
    return value
