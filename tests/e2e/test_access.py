"""Who may do what, journey by journey: `features/access/*.feature`."""

from pytest_bdd import scenarios

scenarios("features/access")
