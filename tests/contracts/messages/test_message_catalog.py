"""The message contracts cover what the product does: every event of SPEC §3, every subscriber the entity
declarations name, a provider state (and the journey through the real workflows that reaches it) for each, an
example for each subscriber, and committed pacts that hold exactly those interactions."""

from __future__ import annotations

import json

import pytest

from mallbots.services import DEFINITIONS
from tests.contracts.messages.catalog import AGGREGATES, PACT_DIR, PAIRS, SPEC_EVENTS, STATES, Aggregate, pact_files
from tests.contracts.messages.consumer_examples import EXAMPLES, NEEDS
from tests.contracts.messages.provider_mall import JOURNEYS


def test_every_event_of_the_spec_is_an_event_of_the_code_and_nothing_else() -> None:
    in_code = [name for aggregate in AGGREGATES for name in aggregate.event_names]
    assert sorted(in_code) == sorted(SPEC_EVENTS)
    assert len(set(in_code)) == len(in_code)


def test_every_entity_workflow_of_the_registry_emits_from_its_own_service_queue() -> None:
    """The catalogue's emitters are the registry's: each entity workflow runs on its service's queue, which is
    the home queue its declaration delivers locally to."""
    assert {a.workflow for a in AGGREGATES} == {w for d in DEFINITIONS.values() for w in d.workflows}
    for aggregate in AGGREGATES:
        assert aggregate.spec.home_queue == DEFINITIONS[aggregate.service].task_queue, aggregate.workflow
        assert aggregate.spec.subscribers[0] == aggregate.spec.home_queue, "the owner's read model first"


@pytest.mark.parametrize("aggregate", AGGREGATES, ids=lambda a: a.field)
def test_every_subscriber_runs_the_projection_its_events_are_pushed_to(aggregate: Aggregate) -> None:
    for subscriber in aggregate.subscribers:
        assert aggregate.projection in DEFINITIONS[subscriber].activity_names(), (subscriber, aggregate.projection)


def test_a_subscriber_that_needs_only_some_events_names_events_its_entity_emits() -> None:
    """``interests`` narrow a subscriber, never invent one: a misspelt event name would silently send it nothing."""
    for aggregate in AGGREGATES:
        for subscriber, names in aggregate.spec.interests:
            assert subscriber in aggregate.subscribers, (aggregate.field, subscriber)
            assert subscriber != aggregate.spec.home_queue, "the owner's read model needs every event"
            assert names and names <= set(aggregate.event_names), (aggregate.field, subscriber, names)
    pairs = {(p.event_name, p.subscriber) for p in PAIRS}
    assert ("ordering.OrderApproved", "notifications") not in pairs  # no SMS for an approval, so not sent
    assert ("ordering.OrderApproved", "search") in pairs


def test_every_event_has_a_provider_state_and_a_journey_through_the_workflows_into_it() -> None:
    assert set(STATES) == set(SPEC_EVENTS)
    names = [s.name for states in STATES.values() for s in states]
    assert len(set(names)) == len(names), "a provider state is about one event"
    assert set(JOURNEYS) == set(names)
    assert all(states for states in STATES.values())


def test_a_direct_order_has_a_state_of_its_own() -> None:
    created = [p for p in PAIRS if p.event_name == "ordering.OrderCreated"]
    assert {p.state.name for p in created} == {"a basket was checked out into an order", "a direct order was placed"}
    assert len({p.description for p in created}) == 2


def test_every_consumer_has_an_example_for_what_it_receives() -> None:
    assert set(EXAMPLES) == {s.name for states in STATES.values() for s in states}
    wired = {(subscriber, aggregate.field) for aggregate in AGGREGATES for subscriber in aggregate.subscribers}
    assert set(NEEDS) == wired


def test_the_committed_message_pacts_are_exactly_the_current_ones() -> None:
    """A pact file per (subscriber, emitting service), each with one interaction per event and state, the
    state with its params."""
    files = pact_files()
    http = {path.name for path in PACT_DIR.glob("mallbots-client-*.json")}
    committed = {path.name for path in PACT_DIR.glob("*.json")} - http
    assert committed == {f"{consumer}-{provider}.json" for consumer, provider in files}
    for (consumer, provider), pairs in files.items():
        pact = json.loads((PACT_DIR / f"{consumer}-{provider}.json").read_text())
        assert (pact["consumer"]["name"], pact["provider"]["name"]) == (consumer, provider)
        assert pact["metadata"]["pactSpecification"]["version"] == "4.0"
        found = sorted(
            (i["description"], json.dumps(i["providerStates"], sort_keys=True), i["type"]) for i in pact["interactions"]
        )
        states = [[{"name": p.state.name, **({"params": p.state.params} if p.state.params else {})}] for p in pairs]
        expected = [
            (p.description, json.dumps(s, sort_keys=True), "Asynchronous/Messages")
            for p, s in zip(pairs, states, strict=True)
        ]
        assert found == sorted(expected)
