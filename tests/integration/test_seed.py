"""The demo mall of `make run`: made through the public API by its own users, once."""

from __future__ import annotations

from api.auth import customer_id_of
from mallbots.stack import Stack
from mallbots.tools.client import MallbotsClient
from mallbots.tools.seed import DEMO_CUSTOMERS, DEMO_STORES, seed_demo_mall


async def test_seeding_twice_makes_the_mall_once_and_says_so(stack: Stack) -> None:
    first = await seed_demo_mall(stack.api_url, stack.issuer)
    again = await seed_demo_mall(stack.api_url, stack.issuer)

    products = sum(len(items) for *_, items in DEMO_STORES)
    assert first.summary == f"{len(DEMO_STORES)} stores, {products} products, {len(DEMO_CUSTOMERS)} customers"
    assert again.summary == "nothing: the demo mall was already there"
    assert set(first.tokens) == {"operator", "store owner", "customer Ada Lovelace", "customer Grace Hopper", "bot"}


async def test_the_demo_customers_registered_themselves_and_the_stores_are_the_demo_owners(stack: Stack) -> None:
    seeded = await seed_demo_mall(stack.api_url, stack.issuer)

    for subject, name, _ in DEMO_CUSTOMERS:
        async with MallbotsClient(stack.api_url, token=seeded.tokens[f"customer {name}"]) as customer:
            assert (await customer.get_customer(customer_id_of(subject)))["name"] == name
    async with MallbotsClient(stack.api_url, token=seeded.tokens["store owner"]) as owner:
        demo = [s for s in await owner.get_stores() if s["name"] in {name for name, *_ in DEMO_STORES}]
        assert len(demo) == len(DEMO_STORES)
        for store in demo:  # the owner may run them: a rebrand to the same name is accepted
            assert await owner.request("PUT", f"/api/stores/{store['id']}/rebrand", {"name": store["name"]})
