"""``mallbots …`` as an operator runs it against the test session's stack: its own process, configured only by
the environment a deployment gives it (the Temporal address, the database URL, the payload keys)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from mallbots.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
BOUND = 90.0  # seconds: not a performance goal, only how long a hang takes to fail the test


def operator_env(stack: Stack, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLBOTS_")}
    assert stack.settings.database_url is not None
    env |= {
        "MALLBOTS_TEMPORAL_ADDRESS": stack.temporal_address,
        "MALLBOTS_DATABASE_URL": stack.settings.database_url,
        "COLUMNS": "250",  # rich's tables on wide lines
    }
    if stack.payload_keys is not None:
        env["MALLBOTS_PAYLOAD_KEYS"] = ",".join(key.line() for key in stack.payload_keys)
    return env | extra


async def mallbots_cli(stack: Stack, *args: str, **env: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of ``mallbots <args>``."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "mallbots.cli",
        *args,
        cwd=ROOT,
        env=operator_env(stack, **env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(BOUND):
            out, err = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()
