"""The baskets journeys: `features/baskets/*.feature`."""

from pytest_bdd import scenarios

scenarios("features/baskets")
