from __future__ import annotations

from mallbots.stack import Stack
from mallbots.tools.busywork import run_busywork


async def test_the_simulator_shops_picks_and_pays_without_a_single_failure(stack: Stack) -> None:
    tally = await run_busywork(stack.api_url, clients=2, duration=4, seed=7)

    assert tally.failed == {}, tally.failed
    assert tally.done["store opened"] >= 2
    assert tally.done["order approved"] >= 1
    assert tally.total > 10
