"""``make test`` checks the committed pacts, it does not rewrite them: a consumer that now expects something else
fails, naming the file and the interaction, until ``make pacts`` rewrites the file (a diff to review)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.contracts.drift import WRITE_PACTS, compare, settle
from tests.contracts.http.pacts import pact_file as http_pact_file
from tests.contracts.messages.catalog import PAIRS, pact_file, pact_files
from tests.contracts.messages.consumer_examples import add_interaction, build_pact

PAIR = next(p for p in PAIRS if p.id == "stores.StoreCreated->baskets")
KEY = f"'a stores.StoreCreated event' given a store was created {json.dumps(PAIR.state.params, sort_keys=True)}"


def _written(tmp_path: Path, *, extra: dict[str, Any] | None = None) -> Path:
    """baskets' pact of stores, as its consumer test writes it now (``extra``: a new field it expects)."""
    pairs = pact_files()[(PAIR.consumer, PAIR.provider)]
    pact = build_pact(PAIR.consumer, PAIR.provider, [p for p in pairs if p != PAIR])
    add_interaction(pact, PAIR, extra=extra)
    pact.write_file(tmp_path, overwrite=True)
    return pact_file(PAIR.consumer, PAIR.provider, tmp_path)


def test_the_consumers_expectations_today_are_the_committed_pact(tmp_path: Path) -> None:
    assert not compare(_written(tmp_path), pact_file(PAIR.consumer, PAIR.provider))


def test_a_consumer_expecting_a_new_field_fails_naming_the_interaction_and_the_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(WRITE_PACTS, raising=False)
    committed = Path(shutil.copy(pact_file(PAIR.consumer, PAIR.provider), tmp_path / "committed.json"))
    with pytest.raises(AssertionError) as failure:
        settle(_written(tmp_path, extra={"opening_hours": "09:00-18:00"}), committed)
    report = str(failure.value)
    assert f"interaction {KEY} changed" in report, report
    assert re.search(r'\n\s+\+\s+"opening_hours": "09:00-18:00",\n', report), report
    assert "run `make pacts`" in report, report
    assert committed.read_bytes() == pact_file(PAIR.consumer, PAIR.provider).read_bytes(), "left as committed"


def test_an_interaction_the_committed_pact_lacks_or_no_longer_needs_is_named(tmp_path: Path) -> None:
    committed = Path(shutil.copy(pact_file(PAIR.consumer, PAIR.provider), tmp_path / "committed.json"))
    document = json.loads(committed.read_text())
    document["interactions"] = [i for i in document["interactions"] if i["description"] != PAIR.description]
    document["interactions"].append({**document["interactions"][0], "description": "a stores.StoreClosed event"})
    committed.write_text(json.dumps(document))
    drift = compare(_written(tmp_path), committed)
    assert drift.added == (KEY,)
    assert drift.dropped == (
        "'a stores.StoreClosed event' given a product was added to a store "
        '{"description": "Six axes, one gripper", "price": "12.50", "productName": "Robot arm", '
        '"sku": "ARM-6"}',
    )


def test_make_pacts_writes_what_the_consumer_expects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WRITE_PACTS, "1")
    target = tmp_path / "contracts" / "pacts" / "baskets-stores.json"
    written = _written(tmp_path, extra={"opening_hours": "09:00-18:00"})
    settle(written, target)
    assert target.read_bytes() == written.read_bytes()


def test_an_http_consumer_expecting_another_answer_fails_naming_the_request(tmp_path: Path) -> None:
    """The same check for the client's HTTP pacts: here the client reads ``store.address``."""
    committed = http_pact_file("stores")
    written = Path(shutil.copy(committed, tmp_path / committed.name))
    document = json.loads(written.read_text())
    (interaction,) = [i for i in document["interactions"] if i["description"] == "a request to get a store"]
    store = interaction["response"]["body"]["content"]["store"]
    store["address"] = store.pop("location")
    written.write_text(json.dumps(document))
    drift = compare(written, committed)
    key = "'a request to get a store' given a store exists, an unregistered customer exists"
    assert list(drift.changed) == [key], drift.report()
    assert re.search(r'\n\s+\+\s+"address": ', drift.changed[key])
