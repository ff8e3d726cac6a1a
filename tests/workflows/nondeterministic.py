"""Workflows that break determinism on purpose, each in one of the usual ways, for the guard's own test
(``test_determinism_guard``). Nothing else imports them."""

from __future__ import annotations

import random
import time
from datetime import datetime

from temporalio import workflow


@workflow.defn
class ReadsTheClock:
    @workflow.run
    async def run(self) -> float:
        return time.time()


@workflow.defn
class RollsADie:
    @workflow.run
    async def run(self) -> float:
        return random.random()


@workflow.defn
class AsksTheDate:
    @workflow.run
    async def run(self) -> str:
        return datetime.now().isoformat()
