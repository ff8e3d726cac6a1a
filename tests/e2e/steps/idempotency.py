"""Retried POSTs: the same Idempotency-Key answers the same entity, and creates it once. Keys are the caller's:
each request is sent by the user who makes it (a store owner, the customer, or an operator who registers a
customer). A customer who registers itself is the customer its token stands for, whatever the key."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from pytest_bdd import parsers, then, when

from tests.e2e.steps.mall import Mall
from tests.e2e.steps.ordering import settle
from tests.e2e.steps.world import World, money

Request = Callable[[str], Coroutine[Any, Any, str]]  # the POST, given an Idempotency-Key; answers the new ID


def _request(world: World, action: str) -> tuple[str, Request]:
    """The entity kind and the POST that ``action`` ("open the store "Bazaar"", …) stands for, as its sender."""
    if m := re.fullmatch(r'open the store "(.+)"', action):
        name, owner = world.unique(m[1]), world.store_owner()
        return "store", lambda key: owner.create_store(name, "Level 9", key=key)
    if m := re.fullmatch(r'add "(.+)" at ([0-9.]+) to "(.+)"', action):
        name, price, store_id, owner = world.unique(m[1]), m[2], world.store_id(m[3]), world.owner_of(m[3])
        return "product", lambda key: owner.add_product(store_id, name, price, key=key)
    if m := re.fullmatch(r'register "(.+)" by an operator', action):
        name, operator = world.unique(m[1]), world.operator
        return "customer", lambda key: operator.register_customer(name, "+1 555 0101", key=key)
    if m := re.fullmatch(r'register "(.+)"', action):
        name, customer = world.unique(m[1]), world.customer_named(m[1])
        return "customer", lambda key: customer.register_customer(name, "+1 555 0101", key=key)
    shopper, customer_id = world.customer, world.customer_id
    if m := re.fullmatch(r"authorize a payment of ([0-9.]+)", action):
        value = m[1]
        return "payment", lambda key: shopper.authorize_payment(customer_id, value, key=key)
    if action == "start a basket":
        return "basket", lambda key: shopper.start_basket(customer_id, key=key)
    if m := re.fullmatch(r'order (\d+) "(.+)" directly', action):
        wanted = {world.product_id(m[2]): int(m[1])}
        return "order", lambda key: shopper.create_order(customer_id, world.payment_id, wanted, key=key)
    raise AssertionError(f"no request reads {action!r}")


@when(parsers.re(r"the request to (?P<action>.+) is sent twice at once with the same Idempotency-Key"))
def send_twice(mall: Mall, world: World, action: str) -> None:
    world.idempotency_key = f"e2e-{uuid.uuid4()}"
    _, send = _request(world, action)
    world.action = action

    async def twice() -> list[str]:
        return list(await asyncio.gather(send(world.idempotency_key), send(world.idempotency_key)))

    world.answer = mall.run(twice())


@when("that request is sent once more with its key")
def send_again(mall: Mall, world: World) -> None:
    _, send = _request(world, world.action)
    world.answer.append(mall.run(send(world.idempotency_key)))


@when(parsers.re(r"the request to (?P<action>.+) is sent with another Idempotency-Key"))
def send_with_another_key(mall: Mall, world: World, action: str) -> None:
    _, send = _request(world, action)
    world.answer = mall.run(send(f"e2e-{uuid.uuid4()}"))


@then(parsers.re(r"every answer names the same (?P<entity>\w+)"))
def the_same_id(world: World, entity: str) -> None:
    assert len(world.answer) == 3 and len(set(world.answer)) == 1, world.answer
    world.created = world.answer[0]


@then(parsers.re(r"that answer names another (?P<entity>\w+)"))
def another_id(world: World, entity: str) -> None:
    assert world.answer != world.created


@then(parsers.re(r"that answer names the same (?P<entity>\w+)"))
def the_same_id_again(world: World, entity: str) -> None:
    assert world.answer == world.created


@then(parsers.re(r"the mall holds that one (?P<entity>\w+)"))
def exactly_one(mall: Mall, world: World, entity: str) -> None:
    """Where the API can list the kind, exactly one was made; otherwise the one answered is the one asked for."""
    created = world.created
    if entity == "store":
        name = world.unique("Bazaar")
        assert [s["id"] for s in mall.run(world.store_owner().get_stores()) if s["name"] == name] == [created]
    elif entity == "product":
        name = world.unique("Doodad")
        catalogue = mall.run(world.owner_of("Waldorf").get_catalog(world.store_id("Waldorf")))
        assert [p["id"] for p in catalogue if p["name"] == name] == [created]
    elif entity == "customer":
        assert mall.run(world.operator.get_customer(created))["name"] == world.unique("Bob")
        if not world.action.endswith("by an operator"):
            assert created == world.customer_id_of("Bob"), "a customer registers as the customer its token is"
    elif entity == "payment":
        payment = mall.run(world.customer.get_payment(created))
        assert (payment["status"], money(payment["amount"])) == ("authorized", money("20.00"))
    elif entity == "basket":
        basket = mall.run(world.customer.get_basket(created))
        assert (basket["status"], basket["customerId"]) == ("open", world.customer_id)
    else:
        world.order_id = world.bought(created)
        settle(mall, world, "approved")  # one order holds the payment; a second would have been rejected

        async def one_order_in_search() -> None:
            found = await world.customer.search_orders({"customerId": world.customer_id})
            assert [(o["id"], o["status"]) for o in found["orders"]] == [(created, "approved")]

        mall.eventually(one_order_in_search)
