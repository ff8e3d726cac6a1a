"""Ports handed to servers that bind them later come from below the ephemeral range, free when chosen."""

from __future__ import annotations

import random
import socket

import pytest

from mallbots.devstack import ports


def test_a_run_of_ports_is_consecutive_free_and_below_the_ephemeral_range() -> None:
    first = ports.free_port_run(6)
    assert first >= ports._LOWEST and first + 6 <= ports._ephemeral_low()
    assert all(ports.port_is_free(port) for port in range(first, first + 6))


def test_a_port_held_by_a_server_is_not_free() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        assert not ports.port_is_free(int(held.getsockname()[1]))


def test_a_run_with_one_taken_port_is_never_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    taken = {30001}
    starts = iter([30000, 30001, 30002])  # the first two runs of two hold the taken port
    monkeypatch.setattr(random, "randrange", lambda low, high: next(starts))
    monkeypatch.setattr(ports, "port_is_free", lambda port, host="127.0.0.1": port not in taken)
    assert ports.free_port_run(2) == 30002


def test_no_free_run_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ports, "port_is_free", lambda port, host="127.0.0.1": False)
    with pytest.raises(RuntimeError, match="no 3 consecutive free ports"):
        ports.free_port_run(3, tries=5)


def test_a_taken_worker_metrics_port_is_a_start_up_error_naming_the_setting() -> None:
    from mallbots.metrics import MetricsAddressError, MetricsServer

    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        address = f"127.0.0.1:{held.getsockname()[1]}"
        with pytest.raises(MetricsAddressError, match=f"MALLBOTS_METRICS_ADDRESS={address}: Address already in use"):
            MetricsServer.start(address)
