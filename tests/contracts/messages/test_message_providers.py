"""Providers: each emitting service verifies every subscriber's pact with the messages its workflows build,
and a provider that changes an event without its subscribers fails verification."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pact import Pact, Verifier
from pact.types import Message

from tests.contracts.messages.catalog import PACT_DIR, PAIRS, Pair, pact_file, pact_files, providers
from tests.contracts.messages.consumer_examples import add_interaction
from tests.contracts.messages.provider_events import altered, produce

Producer = Callable[[str, dict[str, Any] | None], Message]


def pacts_of(provider: str, directory: Path = PACT_DIR) -> list[Path]:
    return [pact_file(consumer, p, directory) for consumer, p in pact_files() if p == provider]


def verify(provider: str, sources: list[Path], producer: Producer = produce) -> tuple[bool, str, dict[str, Any]]:
    """Runs the verifier; answers whether it passed, its output and its results."""
    verifier = Verifier(provider, host="127.0.0.1").message_handler(producer)
    for source in sources:
        verifier.add_source(source)
    try:
        verifier.verify()
    except RuntimeError:  # bare: the verifier's output says what failed
        return False, verifier.output(strip_ansi=True), verifier.results
    return True, verifier.output(strip_ansi=True), verifier.results


def copies(provider: str, tmp_path: Path) -> list[Path]:
    """The committed pacts of ``provider``, copied: tests never touch the committed files."""
    found = []
    for source in pacts_of(provider):
        assert source.exists(), f"{source.name} is missing: run the consumer tests first"
        found.append(Path(shutil.copy(source, tmp_path / source.name)))
    return found


@pytest.mark.parametrize("provider", providers())
def test_the_provider_sends_what_every_subscriber_expects(provider: str, tmp_path: Path) -> None:
    passed, output, results = verify(provider, copies(provider, tmp_path))
    assert passed, f"{provider} does not honour its subscribers' pacts:\n{output}"
    expected = sorted((pair.consumer, pair.description) for pair in PAIRS if pair.provider == provider)
    verified = sorted((r["consumer"], r["description"]) for r in results["interactionResults"] if r["result"] == "OK")
    assert verified == expected, output


def failed_consumers(results: dict[str, Any]) -> set[str]:
    return {r["consumer"] for r in results["interactionResults"] if r["result"] != "OK"}


def _pair(event_name: str, subscriber: str) -> Pair:
    return next(p for p in PAIRS if p.event_name == event_name and p.subscriber == subscriber)


def test_a_provider_that_renames_a_field_fails_verification(tmp_path: Path) -> None:
    """stores renames ``store.name`` to ``store.title`` without telling search: search's pact catches it."""

    def rename(body: dict[str, Any]) -> None:
        if "store" in body:
            body["store"]["title"] = body["store"].pop("name")

    source = [p for p in copies("stores-events", tmp_path) if p.name.startswith("search-projections")]
    passed, output, _ = verify("stores-events", source, altered(rename))
    assert not passed, output
    assert "$.store -> Actual map is missing the following keys: name" in output, output
    assert "a stores.StoreRebranded event" in output, output


def test_a_provider_that_sends_money_as_a_float_fails_verification(tmp_path: Path) -> None:
    """Money is exact on the wire (a decimal string): a provider switching prices to JSON numbers is caught."""

    def to_float(body: dict[str, Any]) -> None:
        if "product" in body:
            body["product"]["price"] = float(body["product"]["price"])

    source = [p for p in copies("stores-events", tmp_path) if p.name.startswith("baskets-projections")]
    passed, output, _ = verify("stores-events", source, altered(to_float))
    assert not passed, output
    assert "$.product.price" in output, output


def test_a_provider_that_drops_a_field_fails_every_subscriber_using_it(tmp_path: Path) -> None:
    """ordering stops sending ``order.reason``: the subscribers that read it (ordering, notifications) fail,
    search, which does not, still passes."""

    def drop(body: dict[str, Any]) -> None:
        body["order"].pop("reason")

    sources = copies("ordering-events", tmp_path)
    passed, output, results = verify("ordering-events", sources, altered(drop))
    assert not passed, output
    assert "$.order -> Actual map is missing the following keys: reason" in output, output
    assert failed_consumers(results) == {"ordering-projections", "notifications-projections"}, output


def test_a_consumer_expecting_a_field_the_provider_does_not_send_fails(tmp_path: Path) -> None:
    """baskets starts expecting ``store.opening_hours``, which stores never sends: verification fails."""
    pair = _pair("stores.StoreCreated", "baskets")
    pact = Pact(pair.consumer, pair.provider).with_specification("V4")
    add_interaction(pact, pair, extra={"opening_hours": "09:00-18:00"})
    pact.write_file(tmp_path, overwrite=True)
    passed, output, _ = verify(pair.provider, [pact_file(pair.consumer, pair.provider, tmp_path)])
    assert not passed, output
    assert "$.store -> Actual map is missing the following keys: opening_hours" in output, output
