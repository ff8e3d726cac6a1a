"""The live OpenAPI document, fuzzed with every schemathesis check (configured in conftest.py): each operation
on its own, then sequences of operations that feed each other's answers (IDs) into the next request.

A failure here is a bug of the API (a 500, an undocumented status, a body unlike its schema, invalid input
accepted or valid input refused); each one is reported with a curl command that reproduces it.
"""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis import Case
from schemathesis.generation.stateful.state_machine import StepInput, StepOutput
from schemathesis.schemas import BaseSchema

from tests.fuzz.conftest import SEED, STATEFUL_LABEL, Fuzzer

schema = schemathesis.pytest.from_fixture("api_schema")

# Bounded by count: scenarios x steps requests at most (plus shrinking a failure): a few seconds here.
STATEFUL_SCENARIOS = 25
STATEFUL_STEPS = 10


@schema.parametrize()
@pytest.mark.timeout(600)  # every operation runs in this one test, each case within CASE_TIMEOUT
def test_every_operation_keeps_its_documented_contract(case: Case[Any], fuzzer: Fuzzer) -> None:
    fuzzer.call_and_validate(case)


@pytest.mark.timeout(600)
def test_sequences_of_operations_keep_the_documented_contract(api_schema: BaseSchema, fuzzer: Fuzzer) -> None:
    """The links between operations are inferred by schemathesis (the document declares none): an ID that a
    POST answers becomes the path parameter of the next GET or command."""
    machine: Any = api_schema.as_state_machine()

    @hypothesis.seed(SEED)  # the same scenarios on every run, as for the operations
    class Sequences(machine):  # type: ignore[misc]
        def step(self, input: StepInput) -> StepOutput:
            output: StepOutput = fuzzer.send(input.case, lambda: super(Sequences, self).step(input), STATEFUL_LABEL)
            return output

    Sequences.run(
        settings=hypothesis.settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            database=None,
            suppress_health_check=[hypothesis.HealthCheck.too_slow],  # as for the operations: see CONFIG
        )
    )
