"""The depot journeys: `features/depot/*.feature`."""

from pytest_bdd import scenarios

scenarios("features/depot")
