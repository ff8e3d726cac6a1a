"""Summaries operators read in the Temporal UI. Temporal refuses a summary over 400 bytes (the start of the
workflow would fail), and names are counted in characters, up to four bytes each: cut on a character."""

from __future__ import annotations

MAX_SUMMARY_BYTES = 400


def summary(text: str) -> str:
    encoded = text.encode()
    if len(encoded) <= MAX_SUMMARY_BYTES:
        return text
    cut = encoded[: MAX_SUMMARY_BYTES - len("…".encode())].decode(errors="ignore")
    return f"{cut}…"


def counted(count: int, noun: str) -> str:
    """``1 item``, ``3 items``: what a summary says of a count (nouns here take an s)."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
