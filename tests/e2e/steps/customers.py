"""A customer's and an operator's steps about customers: a customer registers itself and changes its own
details, under its own token; enabling and disabling is an operator's."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from tests.e2e.steps.common import quoted
from tests.e2e.steps.mall import Mall
from tests.e2e.steps.world import World


@when(parsers.re(rf"{quoted('name')} registers with the SMS number {quoted('sms')}"))
def registers(mall: Mall, world: World, name: str, sms: str) -> None:
    customer_id = world.attempt(mall, world.customer_named(name).register_customer(world.unique(name), sms))
    if customer_id is not None:
        assert customer_id == world.customer_id_of(name), "a customer token registers the customer it stands for"
        world.customers[name] = customer_id
        world.customer_label = name


@given(parsers.re(rf"the customer has changed the SMS number to {quoted('sms')}"))
@when(parsers.re(rf"the customer changes the SMS number to {quoted('sms')}"))
def change_sms(mall: Mall, world: World, sms: str) -> None:
    world.attempt(mall, world.customer.change_sms(world.customer_id, sms))


@when(parsers.re(r"an operator (?P<command>enables|disables) the customer"))
def operator_toggles(mall: Mall, world: World, command: str) -> None:
    toggle = world.operator.enable_customer if command == "enables" else world.operator.disable_customer
    world.attempt(mall, toggle(world.customer_id))


@given(parsers.re(r"the customer is (?P<state>enabled|disabled)"))
def the_customer_is_already(mall: Mall, world: World, state: str) -> None:
    if state == "disabled":
        mall.run(world.operator.disable_customer(world.customer_id))
    assert mall.run(world.customer.get_customer(world.customer_id))["enabled"] is (state == "enabled")


@when("an operator looks up a customer who never registered")
def look_up_a_stranger(mall: Mall, world: World) -> None:
    world.customers["Ghost"] = world.customer_id_of("Ghost")
    world.attempt(mall, world.operator.get_customer(world.customers["Ghost"]))


@then(parsers.re(rf"{quoted('name')} is registered with the SMS number {quoted('sms')}"))
def is_registered(mall: Mall, world: World, name: str, sms: str) -> None:
    customer = mall.run(world.customer_named(name).get_customer(world.customers[name]))
    assert (customer["name"], customer["smsNumber"]) == (world.unique(name), sms)


@then(parsers.re(r"the customer is (?P<state>enabled|disabled)"))
def the_customer_is(mall: Mall, world: World, state: str) -> None:
    assert mall.run(world.customer.get_customer(world.customer_id))["enabled"] is (state == "enabled")
