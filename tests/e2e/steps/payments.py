"""A customer's steps with payments and invoices, each as the customer whose they are."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from tests.e2e.steps.common import amount
from tests.e2e.steps.mall import Mall
from tests.e2e.steps.world import World, money


def invoice_id(world: World) -> str:
    """The invoice of the customer's order (its ID is the order's)."""
    return world.order_id


@when(parsers.re(rf"the customer authorizes a payment of {amount('value')}"))
def authorize_a_payment(mall: Mall, world: World, value: str) -> None:
    payment_id = world.attempt(mall, world.customer.authorize_payment(world.customer_id, value))
    if payment_id is not None:
        world.payments.append(world.bought(payment_id))


@when(parsers.re(rf"a payment of {amount('value')} is authorized for a customer who never registered"))
def authorize_for_a_stranger(mall: Mall, world: World, value: str) -> None:
    """By someone signed in as a customer, who never registered."""
    world.customers["Ghost"] = world.customer_id_of("Ghost")
    world.attempt(mall, world.customer_named("Ghost").authorize_payment(world.customers["Ghost"], value))


@when("the customer pays the invoice")
def pay_the_invoice(mall: Mall, world: World) -> None:
    world.attempt(mall, world.customer_of(world.order_id).pay_invoice(invoice_id(world)))


@then(parsers.re(rf"the payment is authorized for {amount('value')}"))
def authorized_for(mall: Mall, world: World, value: str) -> None:
    payment = mall.run(world.customer_of(world.payment_id).get_payment(world.payment_id))
    assert (payment["status"], payment["customerId"], money(payment["amount"])) == (
        "authorized",
        world.customer_id,
        money(value),
    )


@then(parsers.re(rf"an invoice of {amount('value')} is pending for the order"))
def a_pending_invoice(mall: Mall, world: World, value: str) -> None:
    shopper = world.customer_of(world.order_id)
    invoice = mall.run(shopper.get_invoice(invoice_id(world)))
    assert (invoice["status"], invoice["orderId"], invoice["paymentId"], money(invoice["amount"])) == (
        "pending",
        world.order_id,
        world.payment_id,
        money(value),
    )
    assert mall.run(shopper.get_order(world.order_id))["invoiceId"] == invoice["id"]


@then(parsers.re(r"the invoice is (?P<status>pending|paid|cancelled)"))
def the_invoice_is(mall: Mall, world: World, status: str) -> None:
    assert mall.run(world.customer_of(world.order_id).get_invoice(invoice_id(world)))["status"] == status
