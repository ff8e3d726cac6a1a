"""A bot's and an operator's steps in the depot."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from tests.e2e.steps.common import quoted
from tests.e2e.steps.mall import Mall
from tests.e2e.steps.ordering import settle
from tests.e2e.steps.world import World


def list_id(world: World) -> str:
    """The customer's shopping list (its ID is the order's)."""
    return world.order_id


@given(parsers.re(rf"bot {quoted('bot')} has taken the shopping list"))
@when(parsers.re(rf"bot {quoted('bot')} takes the shopping list"))
def take_the_list(mall: Mall, world: World, bot: str) -> None:
    world.attempt(mall, mall.api.assign_bot(list_id(world), bot))


@when(parsers.re(rf"bot {quoted('bot')} takes a shopping list that does not exist"))
def take_no_list(mall: Mall, world: World, bot: str) -> None:
    world.order_id = f"no-such-list-{world.tag}"
    world.attempt(mall, mall.api.assign_bot(list_id(world), bot))


@when("the bot completes the shopping list")
def complete_the_list(mall: Mall, world: World) -> None:
    world.attempt(mall, mall.api.complete_shopping_list(list_id(world)))


@given(parsers.re(r"the shopping list is (?P<state>completed|cancelled)"))
def a_finished_list(mall: Mall, world: World, state: str) -> None:
    if state == "completed":
        mall.run(mall.api.assign_bot(list_id(world), "bot-1"))
        mall.run(mall.api.complete_shopping_list(list_id(world)))
        settle(mall, world, "ready")
    else:
        mall.run(mall.api.cancel_order(world.order_id))
        settle(mall, world, "cancelled")


@when(parsers.re(r"the operator lists the (?P<status>\w+) shopping lists"))
def list_by_status(mall: Mall, world: World, status: str) -> None:
    world.answer = mall.run(mall.api.get_shopping_lists(status))


# ---- what the depot shows -----------------------------------------------------------------------------------


@then(parsers.re(r"the shopping list is (?P<status>available|assigned|completed|cancelled)(?: with these stops:)?"))
def the_list_is(mall: Mall, world: World, status: str, datatable: list[list[str]] | None = None) -> None:
    shopping_list = mall.run(mall.api.get_shopping_list(list_id(world)))
    assert (shopping_list["status"], shopping_list["orderId"]) == (status, world.order_id)
    if datatable is not None:
        stops = [
            (stop["storeId"], stop["storeName"], stop["storeLocation"], item["productName"], item["quantity"])
            for stop in shopping_list["stops"]
            for item in stop["items"]
        ]
        expected = [
            (world.store_id(store), world.unique(store), location, world.unique(product), int(quantity))
            for store, location, product, quantity in datatable[1:]
        ]
        assert stops == expected


@then(parsers.re(rf"the shopping list is assigned to {quoted('bot')}"))
def assigned_to(mall: Mall, world: World, bot: str) -> None:
    shopping_list = mall.run(mall.api.get_shopping_list(list_id(world)))
    assert (shopping_list["status"], shopping_list["botId"]) == ("assigned", bot)


@then(parsers.re(r"every list shown is (?P<status>\w+) and the customer's list is (?P<among>among|not among) them"))
def the_lists_shown(world: World, status: str, among: str) -> None:
    shown = world.answer
    assert {s["status"] for s in shown} <= {status}
    assert (list_id(world) in {s["id"] for s in shown}) is (among == "among")
