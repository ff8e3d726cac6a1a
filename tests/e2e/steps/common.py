"""Steps every feature shares: the mall's stores, products and customers, and how a refusal is checked. Each
acts as its user: a store is opened and stocked by its owner, a customer registers itself and authorizes its
own payments and fills its own baskets, and an operator disables a customer."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from pytest_bdd import given, parsers, then

from tests.e2e.steps.mall import Mall
from tests.e2e.steps.world import STORE_OWNER, World

F = TypeVar("F", bound=Callable[..., object])

# Step-text building blocks: a quoted text may be blank (the API has to refuse it), an amount may be negative.
AMOUNT = r"-?\d+(?:\.\d+)?"
DEFAULT_SMS = "+1 555 0100"
_GOODS = re.compile(rf'"([^"]+)" at ({AMOUNT})')
_ITEMS = re.compile(r'(-?\d+) "([^"]+)"')


def quoted(name: str) -> str:
    return f'"(?P<{name}>[^"]*)"'


def amount(name: str) -> str:
    return f"(?P<{name}>{AMOUNT})"


def items(text: str) -> list[tuple[str, int]]:
    """``2 "Widget" and 1 "Gadget"`` → [("Widget", 2), ("Gadget", 1)]."""
    found = [(label, int(quantity)) for quantity, label in _ITEMS.findall(text)]
    assert found, f"no items in {text!r}"
    return found


def checks_refusal(func: F) -> F:
    """Marks a step that inspects the refusal of the command before it (see the before-step hook)."""
    func.checks_refusal = True  # type: ignore[attr-defined]
    return func


# ---- stores and products ----------------------------------------------------------------------------------


def open_store(
    mall: Mall, world: World, label: str, participating: bool, location: str = "Level 1", owner: str = STORE_OWNER
) -> str:
    """``owner`` opens the store (it is theirs: only they run it)."""
    store_id = mall.run(world.store_owner(owner).create_store(world.unique(label), location))
    world.stores[label] = store_id
    world.store_owners[label] = owner
    if participating:
        mall.run(world.owner_of(label).enable_participation(store_id))
    return store_id


def stock(mall: Mall, world: World, store_label: str, goods: str) -> None:
    owner = world.owner_of(store_label)
    for label, price in _GOODS.findall(goods):
        product_id = mall.run(owner.add_product(world.store_id(store_label), world.unique(label), price))
        world.products[label] = product_id
        world.product_stores[label] = store_label


@given(
    parsers.re(
        rf"an? (?P<kind>participating |)store {quoted('store')}(?: at {quoted('location')})?"
        r"(?: selling (?P<goods>.+))?"
    )
)
def a_store(mall: Mall, world: World, kind: str, store: str, location: str | None, goods: str | None) -> None:
    """``a participating store "Waldorf" selling "Widget" at 19.99 and "Gadget" at 5.00``."""
    open_store(mall, world, store, participating=bool(kind), location=location or "Level 1")
    if goods:
        stock(mall, world, store, goods)


# ---- customers ------------------------------------------------------------------------------------------------


def register(mall: Mall, world: World, label: str, sms: str = DEFAULT_SMS) -> str:
    """The customer registers itself, under its own token: the customer it becomes is the one its token is."""
    customer_id = mall.run(world.customer_named(label).register_customer(world.unique(label), sms))
    assert customer_id == world.customer_id_of(label), f"{label} registered as {customer_id}, not as its token's"
    world.customers[label] = customer_id
    world.customer_label = label
    return customer_id


@given(parsers.re(rf"a registered customer {quoted('name')}(?: with the SMS number {quoted('sms')})?"))
def a_registered_customer(mall: Mall, world: World, name: str, sms: str | None) -> None:
    register(mall, world, name, sms or DEFAULT_SMS)


@given("an operator has disabled the customer")
def the_customer_was_disabled(mall: Mall, world: World) -> None:
    mall.run(world.operator.disable_customer(world.customer_id))


# ---- payments and baskets -------------------------------------------------------------------------------------


def authorize(mall: Mall, world: World, value: str) -> str:
    payment_id = world.bought(mall.run(world.customer.authorize_payment(world.customer_id, value)))
    world.payments.append(payment_id)
    return payment_id


@given(parsers.re(rf"the customer has authorized a payment of {amount('value')}"))
def a_payment(mall: Mall, world: World, value: str) -> None:
    authorize(mall, world, value)


def fill_basket(mall: Mall, world: World, wanted: str) -> str:
    world.basket_id = world.bought(mall.run(world.customer.start_basket(world.customer_id)))
    for label, quantity in items(wanted):
        mall.run(world.customer.add_item(world.basket_id, world.product_id(label), quantity))
    return world.basket_id


@given(parsers.re(r"the customer has a basket with (?P<wanted>.+)"))
def a_basket(mall: Mall, world: World, wanted: str) -> None:
    """``the customer has a basket with 2 "Widget" and 1 "Gadget"``."""
    fill_basket(mall, world, wanted)


# ---- refusals -------------------------------------------------------------------------------------------------


@then(parsers.re(rf"the request is refused with (?P<status>\d{{3}}) {quoted('message')}"))
@checks_refusal
def refused(world: World, status: str, message: str) -> None:
    error, world.error = world.error, None
    assert error is not None, f"the request was accepted: {world.answer}"
    assert (error.status, error.message) == (int(status), world.expand(message))


@then(parsers.re(rf"the request is refused with (?P<status>\d{{3}}) mentioning {quoted('words')}"))
@checks_refusal
def refused_mentioning(world: World, status: str, words: str) -> None:
    """For an answer whose wording is not the point: a state the API names in two ways (the entity is final,
    or its workflow has already ended), or a known bug whose fix may word the refusal either way."""
    error, world.error = world.error, None
    assert error is not None, f"the request was accepted: {world.answer}"
    assert error.status == int(status), error
    assert world.expand(words) in error.message, error
