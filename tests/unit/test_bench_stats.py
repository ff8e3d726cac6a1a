"""The bench's arithmetic: nearest-rank percentiles, summaries, the spread of the history sample, ratios."""

from __future__ import annotations

import pytest

from mallbots.tools.bench import CpuReading, cpu_document, percentile, ratios, sample, summary, system_cpu


@pytest.mark.parametrize(
    ("p", "expected"),
    [(0, 1), (10, 1), (11, 2), (50, 5), (90, 9), (91, 10), (99, 10), (100, 10)],
)
def test_a_percentile_is_the_nearest_rank_of_the_sorted_values(p: float, expected: float) -> None:
    values = [7, 3, 10, 1, 5, 9, 2, 8, 4, 6]  # 1..10, shuffled
    assert percentile(values, p) == expected


def test_a_percentile_of_nothing_is_zero_and_of_one_value_that_value() -> None:
    assert percentile([], 50) == 0.0
    assert [percentile([0.25], p) for p in (1, 50, 99)] == [0.25, 0.25, 0.25]


def test_a_summary_is_ordered_from_min_to_max() -> None:
    values = [0.1 * i for i in range(1, 31)]
    stats = summary(values)
    assert stats["count"] == 30
    assert stats["min"] <= stats["p50"] <= stats["p90"] <= stats["p99"] <= stats["max"]
    assert (stats["p50"], stats["p90"], stats["p99"]) == (values[14], values[26], values[29])
    assert stats["mean"] == pytest.approx(sum(values) / 30)


@pytest.mark.parametrize(("count", "size"), [(6, 20), (30, 20), (300, 20), (21, 20), (20, 20)])
def test_the_history_sample_spreads_over_every_order_first_and_last_included(count: int, size: int) -> None:
    chosen = sample(count, size)
    assert chosen == sorted(set(chosen))
    assert len(chosen) == min(count, size)
    assert (chosen[0], chosen[-1]) == (0, count - 1)
    assert all(0 <= i < count for i in chosen)


def test_a_sample_of_one_or_none_is_the_first_order_or_nothing() -> None:
    assert (sample(5, 1), sample(5, 0)) == ([0], [])


def _cpu(per: str, temporal: float, workers: float, client: float, postgres: float | None) -> dict[str, object]:
    def entry(seconds: float | None) -> dict[str, float] | None:
        return None if seconds is None else {"seconds": seconds, per: seconds, "cores": 0.0}

    return {
        "temporal_server": entry(temporal),
        "workers_and_api": entry(workers),
        "bench_client": entry(client),
        "postgres": entry(postgres),
        "python_process": entry(workers + client),
    }


def test_the_ratios_divide_the_sagas_figures_by_the_floors_and_leave_the_bench_client_out() -> None:
    saga = {
        "orders_per_second": 5.0,
        "latency_seconds": {"checkout_to_approved": {"p50": 0.3, "p99": 0.9}},
        "cpu_seconds": _cpu("per_order", temporal=0.2, workers=0.3, client=5.0, postgres=0.1),
    }
    floor = {
        "runs_per_second": 20.0,
        "latency_seconds": {"run": {"p50": 0.1, "p99": 0.2}},
        "cpu_seconds": _cpu("per_run", temporal=0.05, workers=0.05, client=5.0, postgres=0.0),
    }
    assert ratios(saga, floor) == pytest.approx(
        {"latency_p50": 3.0, "latency_p99": 4.5, "throughput": 0.25, "cpu": 6.0}
    )


def test_a_process_that_was_not_measured_counts_for_nothing_and_a_zero_floor_gives_no_ratio() -> None:
    assert system_cpu(_cpu("per_order", 0.2, 0.3, 0.1, None), "per_order") == pytest.approx(0.5)
    saga = {
        "orders_per_second": 5.0,
        "latency_seconds": {"checkout_to_approved": {"p50": 0.3, "p99": 0.9}},
        "cpu_seconds": _cpu("per_order", 0.2, 0.3, 0.1, 0.1),
    }
    floor = {
        "runs_per_second": 0.0,
        "latency_seconds": {"run": {"p50": 0.0, "p99": 0.0}},
        "cpu_seconds": _cpu("per_run", 0.0, 0.0, 0.0, 0.0),
    }
    assert ratios(saga, floor) == {"latency_p50": None, "latency_p99": None, "throughput": None, "cpu": None}


def _reading(at: float, *, process: float, client: float, workers: float | None, api: float | None) -> CpuReading:
    return CpuReading(
        temporal=10 * at, postgres=at, workers=workers, api=api, process=process, client=client, machine=100 * at, at=at
    )


def test_with_worker_and_api_processes_the_bench_process_is_all_client_and_the_children_are_the_system() -> None:
    before = _reading(0.0, process=1.0, client=0.2, workers=5.0, api=2.0)
    after = _reading(1.0, process=1.5, client=0.3, workers=8.0, api=3.0)
    cpu = cpu_document(before, after, 10, "per_order", system_here=False)
    assert cpu["workers"]["seconds"] == pytest.approx(3.0) and cpu["api"]["seconds"] == pytest.approx(1.0)
    assert cpu["workers_and_api"]["seconds"] == pytest.approx(4.0)
    assert cpu["bench_client"]["seconds"] == pytest.approx(0.5) == cpu["python_process"]["seconds"]
    # The machine's 100 s less Temporal's 10, Postgres's 1, this process's 0.5 and the children's 4.
    assert cpu["others"]["seconds"] == pytest.approx(84.5)
    assert cpu["workers_and_api"]["per_order"] == pytest.approx(0.4)


def test_a_process_hosting_the_system_counts_only_its_client_coroutines_as_the_client() -> None:
    before = _reading(0.0, process=1.0, client=0.2, workers=None, api=None)
    after = _reading(2.0, process=3.0, client=0.7, workers=None, api=None)
    cpu = cpu_document(before, after, 4, "per_run")
    assert cpu["workers"] is None and cpu["api"] is None
    assert cpu["bench_client"]["seconds"] == pytest.approx(0.5)
    assert cpu["workers_and_api"]["seconds"] == pytest.approx(1.5)
    assert cpu["workers_and_api"]["cores"] == pytest.approx(0.75)
