"""The metrics' label values are few and fixed: event families, projection lag, the worker endpoint's address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY

from activities.shared.projection_lag import event_family, observe_lag
from domain.stores.events import StoreEvent
from domain.stores.model import Store
from mallbots.metrics import split_address, subscribed_families
from mallbots.services import DEFINITIONS
from mallbots.settings import SERVICES
from workflows.shared.spec import EntitySpec

SPECS: list[EntitySpec[Any, Any]] = [
    spec
    for definition in DEFINITIONS.values()
    for workflow in definition.workflows
    if isinstance(spec := getattr(workflow, "ENTITY", None), EntitySpec)
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.event_type.__name__)
def test_an_event_family_is_the_common_prefix_of_its_aggregates_event_names(spec: EntitySpec[Any, Any]) -> None:
    family = event_family(spec.event_type, spec.event_names[0])
    assert all(name.startswith(family) for name in spec.event_names), (family, spec.event_names)


def test_each_aggregate_has_its_own_family_and_each_service_subscribes_to_a_few() -> None:
    families = [event_family(spec.event_type, spec.event_names[0]) for spec in SPECS]
    assert len(families) == len(set(families)) == len(SPECS)
    for service in SERVICES:
        assert 1 <= len(subscribed_families(service)) <= len(families), service
    assert subscribed_families("search") == ["customers.Customer", "ordering.Order", "stores.Product", "stores.Store"]


def _store_event(occurred_at: datetime) -> StoreEvent:
    store = Store(id="s-1", name="Corner Shop", location="Level 1")
    return StoreEvent(name="stores.StoreCreated", aggregate_id="s-1", number=1, occurred_at=occurred_at, store=store)


def test_the_lag_is_from_the_events_time_and_never_negative() -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    # A real subscription (stores' own read model of its stores): the registry is the process's, so only growth
    # is this test's.
    labels = {"service": "stores", "event_family": "stores.Store"}
    within_5s = {**labels, "le": "5.0"}

    def sample(name: str, of: dict[str, str]) -> float:
        return REGISTRY.get_sample_value(f"mallbots_projection_lag_seconds_{name}", of) or 0.0

    before = sample("sum", labels), sample("count", labels), sample("bucket", within_5s)
    assert observe_lag("stores", _store_event(now - timedelta(seconds=2.5)), now=now) == 2.5
    # A worker whose clock is behind the server's sees the event "from the future": no lag, not a negative one.
    assert observe_lag("stores", _store_event(now + timedelta(seconds=1)), now=now) == 0.0
    # A naive time is UTC (what the workflows write).
    assert observe_lag("stores", _store_event(datetime(2025, 1, 1, 11, 59)), now=now) == 60.0
    after = sample("sum", labels), sample("count", labels), sample("bucket", within_5s)
    sum_delta, count_delta, le_delta = (a - b for a, b in zip(after, before, strict=True))
    assert sum_delta == pytest.approx(62.5)  # a float sum of 2.5, 0 and 60
    assert (count_delta, le_delta) == (3, 2)


@pytest.mark.parametrize(
    ("address", "parsed"),
    [("0.0.0.0:9465", ("0.0.0.0", 9465)), ("127.0.0.1:0", ("127.0.0.1", 0)), ("[::]:9465", ("::", 9465))],
)
def test_the_worker_metrics_address_is_host_and_port(address: str, parsed: tuple[str, int]) -> None:
    assert split_address(address) == parsed


@pytest.mark.parametrize("address", ["9465", ":9465", "localhost:", "localhost:http"])
def test_a_bad_worker_metrics_address_names_the_setting(address: str) -> None:
    with pytest.raises(ValueError, match="MALLBOTS_METRICS_ADDRESS"):
        split_address(address)
