"""The contracts can fail: a client that expects a field the API does not send is caught by the verification,
and the report names the field; an interaction made by someone else than the one its pact names gets the API's
refusal, which fails it too (the verifier sends no token but the interaction's own)."""

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
OWNERS_INTERACTION = "a request to enable a store's participation"


def _interaction(document: dict[str, Any], description: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [i for i in document["interactions"] if i["description"] == description]
    (interaction,) = found
    return interaction


def _expect_address_instead_of_location(pact: Path) -> None:
    """The client of this copy reads ``store.address``; the API sends ``store.location``."""
    document: dict[str, Any] = json.loads(pact.read_text())
    interaction = _interaction(document, INTERACTION)
    store = interaction["response"]["body"]["content"]["store"]
    store["address"] = store.pop("location")
    rules = interaction["response"]["matchingRules"]["body"]
    rules["$.store.address"] = rules.pop("$.store.location")
    pact.write_text(json.dumps(document, indent=2))


def _sent_by(pact: Path, token: str | None, state: str | None = None) -> None:
    """The store owner's request of this copy is sent with the state value ``token`` (with ``state``, which
    answers it), or with no token at all."""
    document: dict[str, Any] = json.loads(pact.read_text())
    request = _interaction(document, OWNERS_INTERACTION)["request"]
    if token is None:
        del request["headers"]["Authorization"], request["generators"]["header"]["Authorization"]
        del request["matchingRules"]["header"]["Authorization"]
    else:
        request["generators"]["header"]["Authorization"]["expression"] = f"Bearer ${{{token}}}"
    if state is not None:
        _interaction(document, OWNERS_INTERACTION)["providerStates"].append({"name": state})
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

    honest_run = await verify("stores", honest, stack.api_url, provider_states, description=only)
    assert honest_run.verified == {INTERACTION: "OK"}, f"the unchanged interaction should pass:\n{honest_run.report}"

    mutated_run = await verify("stores", mutated, stack.api_url, provider_states, description=only)
    assert not mutated_run.passed, f"a client expecting store.address was not caught:\n{mutated_run.report}"
    assert list(mutated_run.verified) == [INTERACTION]
    report = mutated_run.report
    assert "$.store -> Actual map is missing the following keys: address" in report, report
    assert f"Given a store exists And an unregistered customer exists - {INTERACTION}" in report, report


async def test_a_request_sent_by_someone_else_than_its_pact_names_fails_the_verification(
    stack: Stack, provider_states: ProviderStates, tmp_path: Path
) -> None:
    committed = pact_file("stores")
    only = f"^{OWNERS_INTERACTION}$"
    honest = tmp_path / "honest.json"
    shutil.copyfile(committed, honest)
    honest_run = await verify("stores", honest, stack.api_url, provider_states, description=only)
    assert honest_run.verified == {OWNERS_INTERACTION: "OK"}, honest_run.report

    for name, token, state, status in [
        ("anonymous", None, None, 401),
        ("customer", "customerToken", "an unregistered customer exists", 403),
        ("other-owner", "otherStoreOwnerToken", "another store owner exists", 404),
    ]:
        mutated = tmp_path / f"{name}.json"
        shutil.copyfile(committed, mutated)
        _sent_by(mutated, token, state)
        run = await verify("stores", mutated, stack.api_url, provider_states, description=only)
        assert not run.passed, f"the request sent as {name} passed:\n{run.report}"
        assert f"expected 200 but was {status}" in run.report, run.report
