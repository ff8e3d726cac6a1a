"""A customer's steps with a basket, each as the basket's customer."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from tests.e2e.steps.common import amount, quoted
from tests.e2e.steps.mall import Mall
from tests.e2e.steps.world import World, money


@when("the customer starts a basket")
def start_a_basket(mall: Mall, world: World) -> None:
    basket_id = world.attempt(mall, world.customer.start_basket(world.customer_id))
    if basket_id is not None:
        world.basket_id = world.bought(basket_id)


@when("a basket is started for a customer who never registered")
def start_a_strangers_basket(mall: Mall, world: World) -> None:
    """By someone signed in as a customer, who never registered."""
    world.customers["Ghost"] = world.customer_id_of("Ghost")
    world.attempt(mall, world.customer_named("Ghost").start_basket(world.customers["Ghost"]))


def _product(world: World, label: str) -> str:
    """A product the scenario knows, or an ID nobody sells (remembered under its label)."""
    return world.products.setdefault(label, f"no-such-product-{world.tag}")


@when(parsers.re(rf"the customer adds (?P<quantity>-?\d+) {quoted('product')} to the basket"))
def add_to_the_basket(mall: Mall, world: World, quantity: str, product: str) -> None:
    world.attempt(
        mall, world.customer_of(world.basket_id).add_item(world.basket_id, _product(world, product), int(quantity))
    )


@when(parsers.re(rf"the customer adds (?P<quantity>-?\d+) {quoted('product')} to a basket that does not exist"))
def add_to_no_basket(mall: Mall, world: World, quantity: str, product: str) -> None:
    world.basket_id = f"no-such-basket-{world.tag}"
    world.attempt(
        mall, world.customer_of(world.basket_id).add_item(world.basket_id, _product(world, product), int(quantity))
    )


@when(parsers.re(rf"the customer removes (?P<quantity>-?\d+) {quoted('product')} from the basket"))
def remove_from_the_basket(mall: Mall, world: World, quantity: str, product: str) -> None:
    shopper = world.customer_of(world.basket_id)
    world.attempt(mall, shopper.remove_item(world.basket_id, _product(world, product), int(quantity)))


@when("the customer cancels the basket")
def cancel_the_basket(mall: Mall, world: World) -> None:
    world.attempt(mall, world.customer_of(world.basket_id).cancel_basket(world.basket_id))


@when("the customer checks out with that payment")
def check_out_with_that_payment(mall: Mall, world: World) -> None:
    if world.attempt(mall, world.customer_of(world.basket_id).checkout(world.basket_id, world.payment_id)) is not None:
        world.order_id = world.basket_id  # the order's ID is the basket's (and so is its customer)
        world.placed.append(world.order_id)


@when("the customer checks out without a payment")
def check_out_without_a_payment(mall: Mall, world: World) -> None:
    world.attempt(mall, world.customer_of(world.basket_id).checkout(world.basket_id, ""))


@then(parsers.re(r"the basket is (?P<status>open|cancelled|checked out)(?: and holds:)?"))
def the_basket_is(mall: Mall, world: World, status: str, datatable: list[list[str]] | None = None) -> None:
    basket = mall.run(world.customer_of(world.basket_id).get_basket(world.basket_id))
    assert basket["status"] == status.replace(" ", "_")
    if datatable is not None:
        held = [
            (item["productId"], item["productName"], item["storeName"], item["quantity"], money(item["price"]))
            for item in basket["items"]
        ]
        expected = [
            (world.product_id(product), world.unique(product), world.unique(store), int(quantity), money(price))
            for product, store, quantity, price in datatable[1:]
        ]
        assert held == expected


@then("the customer has an open, empty basket")
def an_empty_basket(mall: Mall, world: World) -> None:
    basket = mall.run(world.customer_of(world.basket_id).get_basket(world.basket_id))
    assert (basket["status"], basket["customerId"], basket["items"]) == ("open", world.customer_id, [])


@then(parsers.re(rf"the basket total is {amount('total')}"))
def the_basket_total(mall: Mall, world: World, total: str) -> None:
    basket = mall.run(world.customer_of(world.basket_id).get_basket(world.basket_id))
    assert money(basket["total"]) == money(total)
