"""Gherkin journeys through the REST API of the session's running stack, each step as the user it speaks for
(under a token of the stack's local issuer: ``steps/world.py``).

pytest-bdd steps are plain functions, while the client is async and the stack (API server and workers)
lives on pytest-asyncio's session event loop. That loop is idle while a synchronous test runs, so a step
drives it itself: ``mall.run(coro)`` runs the request to completion on the session loop, which serves the
API and the workers meanwhile. (A client on a thread of its own would wait forever: nobody would serve it.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from _pytest.fixtures import FixtureRequest
from pytest_bdd.parser import Feature, Scenario, Step

from api.auth import Role
from mallbots.identity import LocalIssuer
from mallbots.stack import Stack
from tests.e2e.steps.access import *  # noqa: F403  (step definitions are fixtures: pytest-bdd finds them here)
from tests.e2e.steps.baskets import *  # noqa: F403
from tests.e2e.steps.common import *  # noqa: F403
from tests.e2e.steps.customers import *  # noqa: F403
from tests.e2e.steps.depot import *  # noqa: F403
from tests.e2e.steps.idempotency import *  # noqa: F403
from tests.e2e.steps.mall import Mall
from tests.e2e.steps.notifications import *  # noqa: F403
from tests.e2e.steps.ordering import *  # noqa: F403
from tests.e2e.steps.payments import *  # noqa: F403
from tests.e2e.steps.search import *  # noqa: F403
from tests.e2e.steps.stores import *  # noqa: F403
from tests.e2e.steps.world import World


def bad_tokens(stack: Stack) -> dict[str, str]:
    """Tokens the API must refuse, by what is wrong with them (an operator's, but for that)."""
    issuer = stack.issuer
    assert issuer is not None, "the journeys need the stack's local issuer"
    subject, roles = "e2e-mallory", [Role.OPERATOR]
    return {
        "a token that has expired": issuer.mint(subject, roles, ttl=timedelta(minutes=-5)),
        "a token signed by another key": LocalIssuer.generate(issuer.audience, issuer.roles_claim).mint(subject, roles),
        "a token for another API": LocalIssuer(issuer.key, "another-api", issuer.roles_claim).mint(subject, roles),
        "something that is not a token": "not-a-token",
    }


@pytest.fixture(scope="session")
async def mall(stack: Stack) -> AsyncIterator[Mall]:
    loop = asyncio.get_running_loop()
    async with Mall.connect(stack.api_url, loop, stack.token, bad_tokens(stack)) as session_mall:
        yield session_mall


@pytest.fixture
def world(mall: Mall) -> World:
    return World(mall)


def pytest_bdd_apply_tag(tag: str, function: Callable[..., object]) -> bool | None:
    """``@bug_<what>``: a scenario that shows a known product bug. It must fail until the bug is fixed
    (strict), and then the tag goes."""
    if not tag.startswith("bug_"):
        return None
    pytest.mark.xfail(strict=True, reason=f"known product bug: {tag[4:].replace('_', ' ')}")(function)
    return True


def _unchecked_refusal(request: FixtureRequest) -> str | None:
    """Reported once: the refusal is taken out of the world."""
    world: World = request.getfixturevalue("world")
    error, world.error = world.error, None
    if error is None:
        return None
    return f"a command was refused and no step checked it: {error}"


def pytest_bdd_before_step(
    request: FixtureRequest, feature: Feature, scenario: Scenario, step: Step, step_func: Callable[..., object]
) -> None:
    """A refusal only the next step may check: anything else means the scenario went wrong earlier."""
    if getattr(step_func, "checks_refusal", False):
        return
    if problem := _unchecked_refusal(request):
        pytest.fail(f"before {step.keyword} {step.name!r}: {problem}")


def pytest_bdd_step_error(request: FixtureRequest) -> None:
    """The failing step explains the failure; an unchecked refusal would only repeat it at the end."""
    world: World = request.getfixturevalue("world")
    world.error = None


def pytest_bdd_after_scenario(request: FixtureRequest, feature: Feature, scenario: Scenario) -> None:
    if problem := _unchecked_refusal(request):
        pytest.fail(f"at the end of {scenario.name!r}: {problem}")
