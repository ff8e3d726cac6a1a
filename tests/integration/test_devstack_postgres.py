"""The embedded Postgres of the dev stack survives losing its free port to another process."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from mallbots.devstack import postgres
from mallbots.devstack.ports import free_port
from mallbots.devstack.postgres import LocalPostgres


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_a_free_port_taken_before_the_server_binds_it_is_replaced_by_another(
    tmp_path: Path, taken_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    offered: list[int] = []
    real_free_port = free_port

    def first_a_taken_port() -> int:
        offered.append(taken_port if not offered else real_free_port())
        return offered[-1]

    monkeypatch.setattr(postgres, "free_port", first_a_taken_port)
    server = LocalPostgres(tmp_path / "pg", ephemeral=True)
    try:
        server.start()
        assert offered[0] == taken_port and server.port == offered[1] != taken_port
        with psycopg.connect(f"host=127.0.0.1 port={server.port} user=postgres dbname=mallbots") as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        server.destroy()


def test_a_port_the_user_chose_is_not_silently_replaced(tmp_path: Path, taken_port: int) -> None:
    server = LocalPostgres(tmp_path / "pg", ephemeral=True, port=taken_port)
    try:
        with pytest.raises(postgres.PortTaken, match=f"port {taken_port} was taken"):
            server.start()
    finally:
        server.destroy()
