"""A customer's steps with orders, and the helpers that take an order to a given state: the customer checks out
or orders, a bot picks the list, the customer pays or cancels, each as itself."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from mallbots.tools.client import ApiError, Json
from tests.e2e.steps.common import authorize, fill_basket, items, quoted, register
from tests.e2e.steps.mall import Mall
from tests.e2e.steps.world import DEPOT_BOT, World, money

FINAL = {"completed", "rejected", "cancelled"}
AMPLE = "1000.00"  # a payment that covers any order of these scenarios
SHORT = "0.01"  # one that covers none


def checkout(mall: Mall, world: World) -> str:
    mall.run(world.customer_of(world.basket_id).checkout(world.basket_id, world.payment_id))
    world.order_id = world.basket_id  # the order's ID is the basket's (and so is its customer)
    world.placed.append(world.order_id)
    return world.order_id


def order_directly(mall: Mall, world: World, wanted: str) -> str | None:
    quantities = {world.products.setdefault(label, f"no-such-product-{world.tag}"): q for label, q in items(wanted)}
    order_id = world.attempt(mall, world.customer.create_order(world.customer_id, world.payment_id, quantities))
    if order_id is not None:
        world.order_id = world.bought(order_id)
        world.placed.append(order_id)
    return order_id


def settle(mall: Mall, world: World, status: str) -> Json:
    """Wait (bounded) until the order reaches ``status`` or a state it cannot leave for ``status`` (a final
    one, or the saga's other outcome), and insist on ``status``."""
    stops = {status} | FINAL | ({"approved"} if status == "rejected" else set())
    order = mall.run(world.customer_of(world.order_id).wait_for_order(world.order_id, stops))
    assert order["status"] == status, order
    return order


def pick(mall: Mall, world: World, bot: str = DEPOT_BOT) -> None:
    """``bot`` takes the order's shopping list (as itself) and completes it: the order is ready."""
    mall.run(world.bot(bot).assign_bot(world.order_id, world.bot_id(bot)))
    world.list_bot = bot
    mall.run(world.bot(bot).complete_shopping_list(world.order_id))
    settle(mall, world, "ready")


def place_order(mall: Mall, world: World, wanted: str, state: str, *, direct: bool = False) -> str:
    """An order of ``wanted`` taken to ``state`` the way the mall's users would: the customer checks out
    (or orders directly), a bot picks the list, the customer pays, or cancels."""
    authorize(mall, world, SHORT if state == "rejected" else AMPLE)
    if direct:
        order_directly(mall, world, wanted)
    else:
        fill_basket(mall, world, wanted)
        checkout(mall, world)
    if state == "rejected":
        settle(mall, world, "rejected")
        return world.order_id
    settle(mall, world, "approved")
    if state == "cancelled":
        mall.run(world.customer_of(world.order_id).cancel_order(world.order_id))
        settle(mall, world, "cancelled")
    if state in ("ready", "completed"):
        pick(mall, world)
    if state == "completed":
        mall.run(world.customer_of(world.order_id).pay_invoice(world.order_id))  # the invoice's ID is the order's
        settle(mall, world, "completed")
    return world.order_id


@given(
    parsers.re(r"the customer has an? (?P<state>approved|ready|completed|rejected|cancelled) order of (?P<wanted>.+)")
)
def an_order_in_state(mall: Mall, world: World, state: str, wanted: str) -> None:
    place_order(mall, world, wanted, state)


@given(parsers.re(rf"another customer {quoted('name')} has authorized a payment of (?P<value>[0-9.]+)"))
def someone_elses_payment(mall: Mall, world: World, name: str, value: str) -> None:
    customer = world.customer_label
    register(mall, world, name)
    authorize(mall, world, value)
    world.customer_label = customer


@given(parsers.re(r"the customer has checked out with a payment of (?P<value>[0-9.]+)"))
@when(parsers.re(r"the customer checks out with a payment of (?P<value>[0-9.]+)"))
def check_out_with_a_new_payment(mall: Mall, world: World, value: str) -> None:
    authorize(mall, world, value)
    checkout(mall, world)


@when(parsers.re(r"the customer orders (?P<wanted>.+) directly with that payment"))
def order_without_a_basket(mall: Mall, world: World, wanted: str) -> None:
    order_directly(mall, world, wanted)


@when("the customer cancels the order")
def cancel_the_order(mall: Mall, world: World) -> None:
    world.attempt(mall, world.customer_of(world.order_id).cancel_order(world.order_id))


@when("the customer cancels an order that does not exist")
def cancel_no_order(mall: Mall, world: World) -> None:
    world.order_id = f"no-such-order-{world.tag}"
    world.attempt(mall, world.customer.cancel_order(world.order_id))


# ---- what the customer sees ---------------------------------------------------------------------------------


@given(parsers.re(r"the order is (?P<status>approved|ready|completed|rejected|cancelled)"))
@then(
    parsers.re(
        r"the order is (?P<status>approved|ready|completed|rejected|cancelled)(?: for a total of (?P<total>[0-9.]+))?"
    )
)
def the_order_is(mall: Mall, world: World, status: str, total: str | None = None) -> None:
    order = settle(mall, world, status)
    if total is not None:
        assert money(order["total"]) == money(total)


@then(parsers.re(rf"the order is rejected because {quoted('reason')}"))
def rejected_because(mall: Mall, world: World, reason: str) -> None:
    assert settle(mall, world, "rejected")["reason"] == world.expand(reason)


@then(parsers.re(r"the order of the basket is placed for a total of (?P<total>[0-9.]+)"))
def the_order_of_the_basket(mall: Mall, world: World, total: str) -> None:
    shopper = world.customer_of(world.basket_id)
    order = mall.run(shopper.wait_for_order(world.basket_id, {"pending", "approved"} | FINAL))
    assert (order["id"], order["customerId"], money(order["total"])) == (
        world.basket_id,
        world.customer_id,
        money(total),
    )


@then("the order lists:")
def the_order_lists(mall: Mall, world: World, datatable: list[list[str]]) -> None:
    order = mall.run(world.customer_of(world.order_id).get_order(world.order_id))
    lines = sorted(
        (item["productName"], item["storeName"], item["quantity"], money(item["price"])) for item in order["items"]
    )
    expected = sorted(
        (world.unique(product), world.unique(store), int(quantity), money(price))
        for product, store, quantity, price in datatable[1:]
    )
    assert lines == expected


@then(parsers.re(r"the payment is (?P<status>authorized|reserved|captured|released)(?P<for_order> for the order)?"))
def the_payment_is(mall: Mall, world: World, status: str, for_order: str | None) -> None:
    payment = mall.run(world.customer_of(world.payment_id).get_payment(world.payment_id))
    assert payment["status"] == status, payment
    if for_order:
        assert payment["orderId"] == world.order_id


@then("no shopping list was made for the order")
def no_shopping_list(mall: Mall, world: World) -> None:
    try:
        found = mall.run(world.depot.get_shopping_list(world.order_id))
    except ApiError as err:
        assert err.status == 404, err
    else:
        raise AssertionError(f"a shopping list was made: {found}")
