"""The notifications journeys: `features/notifications/*.feature`."""

from pytest_bdd import scenarios

scenarios("features/notifications")
