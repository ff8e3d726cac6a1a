"""The contracts can fail: a client that expects a field the API does not send is caught by the verification,
and the report names the field."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from mallbots.stack import Stack

from .pacts import pact_file
from .states import ProviderStates
from .verification import verify

INTERACTION = "a request to get a store"


def _expect_address_instead_of_location(pact: Path) -> None:
    """The client of this copy reads ``store.address``; the API sends ``store.location``."""
    document: dict[str, Any] = json.loads(pact.read_text())
    (interaction,) = [i for i in document["interactions"] if i["description"] == INTERACTION]
    store = interaction["response"]["body"]["content"]["store"]
    store["address"] = store.pop("location")
    rules = interaction["response"]["matchingRules"]["body"]
    rules["$.store.address"] = rules.pop("$.store.location")
    pact.write_text(json.dumps(document, indent=2))


async def test_a_response_field_the_api_does_not_send_fails_the_verification_naming_it(
    stack: Stack, provider_states: ProviderStates, tmp_path: Path
) -> None:
    committed = pact_file("stores")
    honest, mutated = tmp_path / "honest.json", tmp_path / "mutated.json"
    shutil.copyfile(committed, honest)
    shutil.copyfile(committed, mutated)
    _expect_address_instead_of_location(mutated)
    only = f"^{INTERACTION}$"

    honest_run = await verify("stores", honest, stack.api_url, provider_states, token=stack.token(), description=only)
    assert honest_run.verified == {INTERACTION: "OK"}, f"the unchanged interaction should pass:\n{honest_run.report}"

    mutated_run = await verify("stores", mutated, stack.api_url, provider_states, token=stack.token(), description=only)
    assert not mutated_run.passed, f"a client expecting store.address was not caught:\n{mutated_run.report}"
    assert list(mutated_run.verified) == [INTERACTION]
    report = mutated_run.report
    assert "$.store -> Actual map is missing the following keys: address" in report, report
    assert f"Given a store exists - {INTERACTION}" in report, report
