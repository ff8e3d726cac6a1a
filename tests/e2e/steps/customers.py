"""A customer's and an operator's steps about customers."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from tests.e2e.steps.common import quoted
from tests.e2e.steps.mall import Mall
from tests.e2e.steps.world import World


@when(parsers.re(rf"{quoted('name')} registers with the SMS number {quoted('sms')}"))
def registers(mall: Mall, world: World, name: str, sms: str) -> None:
    customer_id = world.attempt(mall, mall.api.register_customer(world.unique(name), sms))
    if customer_id is not None:
        world.customers[name] = customer_id
        world.customer_label = name


@given(parsers.re(rf"the customer has changed the SMS number to {quoted('sms')}"))
@when(parsers.re(rf"the customer changes the SMS number to {quoted('sms')}"))
def change_sms(mall: Mall, world: World, sms: str) -> None:
    world.attempt(mall, mall.api.change_sms(world.customer_id, sms))


@when(parsers.re(r"an operator (?P<command>enables|disables) the customer"))
def operator_toggles(mall: Mall, world: World, command: str) -> None:
    toggle = mall.api.enable_customer if command == "enables" else mall.api.disable_customer
    world.attempt(mall, toggle(world.customer_id))


@given(parsers.re(r"the customer is (?P<state>enabled|disabled)"))
def the_customer_is_already(mall: Mall, world: World, state: str) -> None:
    if state == "disabled":
        mall.run(mall.api.disable_customer(world.customer_id))
    assert mall.run(mall.api.get_customer(world.customer_id))["enabled"] is (state == "enabled")


@when("an operator looks up a customer who never registered")
def look_up_a_stranger(mall: Mall, world: World) -> None:
    world.customers["Ghost"] = f"ghost-{world.tag}"
    world.attempt(mall, mall.api.get_customer(world.customers["Ghost"]))


@then(parsers.re(rf"{quoted('name')} is registered with the SMS number {quoted('sms')}"))
def is_registered(mall: Mall, world: World, name: str, sms: str) -> None:
    customer = mall.run(mall.api.get_customer(world.customers[name]))
    assert (customer["name"], customer["smsNumber"]) == (world.unique(name), sms)


@then(parsers.re(r"the customer is (?P<state>enabled|disabled)"))
def the_customer_is(mall: Mall, world: World, state: str) -> None:
    assert mall.run(mall.api.get_customer(world.customer_id))["enabled"] is (state == "enabled")
