"""The live OpenAPI document, fuzzed with every schemathesis check (configured in conftest.py): every operation,
with real IDs of each kind of entity in half of its cases.

A failure here is a bug of the API (a 500, an undocumented status, a body unlike its schema, invalid input
accepted or valid input refused); each one is reported with a curl command that reproduces it.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from schemathesis import Case

from tests.fuzz.conftest import Fuzzer

schema = schemathesis.pytest.from_fixture("api_schema")

# No stateful (links) run: its sequences draw from what the live stack answered before, which Hypothesis
# rightly calls flaky ("data generation depending on external state") on a busy machine; each operation is
# fuzzed on its own here, with real IDs of every kind of entity (see conftest).


@schema.parametrize()
@pytest.mark.timeout(600)  # every operation runs in this one test, each case within CASE_TIMEOUT
def test_every_operation_keeps_its_documented_contract(case: Case[Any], fuzzer: Fuzzer) -> None:
    fuzzer.call_and_validate(case)
