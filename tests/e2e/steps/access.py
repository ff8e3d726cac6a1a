"""Steps of who may do what: one user acting on what is another's, a role doing what it may not, and requests
with no token or a bad one. The checks after them (that nothing changed) are the other features' steps."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from pytest_bdd import parsers, when

from mallbots.tools.client import MallbotsClient
from tests.e2e.steps.common import DEFAULT_SMS, amount, quoted
from tests.e2e.steps.depot import cancel_by_hand
from tests.e2e.steps.mall import Mall
from tests.e2e.steps.world import DEPOT_BOT, World

Action = Callable[[MallbotsClient], Coroutine[Any, Any, object]]


def _order_id(world: World) -> str:
    """The scenario's order (and so its basket, list and invoice), or one that does not exist: a refusal for
    the caller's role comes before the order is looked for."""
    return world.order_id or f"no-such-order-{world.tag}"


# ---- a customer and another customer's things ----------------------------------------------------------------


@when(parsers.re(rf"{quoted('who')} cancels the order of {quoted('whose')}"))
def cancel_someones_order(mall: Mall, world: World, who: str, whose: str) -> None:
    world.attempt(mall, world.customer_named(who).cancel_order(world.order_id))


@when(parsers.re(rf"{quoted('who')} pays the invoice of {quoted('whose')}"))
def pay_someones_invoice(mall: Mall, world: World, who: str, whose: str) -> None:
    world.attempt(mall, world.customer_named(who).pay_invoice(world.order_id))  # the invoice's ID is the order's


@when(parsers.re(rf"{quoted('who')} changes the SMS number of {quoted('whose')} to {quoted('sms')}"))
def change_someones_sms(mall: Mall, world: World, who: str, whose: str, sms: str) -> None:
    world.attempt(mall, world.customer_named(who).change_sms(world.customers[whose], sms))


@when(
    parsers.re(
        rf"{quoted('who')} looks up the (?P<thing>order|basket|payment|invoice|details|search entry|messages)"
        rf" of {quoted('whose')}"
    )
)
def look_up_someones(mall: Mall, world: World, who: str, thing: str, whose: str) -> None:
    api = world.customer_named(who)
    lookups: dict[str, Coroutine[Any, Any, object]] = {
        "order": api.get_order(world.order_id),
        "basket": api.get_basket(world.basket_id),
        "payment": api.get_payment(world.payment_id),
        "invoice": api.get_invoice(world.order_id),
        "details": api.get_customer(world.customers[whose]),
        "search entry": api.get_search_order(world.order_id),
        "messages": api.get_notifications(world.customers[whose]),
    }
    world.attempt(mall, lookups.pop(thing))
    for unsent in lookups.values():
        unsent.close()  # never awaited: closed, so Python does not warn about them


@when(parsers.re(rf"{quoted('who')} tries to (?P<action>.+) for {quoted('whom')}"))
def act_for_someone(mall: Mall, world: World, who: str, action: str, whom: str) -> None:
    """The request body names the other customer."""
    api, other = world.customer_named(who), world.customers[whom]
    actions: dict[str, Action] = {
        "start a basket": lambda api: api.start_basket(other),
        "authorize a payment": lambda api: api.authorize_payment(other, "10.00"),
        'order 1 "Widget" directly': lambda api: api.create_order(
            other, f"no-such-payment-{world.tag}", {world.product_id("Widget"): 1}
        ),
        "search the orders": lambda api: api.search_orders({"customerId": other}),
    }
    world.attempt(mall, actions[action](api))


# ---- a store owner and another store owner's store -------------------------------------------------------------


@when(
    parsers.re(
        rf"store owner {quoted('owner')} (?P<changes>increases|decreases) the price of {quoted('product')}"
        rf" to {amount('price')}"
    )
)
def change_someones_price(mall: Mall, world: World, owner: str, changes: str, product: str, price: str) -> None:
    api = world.store_owner(owner)
    world.attempt(mall, api.change_price(world.product_id(product), price, increase=changes == "increases"))


@when(parsers.re(rf"store owner {quoted('owner')} removes the product {quoted('product')}"))
def remove_someones_product(mall: Mall, world: World, owner: str, product: str) -> None:
    world.attempt(mall, world.store_owner(owner).remove_product(world.product_id(product)))


@when(parsers.re(rf"store owner {quoted('owner')} rebrands {quoted('store')} as {quoted('name')}"))
def rebrand_someones_store(mall: Mall, world: World, owner: str, store: str, name: str) -> None:
    world.attempt(mall, world.store_owner(owner).rebrand_store(world.store_id(store), world.unique(name)))


@when(parsers.re(rf"store owner {quoted('owner')} withdraws {quoted('store')} from the mall"))
def withdraw_someones_store(mall: Mall, world: World, owner: str, store: str) -> None:
    world.attempt(mall, world.store_owner(owner).disable_participation(world.store_id(store)))


@when(
    parsers.re(
        rf"store owner {quoted('owner')} adds {quoted('product')} at {amount('price')}"
        rf" to the catalogue of {quoted('store')}"
    )
)
def add_to_someones_store(mall: Mall, world: World, owner: str, product: str, price: str, store: str) -> None:
    world.attempt(mall, world.store_owner(owner).add_product(world.store_id(store), world.unique(product), price))


# ---- roles ----------------------------------------------------------------------------------------------------


def _user(world: World, role: str) -> MallbotsClient:
    users: dict[str, Callable[[], MallbotsClient]] = {
        "customer": lambda: world.customer,
        "store owner": world.store_owner,
        "bot": lambda: world.bot(DEPOT_BOT),
    }
    return users[role]()


@when(parsers.re(r"an? (?P<role>customer|store owner|bot) tries to (?P<action>.+)"))
def try_to(mall: Mall, world: World, role: str, action: str) -> None:
    """Something the role may not do at all; it is refused before anything it names is looked for."""
    order_id = _order_id(world)
    actions: dict[str, Action] = {
        "disable a customer": lambda api: api.disable_customer(world.customer_id),
        "enable a customer": lambda api: api.enable_customer(world.customer_id),
        "open a store": lambda api: api.create_store(world.unique("Pop-up"), "Level 0"),
        "rebrand a store": lambda api: api.rebrand_store(world.store_id("Waldorf"), world.unique("Pop-up")),
        "register as a customer": lambda api: api.register_customer(world.unique("Mallory"), DEFAULT_SMS),
        "start a basket": lambda api: api.start_basket(world.customer_id),
        "cancel an order": lambda api: api.cancel_order(order_id),
        "pay an invoice": lambda api: api.pay_invoice(order_id),
        "search the orders": lambda api: api.search_orders({}),
        "take a shopping list": lambda api: api.assign_bot(order_id, world.bot_id(DEPOT_BOT)),
        "list the shopping lists": lambda api: api.get_shopping_lists(),
        "cancel a shopping list by hand": lambda api: cancel_by_hand(api, order_id),
        "cancel the shopping list by hand": lambda api: cancel_by_hand(api, order_id),
    }
    world.attempt(mall, actions[action](_user(world, role)))


# ---- tokens ---------------------------------------------------------------------------------------------------


@when(parsers.re(r"someone lists the stores with (?P<token>.+)"))
def list_the_stores_with(mall: Mall, world: World, token: str) -> None:
    api = world.anonymous if token == "no token" else mall.api.acting_as(mall.bad_tokens[token])
    world.attempt(mall, api.get_stores())
