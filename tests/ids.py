"""IDs the API derives, as a test predicts them."""

from __future__ import annotations

from api.auth import Principal, Role
from api.deps import new_id
from api.idempotency import scoped_key
from mallbots.stack import default_subject

OPERATOR = Principal(default_subject(Role.OPERATOR), frozenset({Role.OPERATOR}))  # whom ``Stack.token()`` is


def created_id(scope: str, key: str, caller: Principal = OPERATOR) -> str:
    """The ID a create with Idempotency-Key ``key`` gets when ``caller`` (by default the operator of
    ``Stack.token()``) sends it: keys are scoped by the caller."""
    return new_id(scope, scoped_key(caller, key))
