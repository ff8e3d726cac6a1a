"""Step definitions of the Gherkin journeys. Their asserts are rewritten by pytest like a test's, so a failed
step shows the values it compared (registered here, before any of them is imported)."""

import pkgutil

import pytest

pytest.register_assert_rewrite(*(f"{__name__}.{m.name}" for m in pkgutil.iter_modules(__path__)))
