"""The message contracts cover what the product does: every event of SPEC §3, every subscriber the workflows
publish to, the builders and rules the workflows really use, and committed pacts that are current."""

from __future__ import annotations

import inspect
import json
from types import ModuleType

import pytest

from domain.baskets import model as baskets_model
from domain.customers import model as customers_model
from domain.depot import model as depot_model
from domain.ordering import model as ordering_model
from domain.payments import invoice as invoice_model
from domain.payments import model as payments_model
from domain.stores import model as stores_model
from mallbots.services import DEFINITIONS
from tests.contracts.messages import provider_events
from tests.contracts.messages.catalog import AGGREGATES, PACT_DIR, SPEC_EVENTS, STATES, Aggregate, pact_files
from tests.contracts.messages.consumer_examples import EXAMPLES, NEEDS
from tests.contracts.messages.provider_events import SCENARIOS, event_in

RULES: dict[str, ModuleType] = {
    "store": stores_model,
    "product": stores_model,
    "customer": customers_model,
    "basket": baskets_model,
    "order": ordering_model,
    "shopping_list": depot_model,
    "payment": payments_model,
    "invoice": invoice_model,
}


def test_every_event_of_the_spec_is_an_event_of_the_code_and_nothing_else() -> None:
    in_code = [name for aggregate in AGGREGATES for name in aggregate.event_names]
    assert sorted(in_code) == sorted(SPEC_EVENTS)
    assert len(set(in_code)) == len(in_code)


@pytest.mark.parametrize("aggregate", AGGREGATES, ids=lambda a: a.field)
def test_the_workflow_emits_its_events_with_the_builder_and_rules_the_provider_uses(aggregate: Aggregate) -> None:
    module = aggregate.workflow_module
    source = inspect.getsource(module)
    for name in aggregate.event_names:
        assert f'"{name}"' in source, f"{module.__name__} never emits {name}"
    builder = f"{aggregate.field}_event"
    assert aggregate.spec.build_event is getattr(provider_events, builder), f"{builder} is not the one tested"
    assert getattr(module, "rules") is RULES[aggregate.field]  # noqa: B009
    assert any(value is RULES[aggregate.field] for value in vars(provider_events).values())
    assert aggregate.spec.home_queue == aggregate.service


@pytest.mark.parametrize("aggregate", AGGREGATES, ids=lambda a: a.field)
def test_every_subscriber_runs_the_projection_its_events_are_pushed_to(aggregate: Aggregate) -> None:
    for subscriber in aggregate.subscribers:
        assert aggregate.projection in DEFINITIONS[subscriber].activity_names(), (subscriber, aggregate.projection)


def test_every_provider_state_has_a_scenario_that_emits_its_event() -> None:
    assert set(SCENARIOS) == set(STATES.values())
    for event_name, state in STATES.items():
        assert event_in(state).name == event_name, state


def test_every_consumer_has_an_example_for_what_it_receives() -> None:
    assert set(EXAMPLES) == set(SPEC_EVENTS)
    wired = {(subscriber, aggregate.field) for aggregate in AGGREGATES for subscriber in aggregate.subscribers}
    assert set(NEEDS) == wired


def test_the_committed_message_pacts_are_exactly_the_current_ones() -> None:
    """A pact file per (subscriber, emitting service), each with one interaction per event, in its state."""
    files = pact_files()
    committed = {path.name for path in PACT_DIR.glob("*-projections-*-events.json")}
    assert committed == {f"{consumer}-{provider}.json" for consumer, provider in files}
    for (consumer, provider), pairs in files.items():
        pact = json.loads((PACT_DIR / f"{consumer}-{provider}.json").read_text())
        assert (pact["consumer"]["name"], pact["provider"]["name"]) == (consumer, provider)
        assert pact["metadata"]["pactSpecification"]["version"] == "4.0"
        found = sorted(
            (i["description"], [s["name"] for s in i["providerStates"]], i["type"]) for i in pact["interactions"]
        )
        assert found == sorted((p.description, [p.state], "Asynchronous/Messages") for p in pairs)
