"""What a customer was told by SMS. The notifications service hears of an order's events a moment after
the order's own read model, so these checks ask again (bounded) until the messages are there. A customer asks
for its own messages."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from tests.e2e.steps.common import quoted
from tests.e2e.steps.mall import Mall
from tests.e2e.steps.world import World


@when("the notifications are asked for without a customer")
def notifications_of_nobody(mall: Mall, world: World) -> None:
    world.attempt(mall, world.customer.get_notifications(""))


@then("the customer has received these messages about the order, newest first:")
def these_messages(mall: Mall, world: World, datatable: list[list[str]]) -> None:
    expected = [(event, world.expand(message)) for event, message in datatable[1:]]

    async def received() -> None:
        sent = await world.customer.get_notifications(world.customer_id)
        about = [(sms["eventName"], sms["message"]) for sms in sent if sms["orderId"] == world.order_id]
        assert about == expected

    mall.eventually(received)


@then(parsers.re(rf"every message about the order went to {quoted('sms')}"))
def went_to(mall: Mall, world: World, sms: str) -> None:
    order_status = mall.run(world.customer.get_order(world.order_id))["status"]
    last_event = {"ready": "ordering.OrderReadied", "completed": "ordering.OrderCompleted"}[order_status]

    async def all_sent() -> None:
        sent = [s for s in await world.customer.get_notifications(world.customer_id) if s["orderId"] == world.order_id]
        assert last_event in {s["eventName"] for s in sent}  # the order's latest news has been sent too
        assert {s["smsNumber"] for s in sent} == {sms}

    mall.eventually(all_sent)


@then("the customer has received no messages")
def no_messages(mall: Mall, world: World) -> None:
    assert mall.run(world.customer.get_notifications(world.customer_id)) == []
