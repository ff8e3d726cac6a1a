"""Domain errors cross Temporal as non-retryable ApplicationErrors whose type is the error kind.

``business_failure`` turns a broken rule into such a failure; ``business_error_in`` reads one back out
of whatever Temporal raised around it (an activity, child or update failure): the one way both the
saga and the API tell a refusal from a bug.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from temporalio.exceptions import ApplicationError

from domain.shared.errors import DomainError, ErrorKind, error_for

T = TypeVar("T")
_KINDS = frozenset(kind.value for kind in ErrorKind)


def business_failure(err: DomainError) -> ApplicationError:
    return ApplicationError(err.message, type=err.kind.value, non_retryable=True)


@contextmanager
def domain_failures() -> Iterator[None]:
    """Inside a workflow or activity: a broken rule becomes a non-retryable failure the API can map."""
    try:
        yield
    except DomainError as err:
        raise business_failure(err) from err


def checked(change: Callable[[], T]) -> T:
    with domain_failures():
        return change()


def business_error_in(err: BaseException) -> DomainError | None:
    """The broken rule inside a Temporal error chain, if there is one; None means a bug or an outage."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [err]
    while pending:  # both chains: Temporal's ``cause`` and Python's ``__cause__`` (which may loop back)
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, DomainError):
            return current
        if isinstance(current, ApplicationError) and current.non_retryable and current.type in _KINDS:
            return error_for(current.type or "", current.message)
        pending += [current.__cause__, getattr(current, "cause", None)]
    return None
