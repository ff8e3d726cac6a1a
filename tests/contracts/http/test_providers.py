"""Each service's API, running for real (Temporal, workers, Postgres read models), honours the committed pact
its client wrote: every interaction, from the provider state it names."""

from __future__ import annotations

import json

import pytest

from mallbots.stack import Stack

from .pacts import PROVIDERS, pact_file
from .states import ProviderStates
from .verification import verify


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_the_api_honours_the_clients_contract(
    provider: str, stack: Stack, provider_states: ProviderStates
) -> None:
    pact = pact_file(provider)
    assert pact.exists(), f"{pact} is missing: the consumer tests write it"
    interactions = {i["description"] for i in json.loads(pact.read_text())["interactions"]}
    await provider_states.prebuild(pact)

    verification = await verify(provider, pact, stack.api_url, provider_states)

    assert verification.passed, f"the {provider} API broke its contract with the client:\n{verification.report}"
    assert verification.verified == dict.fromkeys(interactions, "OK"), verification.report
