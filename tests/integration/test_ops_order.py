"""``mallbots ops order ID`` against the running stack: the story of real orders — completed, rejected with its
compensations, cancelled — as an operator's script reads it (``--json``, in its own process, configured like
a deployment's: Temporal address, database URL, payload keys), and an unknown order."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from sqlmodel import func, select

from mallbots.stack import Stack
from mallbots.tools.client import MallbotsClient
from readmodels.notifications.tables import NotificationRow
from readmodels.payments.tables import InvoiceRow, PaymentRow
from readmodels.search.tables import SearchOrderView
from tests.integration.conftest import Shop, row_when
from tests.integration.ops_cli import mallbots_cli
from workflows.ordering.messages import order_workflow_id

pytestmark = pytest.mark.integration

STEPS = ["authorize_customer", "create_shopping_list", "confirm_payment", "initiate_shopping"]


async def _checkout(mall: MallbotsClient, shop: Shop, amount: str, quantity: int = 1) -> tuple[str, str]:
    payment_id = await mall.authorize_payment(shop.customer_id, amount)
    basket_id = await mall.start_basket(shop.customer_id)
    await mall.add_item(basket_id, shop.widget_id, quantity)
    await mall.checkout(basket_id, payment_id)
    return basket_id, payment_id


async def _settled(stack: Stack, order_id: str, status: str, sent: int) -> None:
    """The read models that follow in the background show ``status`` and the ``sent`` messages (bounded)."""
    assert stack.databases is not None
    await row_when(stack.databases.sessions("search"), SearchOrderView, order_id, lambda r: r.status == status)
    query = select(func.count()).select_from(NotificationRow).where(NotificationRow.order_id == order_id)
    async with asyncio.timeout(30):
        while True:
            async with stack.databases.sessions("notifications")() as session:
                if (await session.exec(query)).one() >= sent:
                    return
            await asyncio.sleep(0.05)


async def _story(stack: Stack, order_id: str) -> dict[str, Any]:
    code, out, err = await mallbots_cli(stack, "ops", "order", order_id, "--json")
    assert code == 0, err
    story: dict[str, Any] = json.loads(out)
    return story


def _ran(story: dict[str, Any]) -> list[tuple[str, str]]:
    return [(a["activity"], a["outcome"]) for a in story["saga"]["activities"]]


async def test_a_completed_order_tells_its_whole_story(stack: Stack, mall: MallbotsClient, shop: Shop) -> None:
    order_id, payment_id = await _checkout(mall, shop, "200.00")
    await mall.wait_for_order(order_id, {"approved"})
    await mall.assign_bot(order_id, "bot-ops")
    await mall.complete_shopping_list(order_id)
    await mall.wait_for_order(order_id, {"ready"})
    await mall.pay_invoice(order_id)
    await mall.wait_for_order(order_id, {"completed"})
    assert stack.databases is not None
    await row_when(stack.databases.sessions("payments"), PaymentRow, payment_id, lambda r: r.status == "captured")
    await row_when(stack.databases.sessions("payments"), InvoiceRow, order_id, lambda r: r.status == "paid")
    await _settled(stack, order_id, "completed", sent=3)

    story = await _story(stack, order_id)

    assert story["exists"] is True
    assert story["statuses"] == {
        "ordering.orders": "completed",
        "search.orders": "completed",
        "baskets.baskets": "checked_out",
        "depot.shopping_lists": "completed",
        "payments.payments": "captured",
        "payments.invoices": "paid",
    }
    assert story["order"]["payment_id"] == payment_id and story["order"]["customer_id"] == shop.customer_id
    assert story["order"]["total"] == "19.99"
    assert (story["shopping_list"]["bot_id"], story["shopping_list"]["stops"]) == ("bot-ops", 1)
    assert (story["payment"]["id"], story["payment"]["order_id"]) == (payment_id, order_id)
    assert (story["invoice"]["id"], story["invoice"]["amount"]) == (order_id, "19.99")
    assert sorted(n["event_name"] for n in story["notifications"]) == [
        "ordering.OrderCompleted",
        "ordering.OrderCreated",
        "ordering.OrderReadied",
    ]
    assert all(n["sms_number"] == "+1 555 0100" for n in story["notifications"])
    saga = story["saga"]
    assert (saga["workflow_id"], saga["status"], saga["order_status"]) == (
        order_workflow_id(order_id),
        "Completed",
        "completed",
    )
    assert saga["step"] == "completed"
    assert saga["result"] == {"outcome": "completed", "order_status": "completed", "reason": None}
    assert _ran(story) == [(name, "completed") for name in [*STEPS, "create_invoice"]]
    assert [a["title"] for a in saga["activities"]][:2] == [
        "step 1/5: authorize customer",
        "step 2/5: create shopping list",
    ]
    assert saga["deliveries"] >= 4 and saga["waiting_on"] == []
    assert story["compensations"] == []
    ui = stack.settings.temporal_ui_url or f"http://127.0.0.1:{stack.settings.temporal_ui_port}"
    assert story["temporal_ui"] == f"{ui}/namespaces/default/workflows/order:{order_id}"


async def test_a_rejected_order_shows_the_failed_step_and_the_compensations_it_ran(
    stack: Stack, mall: MallbotsClient, shop: Shop
) -> None:
    order_id, payment_id = await _checkout(mall, shop, "10.00", quantity=5)  # 5 x 19.99 = 99.95
    await mall.wait_for_order(order_id, {"rejected"})
    await _settled(stack, order_id, "rejected", sent=2)

    story = await _story(stack, order_id)

    reason = "the payment of 10.00 does not cover the order total 99.95"
    assert story["statuses"] == {
        "ordering.orders": "rejected",
        "search.orders": "rejected",
        "baskets.baskets": "checked_out",
        "depot.shopping_lists": "cancelled",
        "payments.payments": "authorized",  # never reserved: its release changed nothing
        "payments.invoices": None,
    }
    assert story["order"]["reason"] == reason
    assert story["invoice"] is None
    saga = story["saga"]
    assert saga["step"] == f"rejected: {reason}"
    assert saga["result"] == {"outcome": "completed", "order_status": "rejected", "reason": reason}
    assert _ran(story) == [
        ("authorize_customer", "completed"),
        ("create_shopping_list", "completed"),
        ("confirm_payment", "failed"),
        ("release_payment", "completed"),  # compensations in reverse
        ("cancel_shopping_list", "completed"),
    ]
    failed = saga["activities"][2]
    assert failed["failure"] == reason  # decrypted with the payload keys
    assert [(c["title"], c["kind"], c["outcome"]) for c in story["compensations"]] == [
        ("release payment", "compensation", "completed"),
        ("cancel shopping list", "compensation", "completed"),
    ]
    assert sorted(n["event_name"] for n in story["notifications"]) == [
        "ordering.OrderCreated",
        "ordering.OrderRejected",
    ]
    assert story["payment"]["id"] == payment_id


async def test_a_cancelled_order_shows_what_was_undone(stack: Stack, mall: MallbotsClient, shop: Shop) -> None:
    order_id, payment_id = await _checkout(mall, shop, "200.00")
    await mall.wait_for_order(order_id, {"approved"})
    await mall.cancel_order(order_id)
    assert stack.databases is not None
    await row_when(stack.databases.sessions("payments"), PaymentRow, payment_id, lambda r: r.status == "released")
    await _settled(stack, order_id, "cancelled", sent=2)

    story = await _story(stack, order_id)

    assert story["statuses"] == {
        "ordering.orders": "cancelled",
        "search.orders": "cancelled",
        "baskets.baskets": "checked_out",
        "depot.shopping_lists": "cancelled",
        "payments.payments": "released",
        "payments.invoices": None,
    }
    saga = story["saga"]
    assert (saga["status"], saga["order_status"], saga["step"]) == ("Completed", "cancelled", "cancelled")
    assert _ran(story)[:4] == [(name, "completed") for name in STEPS]
    assert [(c["activity"], c["outcome"]) for c in story["compensations"]] == [
        ("cancel_shopping_list", "completed"),
        ("release_payment", "completed"),
    ]
    assert "ordering.OrderCancelled" in {n["event_name"] for n in story["notifications"]}


async def test_an_unknown_order_exits_1(stack: Stack) -> None:
    unknown = str(uuid.uuid4())

    code, out, _ = await mallbots_cli(stack, "ops", "order", unknown, "--json")
    assert code == 1
    story = json.loads(out)
    assert (story["exists"], story["saga"], story["order"]) == (False, None, None)
    assert set(story["statuses"].values()) == {None}

    code, out, _ = await mallbots_cli(stack, "ops", "order", unknown)
    assert code == 1
    assert f"no order {unknown}" in out


async def test_the_table_view_names_the_failed_step_and_the_compensations(
    stack: Stack, mall: MallbotsClient, shop: Shop
) -> None:
    order_id, _ = await _checkout(mall, shop, "10.00", quantity=5)
    await mall.wait_for_order(order_id, {"rejected"})

    code, out, err = await mallbots_cli(stack, "ops", "order", order_id)

    assert code == 0, err
    assert f"order {order_id}" in out
    assert "release payment (completed), cancel shopping list (completed)" in out
    assert "does not cover the order total 99.95" in out
    assert f"/namespaces/default/workflows/order:{order_id}" in out
