"""A bot's and an operator's steps in the depot. A bot acts as itself: its bot ID is its token's subject, so
``bot "bot-7"`` takes a list as bot-7 and only bot-7 completes it. Assigning a list to a named bot, completing
or cancelling one by hand and listing them are also an operator's."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from pytest_bdd import given, parsers, then, when

from mallbots.tools.client import Json, MallbotsClient
from tests.e2e.steps.common import quoted
from tests.e2e.steps.mall import Mall
from tests.e2e.steps.ordering import pick, settle
from tests.e2e.steps.world import World


def list_id(world: World) -> str:
    """The customer's shopping list (its ID is the order's)."""
    return world.order_id


@given(parsers.re(rf"bot {quoted('bot')} has taken the shopping list"))
@when(parsers.re(rf"bot {quoted('bot')} takes the shopping list"))
def take_the_list(mall: Mall, world: World, bot: str) -> None:
    if world.attempt(mall, world.bot(bot).assign_bot(list_id(world), world.bot_id(bot))) is not None:
        world.list_bot = bot


@when(parsers.re(rf"bot {quoted('bot')} takes the shopping list for bot {quoted('other')}"))
def take_the_list_for(mall: Mall, world: World, bot: str, other: str) -> None:
    world.attempt(mall, world.bot(bot).assign_bot(list_id(world), world.bot_id(other)))


@when(parsers.re(rf"an operator assigns the shopping list to bot {quoted('bot')}"))
def assign_the_list(mall: Mall, world: World, bot: str) -> None:
    """A blank name stays blank: the API must refuse it."""
    if world.attempt(mall, world.operator.assign_bot(list_id(world), world.bot_id(bot) if bot else "")):
        world.list_bot = bot


@when(parsers.re(rf"bot {quoted('bot')} takes a shopping list that does not exist"))
def take_no_list(mall: Mall, world: World, bot: str) -> None:
    world.order_id = f"no-such-list-{world.tag}"
    world.attempt(mall, world.bot(bot).assign_bot(list_id(world), world.bot_id(bot)))


@when("the bot completes the shopping list")
def complete_the_list(mall: Mall, world: World) -> None:
    """The bot that took the list."""
    assert world.list_bot, "no bot has taken the shopping list"
    world.attempt(mall, world.bot(world.list_bot).complete_shopping_list(list_id(world)))


@when(parsers.re(rf"bot {quoted('bot')} completes the shopping list"))
def a_bot_completes_the_list(mall: Mall, world: World, bot: str) -> None:
    world.attempt(mall, world.bot(bot).complete_shopping_list(list_id(world)))


@when("an operator completes the shopping list")
def an_operator_completes_the_list(mall: Mall, world: World) -> None:
    world.attempt(mall, world.operator.complete_shopping_list(list_id(world)))


def cancel_by_hand(api: MallbotsClient, shopping_list_id: str) -> Coroutine[Any, Any, Json]:
    """The book's operator endpoint (``POST /api/depot/shopping/{id}``), which the client has no method for."""
    return api.request("POST", f"/api/depot/shopping/{shopping_list_id}")


@when("an operator cancels the shopping list by hand")
def an_operator_cancels_the_list(mall: Mall, world: World) -> None:
    world.attempt(mall, cancel_by_hand(world.operator, list_id(world)))


@given(parsers.re(r"the shopping list is (?P<state>completed|cancelled)"))
def a_finished_list(mall: Mall, world: World, state: str) -> None:
    if state == "completed":
        pick(mall, world)
    else:
        mall.run(world.customer_of(world.order_id).cancel_order(world.order_id))
        settle(mall, world, "cancelled")


@when(parsers.re(r"the operator lists the (?P<status>\w+) shopping lists"))
def list_by_status(mall: Mall, world: World, status: str) -> None:
    world.answer = mall.run(world.operator.get_shopping_lists(status))


# ---- what the depot shows -----------------------------------------------------------------------------------


@then(parsers.re(r"the shopping list is (?P<status>available|assigned|completed|cancelled)(?: with these stops:)?"))
def the_list_is(mall: Mall, world: World, status: str, datatable: list[list[str]] | None = None) -> None:
    shopping_list = mall.run(world.depot.get_shopping_list(list_id(world)))
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
    shopping_list = mall.run(world.depot.get_shopping_list(list_id(world)))
    assert (shopping_list["status"], shopping_list["botId"]) == ("assigned", world.bot_id(bot))


@then(parsers.re(r"every list shown is (?P<status>\w+) and the customer's list is (?P<among>among|not among) them"))
def the_lists_shown(world: World, status: str, among: str) -> None:
    shown = world.answer
    assert {s["status"] for s in shown} <= {status}
    assert (list_id(world) in {s["id"] for s in shown}) is (among == "among")
