"""Running the Pact verifier against the real API, from a thread: the API and the workers it needs run on the
session's event loop, which must stay free while the verifier waits for their answers.

The verifier adds no token of its own: each request carries the one its interaction names (``pacts.Caller``),
which the interaction's provider state answered, so a request the pact makes as a customer reaches the API as
that customer, and one with no token as no one."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from pact import Verifier

from .states import ProviderStates

REQUEST_TIMEOUT_MS = 60_000  # also bounds the provider-state setups, which may run a whole order saga


@dataclass(frozen=True)
class Verification:
    passed: bool
    report: str  # the verifier's output, one paragraph per interaction, and the failures
    verified: dict[str, str]  # interaction description → "OK" or what failed


async def verify(
    provider: str,
    pact: Path,
    api_url: str,
    states: ProviderStates,
    *,
    description: str | None = None,
) -> Verification:
    """Verify ``pact`` against the API at ``api_url`` (only the interactions whose description matches the regex
    ``description``, if given)."""
    verifier = (
        Verifier(provider, host="127.0.0.1")
        .add_transport(url=api_url)
        .add_source(pact)
        .state_handler(states.url, teardown=True, body=True)
        .set_request_timeout(REQUEST_TIMEOUT_MS)
    )
    if description is not None:
        verifier.filter(description)
    try:
        await asyncio.to_thread(verifier.verify)
        passed = True
    except RuntimeError:  # the verifier's only way of saying "failed"; the report says why
        passed = False
    results = verifier.results.get("interactionResults", [])
    verified = {r["description"]: r["result"] if r["result"] == "OK" else str(r) for r in results}
    return Verification(passed, verifier.output(strip_ansi=True), verified)
