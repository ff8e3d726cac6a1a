"""Regenerate the golden histories: ``.venv/bin/python -m tests.replay.generate``.

Runs each workflow's main paths through the public API of a throw-away stack and saves every run's
history as ``tests/replay/histories/<WorkflowType>-<path>.json``. Regenerate only when a change is
*meant* to alter a workflow's commands, and only once the change is safe for the runs that will meet it:
a pinned workflow never meets new code (worker versioning), a long-lived run that must change mid-flight
needs ``workflow.patched`` (see the README); otherwise the replay test is doing its job.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import tempfile
from pathlib import Path

from temporalio.client import Client

from mallbots.stack import Stack, ephemeral_options
from mallbots.tools.client import ApiError, MallbotsClient

HISTORIES = Path(__file__).parent / "histories"


# Small enough that one store of the generated mall continues as new (the others stay below it), so a run
# ending in continue-as-new and a run started by one are both covered.
CONTINUE_AS_NEW_AFTER = 6


async def _save(client: Client, workflow_id: str, name: str, run_id: str | None = None) -> None:
    handle = client.get_workflow_handle(workflow_id, run_id=run_id)
    history = await handle.fetch_history()
    workflow_type = history.events[0].workflow_execution_started_event_attributes.workflow_type.name
    path = HISTORIES / f"{workflow_type}-{name}.json"
    path.write_text(json.dumps(history.to_json_dict(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {path.relative_to(Path.cwd())} ({len(history.events)} events)")


async def _settle(client: Client, workflow_id: str) -> None:
    """Wait until the workflow has no pending work (so the saved history is a stable prefix)."""
    handle = client.get_workflow_handle(workflow_id)
    for _ in range(200):
        description = await handle.describe()
        raw = description.raw_description
        if not raw.pending_activities and not raw.pending_workflow_task.ListFields():
            return
        await asyncio.sleep(0.05)


async def generate(mall: MallbotsClient, client: Client) -> None:
    store_id = await mall.create_store("Replay Books", "North wing")
    await mall.enable_participation(store_id)
    await mall.rebrand_store(store_id, "Replay Books & Co")
    await mall.disable_participation(store_id)
    await mall.enable_participation(store_id)
    product_id = await mall.add_product(store_id, "Replay Widget", "19.99", sku="RW-1")
    await mall.change_price(product_id, "21.00", increase=True)
    await mall.change_price(product_id, "20.00", increase=False)
    await mall.rebrand_product(product_id, "Replay Widget II", "now with more replay")
    removed_id = await mall.add_product(store_id, "Replay Gone", "1.00", sku="RG-1")
    await mall.remove_product(removed_id)
    customer_id = await mall.register_customer("Replay Customer", "+1 555 0100")
    await mall.change_sms(customer_id, "+1 555 0101")
    await mall.disable_customer(customer_id)
    await mall.enable_customer(customer_id)

    # completed order (basket checkout → approved → ready → completed)
    payment_id = await mall.authorize_payment(customer_id, "200.00")
    basket_id = await mall.start_basket(customer_id)
    await mall.add_item(basket_id, product_id, 3)
    await mall.remove_item(basket_id, product_id, 1)
    await mall.checkout(basket_id, payment_id)
    await mall.wait_for_order(basket_id, {"approved"})
    await mall.assign_bot(basket_id, "bot-1")
    await mall.complete_shopping_list(basket_id)
    await mall.wait_for_order(basket_id, {"ready"})
    await mall.pay_invoice(basket_id)
    await mall.wait_for_order(basket_id, {"completed"})

    # rejected for a short payment: compensations run
    short_id = await mall.authorize_payment(customer_id, "5.00")
    short_order = await mall.create_order(customer_id, short_id, {product_id: 2})
    await mall.wait_for_order(short_order, {"rejected"})

    # cancelled after approval
    cancel_payment = await mall.authorize_payment(customer_id, "100.00")
    cancel_basket = await mall.start_basket(customer_id)
    await mall.add_item(cancel_basket, product_id, 1)
    await mall.checkout(cancel_basket, cancel_payment)
    await mall.wait_for_order(cancel_basket, {"approved"})
    await mall.cancel_order(cancel_basket)

    # a cancel that loses to the bots: refused (409), the order goes on and is paid
    late_payment = await mall.authorize_payment(customer_id, "100.00")
    late_order = await mall.create_order(customer_id, late_payment, {product_id: 1})
    await mall.wait_for_order(late_order, {"approved"})
    await mall.assign_bot(late_order, "bot-2")
    await mall.complete_shopping_list(late_order)
    with contextlib.suppress(ApiError):  # 409: the shopping list is completed
        await mall.cancel_order(late_order)
    await mall.wait_for_order(late_order, {"ready"})
    await mall.pay_invoice(late_order)
    await mall.wait_for_order(late_order, {"completed"})

    # a cancel while a bot holds the list: the list is withdrawn, the payment released
    assigned_payment = await mall.authorize_payment(customer_id, "100.00")
    assigned_order = await mall.create_order(customer_id, assigned_payment, {product_id: 1})
    await mall.wait_for_order(assigned_order, {"approved"})
    await mall.assign_bot(assigned_order, "bot-3")
    await mall.cancel_order(assigned_order)

    # an operator cancels the list of an approved order: the order is cancelled too
    depot_payment = await mall.authorize_payment(customer_id, "100.00")
    depot_order = await mall.create_order(customer_id, depot_payment, {product_id: 1})
    await mall.wait_for_order(depot_order, {"approved"})
    await mall.request("POST", f"/api/depot/shopping/{depot_order}")
    await mall.wait_for_order(depot_order, {"cancelled"})

    # an abandoned (cancelled) basket
    abandoned = await mall.start_basket(customer_id)
    await mall.add_item(abandoned, product_id, 1)
    await mall.cancel_basket(abandoned)

    # a store that continues as new: its sixth event ends the first run, the next command is the new run's
    renamed_id = await mall.create_store("Replay Renamed", "South wing")
    first_run = (await client.get_workflow_handle(f"store:{renamed_id}").describe()).run_id
    for n in range(1, CONTINUE_AS_NEW_AFTER):
        await mall.rebrand_store(renamed_id, f"Replay Renamed {n}")
    await mall.enable_participation(renamed_id)
    await _settle(client, f"store:{renamed_id}")
    await _save(client, f"store:{renamed_id}", "continued-as-new", run_id=first_run)

    runs = {
        f"store:{store_id}": "lifecycle",
        f"product:{product_id}": "lifecycle",
        f"product:{removed_id}": "removed",
        f"customer:{customer_id}": "lifecycle",
        f"basket:{basket_id}": "checked-out",
        f"basket:{abandoned}": "cancelled",
        f"payment:{payment_id}": "captured",
        f"payment:{short_id}": "kept-after-rejection",
        f"invoice:{basket_id}": "paid",
        f"shopping-list:{basket_id}": "completed",
        f"shopping-list:{short_order}": "cancelled",
        f"order:{basket_id}": "completed",
        f"order:{short_order}": "rejected",
        f"order:{cancel_basket}": "cancelled",
        f"order:{late_order}": "completed-after-refused-cancel",
        f"order:{assigned_order}": "cancelled-while-assigned",
        f"order:{depot_order}": "cancelled-by-depot",
        f"shopping-list:{assigned_order}": "cancelled-while-assigned",
        f"shopping-list:{depot_order}": "cancelled-by-operator",
        f"payment:{cancel_payment}": "released-by-cancel",
        f"store:{renamed_id}": "after-continue-as-new",
    }
    for workflow_id, name in runs.items():
        await _settle(client, workflow_id)
        await _save(client, workflow_id, name)


async def main() -> None:
    HISTORIES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mallbots-replay-") as tmp:
        options = ephemeral_options(Path(tmp))
        # Golden histories are kept in clear (their data is made up): they replay with the plain pydantic
        # converter, and an ephemeral key would be gone with the stack.
        options.settings = options.settings.model_copy(
            update={"payload_encryption": False, "continue_as_new_after": CONTINUE_AS_NEW_AFTER}
        )
        async with Stack(options) as stack, MallbotsClient(stack.api_url, token=stack.token()) as mall:
            assert stack.client is not None
            await generate(mall, stack.client)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(main())
