"""Each module of the product imports on its own, first, in a fresh interpreter: an import cycle between
workflows and the activities they call (or anything else) shows here, not in whichever process happens to
import them in an unlucky order."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Where cycles can form: workflows import the activities they call, which import the workflows they command.
PACKAGES = ("workflows", "activities")
ENTRY_POINTS = ["mallbots.services", "mallbots.bootstrap", "mallbots.cli", "api.app"]


def _modules() -> list[str]:
    found = list(ENTRY_POINTS)
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "__init__.py":
                continue
            found.append(".".join(path.relative_to(ROOT).with_suffix("").parts))
    return found


MODULES = _modules()


@pytest.mark.parametrize("chunk", [MODULES[i::2] for i in range(2)], ids=lambda c: c[0])
def test_every_module_imports_first_in_a_fresh_interpreter(chunk: list[str]) -> None:
    # One interpreter per module (what matters is which import comes first), two at a time (each is one core
    # for a second); two batches run them.
    script = (
        "import subprocess, sys\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "def run(m):\n"
        "    r = subprocess.run([sys.executable, '-c', f'import {m}'], capture_output=True, text=True)\n"
        "    return f'{m}: {r.stderr.strip().splitlines()[-1]}' if r.returncode else None\n"
        "with ThreadPoolExecutor(2) as pool:\n"
        "    bad = [b for b in pool.map(run, sys.argv[1:]) if b]\n"
        "print('\\n'.join(bad)); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *chunk], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout
