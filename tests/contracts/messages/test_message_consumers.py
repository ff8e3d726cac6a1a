"""Consumers: every subscriber really applies every event it receives to its read model; then each pact it
makes must be the committed one (``contracts/pacts/<subscriber>-<service>.json``, which the providers verify),
or is written over it by ``make pacts``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pact import Pact
from temporalio import activity

from domain.stores.events import StoreEvent
from readmodels.baskets.projections import BasketsProjections
from tests.contracts.drift import settle
from tests.contracts.messages.catalog import PAIRS, Pair, pact_file, pact_files
from tests.contracts.messages.consumer_examples import build_pact
from tests.contracts.messages.consumer_harness import ConsumerHarness

# Pairs whose test passed in this session: a pact file is compared (or written) only when all of its pairs passed.
VERIFIED: set[str] = set()


@pytest.mark.parametrize("pair", PAIRS, ids=lambda pair: pair.id)
async def test_the_subscriber_applies_the_event_to_its_read_model(
    pair: Pair, consumer_harness: ConsumerHarness
) -> None:
    pact = build_pact(pair.consumer, pair.provider, [pair])
    await consumer_harness.verify(pact, pair)
    VERIFIED.add(pair.id)


FILES = pact_files()


@pytest.mark.parametrize("key", list(FILES), ids=lambda key: "-".join(key))
def test_the_committed_pact_is_what_the_subscriber_expects(key: tuple[str, str], tmp_path: Path) -> None:
    consumer, provider = key
    pairs = FILES[key]
    unverified = [pair.id for pair in pairs if pair.id not in VERIFIED]
    if unverified:
        pytest.skip(f"not every interaction was verified in this run ({', '.join(unverified)}): file not compared")
    first, second = tmp_path / "first", tmp_path / "second"
    build_pact(consumer, provider, pairs).write_file(first, overwrite=True)
    build_pact(consumer, provider, pairs).write_file(second, overwrite=True)
    written = pact_file(consumer, provider, first)
    assert written.read_bytes() == pact_file(consumer, provider, second).read_bytes()
    interactions = json.loads(written.read_text())["interactions"]
    assert sorted(i["description"] for i in interactions) == sorted(pair.description for pair in pairs)
    settle(written, pact_file(consumer, provider))


class ForgetfulBasketsCache(BasketsProjections):
    """A baskets projection that stopped storing whether the store participates (a consumer-side bug)."""

    @activity.defn(name="apply_store_event")
    async def apply_store_event(self, event: StoreEvent) -> None:
        await super().apply_store_event(
            event.model_copy(update={"store": event.store.model_copy(update={"participating": False})})
        )


async def test_a_subscriber_that_drops_a_field_fails_its_own_contract(consumer_harness: ConsumerHarness) -> None:
    """The consumer side bites too: the handler checks the read model, so a projection losing a field fails."""
    pair = next(p for p in PAIRS if p.id == "stores.StoreParticipationToggled->baskets")
    pact: Pact = build_pact(pair.consumer, pair.provider, [pair])
    forgetful = ForgetfulBasketsCache(consumer_harness.sessions("baskets"))
    with pytest.raises(AssertionError) as failure:
        await consumer_harness.verify(pact, pair, projection=forgetful.apply_store_event)
    assert "'participating': False" in str(failure.value) and "'participating': True" in str(failure.value)
