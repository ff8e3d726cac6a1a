"""The committed pacts are the contracts: a consumer test compares what it now expects with them, and only
``make pacts`` (``MALLBOTS_WRITE_PACTS=1``) writes them.

Why not rewrite them on every run: the providers verify the files in ``contracts/pacts/``, so a consumer whose
expectations changed would rewrite the file, the provider would verify the new file, and nobody would ever see
that the contract moved. Here a consumer test writes its pact into a scratch directory, and that pact must be
the committed one, interaction for interaction; a difference fails naming the file and each interaction that
was added, dropped or changed (with the change). Regenerating is a deliberate step whose result is reviewed as
a diff of ``contracts/pacts/``, which is what a Pact Broker would be told about too (see the README).
"""

from __future__ import annotations

import difflib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WRITE_PACTS = "MALLBOTS_WRITE_PACTS"
REGENERATE = "make pacts"


def writing() -> bool:
    """``make pacts`` sets it: the consumer tests then write the committed files instead of checking them."""
    return os.environ.get(WRITE_PACTS, "") not in ("", "0", "false", "no")


def interaction_key(interaction: dict[str, Any]) -> str:
    """How Pact tells interactions apart: the description and the provider states (with their params)."""
    states = ", ".join(
        state["name"] + (f" {json.dumps(state['params'], sort_keys=True)}" if state.get("params") else "")
        for state in interaction.get("providerStates", [])
    )
    return f"{interaction['description']!r}" + (f" given {states}" if states else "")


def _canonical(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True)


def _header(document: dict[str, Any]) -> dict[str, Any]:
    """What the file says besides its interactions; the Pact library's own versions are not the contract."""
    return {
        "consumer": document.get("consumer"),
        "provider": document.get("provider"),
        "pactSpecification": document.get("metadata", {}).get("pactSpecification"),
    }


@dataclass(frozen=True)
class Drift:
    """How a pact the consumer wrote differs from the committed one (empty: not at all)."""

    file: str
    header: str | None
    added: tuple[str, ...]  # interactions the consumer now expects that the committed pact does not have
    dropped: tuple[str, ...]  # committed interactions the consumer no longer has
    changed: dict[str, str]  # interaction → what changed (a diff, committed → now)

    def __bool__(self) -> bool:
        return bool(self.header or self.added or self.dropped or self.changed)

    def report(self) -> str:
        lines = [f"contracts/pacts/{self.file}: the consumer now expects something else than the committed contract."]
        if self.header:
            lines.append(f"  the pact's parties or specification changed:\n{self.header}")
        lines += [f"  new interaction {key}" for key in self.added]
        lines += [f"  interaction no longer expected {key}" for key in self.dropped]
        for key, diff in self.changed.items():
            lines.append(f"  interaction {key} changed:\n{diff}")
        lines.append(
            f"If the change is intended, run `{REGENERATE}` and commit the diff of contracts/pacts/ for review "
            "(and publish it to the broker); if not, the consumer test drifted from its contract."
        )
        return "\n".join(lines)


def compare(written: Path, committed: Path) -> Drift:
    now: dict[str, Any] = json.loads(written.read_text())
    if not committed.exists():
        keys = tuple(interaction_key(i) for i in now.get("interactions", []))
        return Drift(committed.name, "  (no committed file)", keys, (), {})
    before: dict[str, Any] = json.loads(committed.read_text())
    header = None
    if _header(now) != _header(before):
        header = _diff(_canonical(_header(before)), _canonical(_header(now)))
    ours = {interaction_key(i): i for i in now.get("interactions", [])}
    theirs = {interaction_key(i): i for i in before.get("interactions", [])}
    changed = {
        key: _diff(_canonical(theirs[key]), _canonical(ours[key]))
        for key in sorted(ours.keys() & theirs.keys())
        if _canonical(ours[key]) != _canonical(theirs[key])
    }
    return Drift(
        committed.name,
        header,
        tuple(sorted(ours.keys() - theirs.keys())),
        tuple(sorted(theirs.keys() - ours.keys())),
        changed,
    )


def _diff(before: str, now: str) -> str:
    lines = difflib.unified_diff(before.splitlines(), now.splitlines(), "committed", "consumer test", lineterm="", n=2)
    return "\n".join(f"    {line}" for line in lines)


def settle(written: Path, committed: Path) -> None:
    """After every interaction of a pact passed its consumer test: write it (``make pacts``), or insist that
    it is the committed one (``make test``)."""
    if writing():
        committed.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(written, committed)
        return
    drift = compare(written, committed)
    assert not drift, drift.report()
