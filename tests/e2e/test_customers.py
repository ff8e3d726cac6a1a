"""The customers journeys: `features/customers/*.feature`."""

from pytest_bdd import scenarios

scenarios("features/customers")
