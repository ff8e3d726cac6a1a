"""The simulator's verdict and the URL it accepts."""

from __future__ import annotations

from collections import Counter

import pytest

from mallbots.tools.busywork import Tally, api_root


@pytest.mark.parametrize(
    "pasted",
    ["http://127.0.0.1:8080", "http://127.0.0.1:8080/", "http://127.0.0.1:8080/api", "http://127.0.0.1:8080/api/"],
)
def test_the_banners_api_url_and_the_bare_one_are_the_same_api(pasted: str) -> None:
    assert api_root(pasted) == "http://127.0.0.1:8080"


def test_a_run_that_was_mostly_refused_is_a_failure_and_a_few_refusals_are_not() -> None:
    assert Tally(done=Counter({"order approved": 1}), refused=Counter({"shopper (404)": 11780})).mostly_refused
    assert not Tally(done=Counter({"order approved": 40}), refused=Counter({"bot (409)": 3})).mostly_refused
    assert not Tally().mostly_refused
