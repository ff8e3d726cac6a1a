"""Providers: each emitting service verifies every subscriber's committed pact with the messages its real
workflows deliver to that subscriber's queue, in the provider state the interaction names (``provider_mall``);
and a provider that changes an event without its subscribers fails verification."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pact import Pact, Verifier
from pact.types import Message

from tests.contracts.messages.catalog import PAIRS, Pair, State, pact_file, pact_files, state
from tests.contracts.messages.consumer_examples import add_interaction
from tests.contracts.messages.provider_mall import DELIVERY_TIMEOUT, ProviderMall

Change = Callable[[dict[str, Any]], None]  # what an altered provider does to each event it sends


def _state(parameters: dict[str, Any] | None, name: str) -> State:
    return state(name, **(parameters or {}))


@dataclass
class ProviderSide:
    """The verifier's two callbacks for one pact file (one subscriber): the state handler drives the mall into
    the interaction's state, the message handler answers what the emitting workflow delivered in it. Both are
    called from the verifier's threads; the mall runs on the session's loop."""

    mall: ProviderMall
    loop: asyncio.AbstractEventLoop
    consumer: str
    change: Change | None = None

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=DELIVERY_TIMEOUT * 2)

    def set_up(self, state: str, action: str, parameters: dict[str, Any] | None) -> None:
        """Starts the state's journey; its outcome is awaited (and a failure reported, naming the state) by the
        message handler: an exception raised here would leave the verifier waiting out its request timeout."""
        if action == "setup" and state:  # "" is Pact's generic set-up; there is nothing to tear down
            asyncio.run_coroutine_threadsafe(self._start(_state(parameters, state)), self.loop).result(timeout=10)

    async def _start(self, given: State) -> None:
        with contextlib.suppress(LookupError):  # an unknown state: the message handler names it
            self.mall.start(given)

    def produce(self, name: str, metadata: dict[str, Any] | None) -> Message:
        pair = self._pair(name, metadata)
        delivery = self._run(self.mall.delivered(pair.state, pair.event_name, pair.subscriber))
        # The event's link to its workflow is what ran, not what a source file mentions.
        sender, home = pair.aggregate.workflow.__name__, pair.aggregate.spec.home_queue
        if delivery.workflow_type != sender:
            raise AssertionError(f"{pair.id} was delivered by {delivery.workflow_type}, not by {sender}")
        if delivery.local != (pair.subscriber == home):
            raise AssertionError(f"{pair.id}: local activity {delivery.local}, home queue {home}")
        contents = delivery.payload.data
        if self.change is not None:
            body = json.loads(contents)
            self.change(body)
            contents = json.dumps(body).encode()
        return Message(contents=contents, metadata=delivery.metadata, content_type="application/json")

    def _pair(self, name: str, metadata: dict[str, Any] | None) -> Pair:
        states = (metadata or {}).get("providerStates", [])
        if len(states) != 1:
            raise ValueError(f"{name!r} should name exactly one provider state, not {states}")
        given = _state(states[0].get("params"), states[0]["name"])
        found = [p for p in PAIRS if (p.consumer, p.description, p.state) == (self.consumer, name, given)]
        if not found:
            raise LookupError(f"{self.consumer} expects {name!r} given {given}, which no workflow of ours sends")
        return found[0]


@dataclass(frozen=True)
class Verification:
    passed: bool
    output: str
    results: dict[str, Any]

    def verified(self) -> list[tuple[str, str]]:
        results = self.results["interactionResults"]
        return sorted((r["consumer"], r["description"]) for r in results if r["result"] == "OK")

    def failed_consumers(self) -> set[str]:
        return {r["consumer"] for r in self.results["interactionResults"] if r["result"] != "OK"}


async def verify(provider: str, sources: list[Path], mall: ProviderMall, change: Change | None = None) -> Verification:
    """Verifies each pact file (one subscriber's) with its own verifier: the message handler must know which
    subscriber's queue to read, and the verifier does not tell it."""
    loop = asyncio.get_running_loop()
    passed, outputs, results = True, [], []
    for source in sources:
        consumer = json.loads(source.read_text())["consumer"]["name"]
        side = ProviderSide(mall, loop, consumer, change)
        verifier = (
            Verifier(provider, host="127.0.0.1")
            .message_handler(side.produce)
            .state_handler(side.set_up, teardown=True)
            .set_request_timeout(int(DELIVERY_TIMEOUT * 2000))
            .add_source(source)
        )
        try:
            await asyncio.to_thread(verifier.verify)
        except RuntimeError:  # bare: the verifier's output says what failed
            passed = False
        outputs.append(verifier.output(strip_ansi=True))
        results += verifier.results.get("interactionResults", [])
    return Verification(passed, "\n".join(outputs), {"interactionResults": results})


def committed(provider: str, tmp_path: Path) -> list[Path]:
    """The committed pacts of ``provider``, copied: a test never touches the committed files."""
    found = []
    for consumer, p in pact_files():
        if p != provider:
            continue
        source = pact_file(consumer, p)
        assert source.exists(), f"{source.name} is missing: `make pacts` writes it"
        found.append(Path(shutil.copy(source, tmp_path / source.name)))
    return found


PROVIDERS = sorted({pair.provider for pair in PAIRS})


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_the_workflows_send_what_every_subscriber_expects(
    provider: str, provider_mall: ProviderMall, tmp_path: Path
) -> None:
    verification = await verify(provider, committed(provider, tmp_path), provider_mall)
    assert verification.passed, f"{provider} does not honour its subscribers' pacts:\n{verification.output}"
    expected = sorted((pair.consumer, pair.description) for pair in PAIRS if pair.provider == provider)
    assert verification.verified() == expected, verification.output


def _pair(pair_id: str) -> Pair:
    return next(p for p in PAIRS if p.id == pair_id)


def _only(sources: list[Path], consumer: str) -> list[Path]:
    return [p for p in sources if p.name.startswith(f"{consumer}-")]


async def test_a_provider_that_renames_a_field_fails_verification(provider_mall: ProviderMall, tmp_path: Path) -> None:
    """stores renames ``store.name`` to ``store.title`` without telling search: search's pact catches it."""

    def rename(body: dict[str, Any]) -> None:
        if "store" in body:
            body["store"]["title"] = body["store"].pop("name")

    sources = _only(committed("stores", tmp_path), "search")
    verification = await verify("stores", sources, provider_mall, rename)
    assert not verification.passed, verification.output
    assert "$.store -> Actual map is missing the following keys: name" in verification.output, verification.output
    assert "a stores.StoreRebranded event" in verification.output, verification.output


async def test_a_provider_that_sends_money_as_a_float_fails_verification(
    provider_mall: ProviderMall, tmp_path: Path
) -> None:
    """Money is exact on the wire (a decimal string): a provider switching prices to JSON numbers is caught."""

    def to_float(body: dict[str, Any]) -> None:
        if "product" in body:
            body["product"]["price"] = float(body["product"]["price"])

    verification = await verify("stores", _only(committed("stores", tmp_path), "baskets"), provider_mall, to_float)
    assert not verification.passed, verification.output
    assert "$.product.price" in verification.output, verification.output


async def test_a_provider_that_drops_a_field_fails_every_subscriber_using_it(
    provider_mall: ProviderMall, tmp_path: Path
) -> None:
    """ordering stops sending ``order.reason``: the subscribers that read it (ordering, notifications) fail,
    search, which does not, still passes."""

    def drop(body: dict[str, Any]) -> None:
        body["order"].pop("reason")

    verification = await verify("ordering", committed("ordering", tmp_path), provider_mall, drop)
    assert not verification.passed, verification.output
    assert "$.order -> Actual map is missing the following keys: reason" in verification.output, verification.output
    assert verification.failed_consumers() == {"ordering", "notifications"}, verification.output


async def test_a_consumer_expecting_a_field_the_provider_does_not_send_fails(
    provider_mall: ProviderMall, tmp_path: Path
) -> None:
    """baskets starts expecting ``store.opening_hours``, which stores never sends: verification fails."""
    pair = _pair("stores.StoreCreated->baskets")
    pact = Pact(pair.consumer, pair.provider).with_specification("V4")
    add_interaction(pact, pair, extra={"opening_hours": "09:00-18:00"})
    pact.write_file(tmp_path, overwrite=True)
    verification = await verify(pair.provider, [pact_file(pair.consumer, pair.provider, tmp_path)], provider_mall)
    assert not verification.passed, verification.output
    assert "$.store -> Actual map is missing the following keys: opening_hours" in verification.output


async def test_a_consumer_expecting_an_event_in_a_state_no_workflow_reaches_fails(
    provider_mall: ProviderMall, tmp_path: Path
) -> None:
    """A pact naming a state the provider cannot drive its workflows into is refused, naming the state."""
    pair = _pair("stores.StoreCreated->search")
    invented = Pair(pair.aggregate, pair.event_name, pair.subscriber, state("a store was opened on the moon"))
    pact = Pact(pair.consumer, pair.provider).with_specification("V4")
    add_interaction(pact, invented, example_of=pair)
    pact.write_file(tmp_path, overwrite=True)
    verification = await verify(pair.provider, [pact_file(pair.consumer, pair.provider, tmp_path)], provider_mall)
    assert not verification.passed, verification.output
    assert "a store was opened on the moon" in verification.output, verification.output
