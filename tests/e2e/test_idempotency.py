"""The idempotency journeys: `features/idempotency/*.feature`."""

from pytest_bdd import scenarios

scenarios("features/idempotency")
