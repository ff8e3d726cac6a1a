"""The payments journeys: `features/payments/*.feature`."""

from pytest_bdd import scenarios

scenarios("features/payments")
