"""Retried POSTs: the same Idempotency-Key answers the same entity, and creates it once."""

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


def _request(mall: Mall, world: World, action: str) -> tuple[str, Request]:
    """The entity kind and the POST that ``action`` ("open the store "Bazaar"", …) stands for."""
    api = mall.api
    if m := re.fullmatch(r'open the store "(.+)"', action):
        name = world.unique(m[1])
        return "store", lambda key: api.create_store(name, "Level 9", key=key)
    if m := re.fullmatch(r'add "(.+)" at ([0-9.]+) to "(.+)"', action):
        name, price, store_id = world.unique(m[1]), m[2], world.store_id(m[3])
        return "product", lambda key: api.add_product(store_id, name, price, key=key)
    if m := re.fullmatch(r'register "(.+)"', action):
        name = world.unique(m[1])
        return "customer", lambda key: api.register_customer(name, "+1 555 0101", key=key)
    if m := re.fullmatch(r"authorize a payment of ([0-9.]+)", action):
        value = m[1]
        return "payment", lambda key: api.authorize_payment(world.customer_id, value, key=key)
    if action == "start a basket":
        return "basket", lambda key: api.start_basket(world.customer_id, key=key)
    if m := re.fullmatch(r'order (\d+) "(.+)" directly', action):
        wanted = {world.product_id(m[2]): int(m[1])}
        return "order", lambda key: api.create_order(world.customer_id, world.payment_id, wanted, key=key)
    raise AssertionError(f"no request reads {action!r}")


@when(parsers.re(r"the request to (?P<action>.+) is sent twice at once with the same Idempotency-Key"))
def send_twice(mall: Mall, world: World, action: str) -> None:
    world.idempotency_key = f"e2e-{uuid.uuid4()}"
    _, send = _request(mall, world, action)
    world.action = action

    async def twice() -> list[str]:
        return list(await asyncio.gather(send(world.idempotency_key), send(world.idempotency_key)))

    world.answer = mall.run(twice())


@when("that request is sent once more with its key")
def send_again(mall: Mall, world: World) -> None:
    _, send = _request(mall, world, world.action)
    world.answer.append(mall.run(send(world.idempotency_key)))


@when(parsers.re(r"the request to (?P<action>.+) is sent with another Idempotency-Key"))
def send_with_another_key(mall: Mall, world: World, action: str) -> None:
    _, send = _request(mall, world, action)
    world.answer = mall.run(send(f"e2e-{uuid.uuid4()}"))


@then(parsers.re(r"every answer names the same (?P<entity>\w+)"))
def the_same_id(world: World, entity: str) -> None:
    assert len(world.answer) == 3 and len(set(world.answer)) == 1, world.answer
    world.created = world.answer[0]


@then(parsers.re(r"that answer names another (?P<entity>\w+)"))
def another_id(world: World, entity: str) -> None:
    assert world.answer != world.created


@then(parsers.re(r"the mall holds that one (?P<entity>\w+)"))
def exactly_one(mall: Mall, world: World, entity: str) -> None:
    """Where the API can list the kind, exactly one was made; otherwise the one answered is the one asked for."""
    api, created = mall.api, world.created
    if entity == "store":
        name = world.unique("Bazaar")
        assert [s["id"] for s in mall.run(api.get_stores()) if s["name"] == name] == [created]
    elif entity == "product":
        name = world.unique("Doodad")
        catalogue = mall.run(api.get_catalog(world.store_id("Waldorf")))
        assert [p["id"] for p in catalogue if p["name"] == name] == [created]
    elif entity == "customer":
        assert mall.run(api.get_customer(created))["name"] == world.unique("Bob")
    elif entity == "payment":
        payment = mall.run(api.get_payment(created))
        assert (payment["status"], money(payment["amount"])) == ("authorized", money("20.00"))
    elif entity == "basket":
        basket = mall.run(api.get_basket(created))
        assert (basket["status"], basket["customerId"]) == ("open", world.customer_id)
    else:
        world.order_id = created
        settle(mall, world, "approved")  # one order holds the payment; a second would have been rejected

        async def one_order_in_search() -> None:
            found = await api.search_orders({"customerId": world.customer_id})
            assert [(o["id"], o["status"]) for o in found["orders"]] == [(created, "approved")]

        mall.eventually(one_order_in_search)
