"""The stack of ``mallbots up`` and the bench: the API and the workers as processes of their own, on a throw-away
embedded stack. Whole orders go through them; with worker versioning on, the stack makes its one build current
(a build ID it decided for every worker process), and the orders run pinned to it; after the stop, no child is
left."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mallbots import versioning
from mallbots.devstack.ports import free_port_run
from mallbots.processes import ProcessLayout
from mallbots.stack import Stack, ephemeral_options
from mallbots.tools.bench import ClientTally, journey, open_mall, prepare_orders
from mallbots.tools.client import MallbotsClient
from workflows.ordering.messages import order_workflow_id

ORDERS = 3


@dataclass(frozen=True)
class MetricsPorts:
    """Each process of the stack serves its metrics on the port after the one before: the SDK's of two worker
    processes then two API processes from ``sdk``, the workers' own from ``worker``."""

    sdk: int
    worker: int


@pytest.fixture(scope="module")
def metrics_ports() -> MetricsPorts:
    # Chosen when the stack starts, not when the module is collected (a port free at collection may be any
    # other server's or connection's by the time this module runs), and below the ephemeral range.
    first = free_port_run(6)
    return MetricsPorts(sdk=first, worker=first + 4)


@pytest.fixture(scope="module")
async def stack(tmp_path_factory: pytest.TempPathFactory, metrics_ports: MetricsPorts) -> AsyncIterator[Stack]:
    options = ephemeral_options(tmp_path_factory.mktemp("layout"), processes=ProcessLayout(workers=2, api=2))
    options.settings = options.settings.model_copy(
        update={
            "worker_versioning": True,
            "log_level": "WARNING",
            "temporal_metrics_address": f"127.0.0.1:{metrics_ports.sdk}",
            "metrics_address": f"127.0.0.1:{metrics_ports.worker}",
        }
    )
    async with Stack(options) as running:
        yield running


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


async def test_the_api_and_the_workers_are_processes_of_their_own(stack: Stack) -> None:
    kinds = sorted(child.kind for child in stack.children)
    assert kinds == ["api", "api", "worker", "worker"]
    pids = {child.pid for child in stack.children}
    assert os.getpid() not in pids and all(_alive(pid) for pid in pids)
    # This process serves nothing: its copy of the listening socket is closed, the API processes answer.
    async with httpx.AsyncClient(base_url=stack.api_url) as http:
        assert (await http.get("/api/stores")).status_code == 401


async def test_whole_orders_run_through_them_pinned_to_the_build_the_stack_made_current(stack: Stack) -> None:
    assert stack.client is not None
    status = await versioning.describe(stack.client, stack.settings.deployment_name)
    assert status is not None and status.current is not None
    tally = ClientTally()
    async with MallbotsClient(stack.api_url, token=stack.token()) as http:
        mall = await open_mall(http, stack.token, tally)
        orders = await prepare_orders(mall, ORDERS, ORDERS)
        for order in orders:
            await journey(mall, order)
    assert all(order.completed > 0 for order in orders)
    for order in orders:
        described = await stack.client.get_workflow_handle(order_workflow_id(order.basket_id)).describe()
        info = described.raw_description.workflow_execution_info.versioning_info
        assert info.deployment_version.build_id == status.current  # pinned to the one build
    assert tally.retried_commands == 0


async def test_a_stop_ends_every_child(tmp_path: Path) -> None:
    options = ephemeral_options(tmp_path / "stack", processes=ProcessLayout(workers=1, api=1))
    async with Stack(options) as stopped:
        pids = [child.pid for child in stopped.children]
        assert len(pids) == 2
    assert not [pid for pid in pids if _alive(pid)]
    assert stopped.children == [] and not stopped.abandoned


async def test_each_process_serves_its_metrics_on_a_port_of_its_own(stack: Stack, metrics_ports: MetricsPorts) -> None:
    """Set once, ``MALLBOTS_TEMPORAL_METRICS_ADDRESS`` is the first worker process's port, the next ones the other
    workers', then the API processes'; the parent serves none (it once took the first port, and the first worker
    process then failed to start)."""
    async with httpx.AsyncClient(timeout=10) as scrape:
        for port in (metrics_ports.sdk, metrics_ports.sdk + 1):
            body = (await scrape.get(f"http://127.0.0.1:{port}/metrics")).text
            # A worker's SDK metrics, with the workflows' domain metrics.
            assert "temporal_worker_start" in body and "mallbots_orders_total" in body, port
        for port in (metrics_ports.sdk + 2, metrics_ports.sdk + 3):
            body = (await scrape.get(f"http://127.0.0.1:{port}/metrics")).text
            assert "temporal_request" in body and "temporal_worker_start" not in body, port  # a client's only
        for port in (metrics_ports.worker, metrics_ports.worker + 1):
            body = (await scrape.get(f"http://127.0.0.1:{port}/metrics")).text
            assert "mallbots_projection_lag_seconds" in body, port


async def test_a_taken_metrics_port_stops_the_start_naming_the_setting(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The last API process's SDK metrics port is held by another server: that child exits with the setting and
    the reason (no traceback), and the start fails naming the child; nothing is left running."""
    first = free_port_run(4)
    with socket.socket() as held:
        held.bind(("127.0.0.1", first + 3))
        held.listen()
        options = ephemeral_options(tmp_path / "stack", processes=ProcessLayout(workers=2, api=2))
        options.settings = options.settings.model_copy(
            update={"log_level": "WARNING", "temporal_metrics_address": f"127.0.0.1:{first}"}
        )
        stack = Stack(options)
        with pytest.raises(RuntimeError, match=r"the API process 2 exited \(code 2\) before it was ready"):
            async with stack:
                pass
    said = "".join(capfd.readouterr())  # the child's own output, which is ours
    assert f"cannot start: MALLBOTS_TEMPORAL_METRICS_ADDRESS=127.0.0.1:{first + 3}" in said, said
    assert "Address already in use" in said and "Traceback" not in said
    assert stack.children == []
