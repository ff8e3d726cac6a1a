"""The ordering journeys: `features/ordering/*.feature`."""

from pytest_bdd import scenarios

scenarios("features/ordering")
