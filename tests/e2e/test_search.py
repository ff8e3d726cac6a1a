"""The search journeys: `features/search/*.feature`."""

from pytest_bdd import scenarios

scenarios("features/search")
