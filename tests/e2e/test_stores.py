"""The stores journeys: `features/stores/*.feature`."""

from pytest_bdd import scenarios

scenarios("features/stores")
