"""A worker's memory is bounded by its workflow cache (``MALLBOTS_WORKFLOW_CACHE``): every service's worker keeps at
most that many runs in memory, however many entities are open (``mallbots bench --open-baskets`` measures the RSS
this bounds). A run evicted from it is replayed from its history at its next task and loses nothing: here with no
cache at all, so that every workflow task of a whole order is such a replay."""

from __future__ import annotations

from pathlib import Path

from mallbots.settings import Settings
from mallbots.stack import Stack, ephemeral_options
from mallbots.tools.client import MallbotsClient


def test_the_default_cache_bounds_each_services_worker_to_250_runs() -> None:
    assert Settings(_env_file=None).workflow_cache == 250


async def test_an_order_runs_whole_on_workers_that_cache_no_run(tmp_path: Path) -> None:
    options = ephemeral_options(tmp_path / "stack")
    options.settings = options.settings.model_copy(update={"workflow_cache": 0})
    async with Stack(options) as stack, MallbotsClient(stack.api_url, token=stack.token()) as mall:
        assert stack.workers, "the workers run in this process"
        assert {w.config()["max_cached_workflows"] for w in stack.workers} == {0}
        store_id = await mall.create_store("Cacheless Store", "Level 1")
        await mall.enable_participation(store_id)
        product_id = await mall.add_product(store_id, "Lamp", "12.50", sku="L-1")
        customer_id = await mall.register_customer("Ada Lovelace", "+44 20 7946 0001")
        payment_id = await mall.authorize_payment(customer_id, "100.00")
        basket_id = await mall.start_basket(customer_id)
        await mall.add_item(basket_id, product_id, 2)
        await mall.checkout(basket_id, payment_id)
        order = await mall.wait_for_order(basket_id, {"approved", "rejected"})
        assert order["status"] == "approved", order
        shopping = f"/api/depot/shopping/{order['shoppingId']}"
        await mall.request("PUT", f"{shopping}/assign", {"botId": "bot-1"})
        await mall.request("PUT", f"{shopping}/complete")
        ready = await mall.wait_for_order(basket_id, {"ready"})
        await mall.request("PUT", f"/api/payments/invoices/{ready['invoiceId']}/pay")
        completed = await mall.wait_for_order(basket_id, {"completed"})
        assert completed["status"] == "completed"
        assert completed["total"] == ready["total"] == order["total"]
