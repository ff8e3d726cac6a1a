"""Business errors. Each kind maps to one HTTP status and one Temporal failure type."""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    INVALID = "InvalidArgument"  # 400
    NOT_FOUND = "NotFound"  # 404
    CONFLICT = "Conflict"  # 409


class DomainError(Exception):
    """A rule was broken: never retried, always reported to the caller."""

    kind: ErrorKind = ErrorKind.INVALID

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(DomainError):
    kind = ErrorKind.INVALID


class NotFound(DomainError):
    kind = ErrorKind.NOT_FOUND


class Conflict(DomainError):
    kind = ErrorKind.CONFLICT


def error_for(kind: str, message: str) -> DomainError:
    """Rebuild a domain error from its kind, e.g. after it crossed Temporal as an ApplicationError."""
    cls = {e.kind.value: e for e in (InvalidArgument, NotFound, Conflict)}.get(kind, InvalidArgument)
    return cls(message)
