"""Domain errors cross Temporal as non-retryable ApplicationErrors whose type is the error kind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from temporalio.exceptions import ApplicationError

from domain.shared.errors import DomainError

T = TypeVar("T")


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
