"""The README's curl journey, run as a user pastes it: the block is read from README.md itself (so the README
cannot drift from what works) and run by bash against the session's stack, each actor with a token of the
stack's own issuer (``mallbots token`` reads its key from MALLBOTS_AUTH_SIGNING_KEY_FILE)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from mallbots.stack import Stack

ROOT = Path(__file__).resolve().parents[2]


def readme_journey() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### The book's journey with curl") :]
    found = re.search(r"```bash\n(.*?)\n```", section, re.S)
    assert found, "the README's journey has no bash block"
    return found.group(1)


def _answers(output: str) -> list[dict[str, Any]]:
    """The JSON documents the block printed, in order (curl prints them back to back)."""
    decoder, documents, at = json.JSONDecoder(), [], 0
    while at < len(output):
        if output[at].isspace():
            at += 1
            continue
        document, at = decoder.raw_decode(output, at)
        documents.append(document)
    return documents


async def test_the_readme_journey_works_when_pasted_as_one_block(stack: Stack, tmp_path: Path) -> None:
    assert stack.issuer is not None
    key = tmp_path / "signing-key.pem"
    key.write_text(stack.issuer.pem())
    env = {
        **os.environ,
        "API": f"{stack.api_url}/api",
        "MALLBOTS_AUTH_SIGNING_KEY_FILE": str(key),
        "MALLBOTS_DATA_DIR": str(tmp_path / "data"),
    }
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        "set -euo pipefail\n" + readme_journey(),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 180)
    assert process.returncode == 0, err.decode()

    answers = _answers(out.decode())
    refusals = [a for a in answers if "message" in a]
    orders = [a["order"]["status"] for a in answers if "order" in a]
    assert orders == ["approved", "ready", "completed"], answers
    lists = next(a["shoppingLists"] for a in answers if "shoppingLists" in a)
    assert any(lst["status"] == "available" for lst in lists), lists
    assert [a for a in answers if "invoice" in a][-1]["invoice"]["status"] == "paid"
    assert [r["code"] for r in refusals] == [10, 5], refusals  # the 409 (gRPC ABORTED), then Bob's 404 (NOT_FOUND)
    assert "can no longer be cancelled" in refusals[0]["message"] and "does not exist" in refusals[1]["message"]
