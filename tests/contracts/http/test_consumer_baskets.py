"""The client's contract with the baskets API: start, add and remove items, check out, cancel."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pact import match

from .pacts import Caller, Case, ConsumerContract, case_id, consumer_contract, error, injected, path

CUSTOMER = "5b2f7c1d-8e3a-4b6c-9d0e-1f2a3b4c5d6e"
BASKET = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
PRODUCT = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
PAYMENT = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
NO_CUSTOMER = "no-such-customer"
NO_BASKET = "no-such-basket"
NO_PRODUCT = "no-such-product"
AT = {"basketId": BASKET}

UNKNOWN_BASKET = error(f"the basket {NO_BASKET} does not exist", r"^the basket .+ does not exist$")
CHECKED_OUT = error("the basket is checked out")
THE_PRODUCT = injected("productId", PRODUCT)


def item(quantity: object) -> dict[str, object]:
    """A line of the provider states' baskets: a product at 10.00."""
    return {
        "productId": match.str(PRODUCT),
        "storeId": match.str("3c1e2a4b-0d5f-4e6a-8b7c-9d0e1f2a3b4c"),
        "storeName": match.str("Contract Store"),
        "productName": match.str("Contract Widget"),
        "price": match.number(10.0),
        "quantity": quantity,
    }


def basket(status: str, items: object, total: float, payment: object = None) -> dict[str, object]:
    return {
        "basket": {
            "id": match.str(BASKET),
            "customerId": match.str(CUSTOMER),
            "status": status,
            "items": items,
            "total": match.number(total),
            "paymentId": payment,
        }
    }


CASES = [
    Case(
        "a request to start a basket",
        "POST",
        "/api/baskets",
        lambda c: c.start_basket(CUSTOMER),
        states=["a customer exists"],
        body={"customerId": injected("customerId", CUSTOMER)},
        response={"id": match.str(BASKET)},
        returns=lambda body: body["id"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to start a basket without a customer",
        "POST",
        "/api/baskets",
        lambda c: c.start_basket(""),
        status=400,
        states=["a customer exists"],
        body={"customerId": ""},
        response=error("the customer ID cannot be blank"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to start a basket for an unknown customer",
        "POST",
        "/api/baskets",
        lambda c: c.start_basket(NO_CUSTOMER),
        status=404,
        states=["an unregistered customer exists"],
        body={"customerId": injected("customerId", NO_CUSTOMER)},
        response=error(f"the customer {NO_CUSTOMER} is not registered", r"^the customer .+ is not registered$"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to start a basket for a disabled customer",
        "POST",
        "/api/baskets",
        lambda c: c.start_basket(CUSTOMER),
        status=409,
        states=["a disabled customer exists"],
        body={"customerId": injected("customerId", CUSTOMER)},
        response=error(f"the customer {CUSTOMER} is disabled", r"^the customer .+ is disabled$"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to get a basket",
        "GET",
        path("/api/baskets/{basketId}", **AT),
        lambda c: c.get_basket(BASKET),
        states=["an open basket with items exists"],
        response=basket("open", match.each_like(item(match.integer(2))), 20.0),
        returns=lambda body: body["basket"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to get an unknown basket",
        "GET",
        f"/api/baskets/{NO_BASKET}",
        lambda c: c.get_basket(NO_BASKET),
        status=404,
        states=["a customer exists"],
        response=UNKNOWN_BASKET,
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to add an item to a basket",
        "PUT",
        path("/api/baskets/{basketId}/addItem", **AT),
        lambda c: c.add_item(BASKET, PRODUCT, 2),
        states=["an open basket exists", "a participating store with a product exists"],
        body={"productId": THE_PRODUCT, "quantity": 2},
        response=basket("open", [item(2)], 20.0),
        returns=lambda body: body["basket"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to add no items to a basket",
        "PUT",
        path("/api/baskets/{basketId}/addItem", **AT),
        lambda c: c.add_item(BASKET, PRODUCT, 0),
        status=400,
        states=["an open basket exists", "a participating store with a product exists"],
        body={"productId": THE_PRODUCT, "quantity": 0},
        response=error("the quantity must be at least 1"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to add an unknown product to a basket",
        "PUT",
        path("/api/baskets/{basketId}/addItem", **AT),
        lambda c: c.add_item(BASKET, NO_PRODUCT, 1),
        status=404,
        states=["an open basket exists"],
        body={"productId": NO_PRODUCT, "quantity": 1},
        response=error(f"the product {NO_PRODUCT} does not exist", r"^the product .+ does not exist$"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to add an item to an unknown basket",
        "PUT",
        f"/api/baskets/{NO_BASKET}/addItem",
        lambda c: c.add_item(NO_BASKET, PRODUCT, 1),
        status=404,
        states=["a participating store with a product exists", "a customer exists"],
        body={"productId": THE_PRODUCT, "quantity": 1},
        response=UNKNOWN_BASKET,
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to add an item to a checked out basket",
        "PUT",
        path("/api/baskets/{basketId}/addItem", **AT),
        lambda c: c.add_item(BASKET, PRODUCT, 1),
        status=409,
        states=["a checked out basket exists"],
        body={"productId": THE_PRODUCT, "quantity": 1},
        response=CHECKED_OUT,
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to add a product of a store that does not participate to a basket",
        "PUT",
        path("/api/baskets/{basketId}/addItem", **AT),
        lambda c: c.add_item(BASKET, PRODUCT, 1),
        status=409,
        states=["an open basket exists", "a product of a store that does not participate exists"],
        body={"productId": THE_PRODUCT, "quantity": 1},
        response=error(
            "the store Contract Store is not participating in the mall",
            r"^the store .+ is not participating in the mall$",
        ),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to remove an item from a basket",
        "PUT",
        path("/api/baskets/{basketId}/removeItem", **AT),
        lambda c: c.remove_item(BASKET, PRODUCT, 1),
        states=["an open basket with items exists"],
        body={"productId": THE_PRODUCT, "quantity": 1},
        response=basket("open", [item(1)], 10.0),
        returns=lambda body: body["basket"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to remove no items from a basket",
        "PUT",
        path("/api/baskets/{basketId}/removeItem", **AT),
        lambda c: c.remove_item(BASKET, PRODUCT, 0),
        status=400,
        states=["an open basket with items exists"],
        body={"productId": THE_PRODUCT, "quantity": 0},
        response=error("the quantity must be at least 1"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to remove a product that is not in the basket",
        "PUT",
        path("/api/baskets/{basketId}/removeItem", **AT),
        lambda c: c.remove_item(BASKET, NO_PRODUCT, 1),
        status=404,
        states=["an open basket with items exists"],
        body={"productId": NO_PRODUCT, "quantity": 1},
        response=error(f"the product {NO_PRODUCT} is not in the basket", r"^the product .+ is not in the basket$"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to remove an item from an unknown basket",
        "PUT",
        f"/api/baskets/{NO_BASKET}/removeItem",
        lambda c: c.remove_item(NO_BASKET, NO_PRODUCT, 1),
        status=404,
        states=["a customer exists"],
        body={"productId": NO_PRODUCT, "quantity": 1},
        response=UNKNOWN_BASKET,
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to remove an item from a checked out basket",
        "PUT",
        path("/api/baskets/{basketId}/removeItem", **AT),
        lambda c: c.remove_item(BASKET, PRODUCT, 1),
        status=409,
        states=["a checked out basket exists"],
        body={"productId": THE_PRODUCT, "quantity": 1},
        response=CHECKED_OUT,
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to check out a basket",
        "PUT",
        path("/api/baskets/{basketId}/checkout", **AT),
        lambda c: c.checkout(BASKET, PAYMENT),
        states=["an open basket with items exists"],
        body={"paymentId": injected("paymentId", PAYMENT)},
        response=basket("checked_out", match.each_like(item(match.integer(2))), 20.0, match.str(PAYMENT)),
        returns=lambda body: body["basket"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to check out an empty basket",
        "PUT",
        path("/api/baskets/{basketId}/checkout", **AT),
        lambda c: c.checkout(BASKET, PAYMENT),
        status=400,
        states=["an open basket exists"],
        body={"paymentId": injected("paymentId", PAYMENT)},
        response=error("the basket is empty"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to check out a basket without a payment",
        "PUT",
        path("/api/baskets/{basketId}/checkout", **AT),
        lambda c: c.checkout(BASKET, ""),
        status=400,
        states=["an open basket with items exists"],
        body={"paymentId": ""},
        response=error("the payment ID cannot be blank"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to check out an unknown basket",
        "PUT",
        f"/api/baskets/{NO_BASKET}/checkout",
        lambda c: c.checkout(NO_BASKET, PAYMENT),
        status=404,
        states=["a customer exists"],
        body={"paymentId": PAYMENT},
        response=UNKNOWN_BASKET,
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to check out a checked out basket",
        "PUT",
        path("/api/baskets/{basketId}/checkout", **AT),
        lambda c: c.checkout(BASKET, PAYMENT),
        status=409,
        states=["a checked out basket exists"],
        body={"paymentId": injected("paymentId", PAYMENT)},
        response=CHECKED_OUT,
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to cancel a basket",
        "DELETE",
        path("/api/baskets/{basketId}", **AT),
        lambda c: c.cancel_basket(BASKET),
        states=["an open basket exists"],
        response=basket("cancelled", [], 0.0),
        returns=lambda body: body["basket"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to cancel an unknown basket",
        "DELETE",
        f"/api/baskets/{NO_BASKET}",
        lambda c: c.cancel_basket(NO_BASKET),
        status=404,
        states=["a customer exists"],
        response=UNKNOWN_BASKET,
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to cancel a checked out basket",
        "DELETE",
        path("/api/baskets/{basketId}", **AT),
        lambda c: c.cancel_basket(BASKET),
        status=409,
        states=["a checked out basket exists"],
        response=CHECKED_OUT,
        caller=Caller.CUSTOMER,
    ),
    # ---- whose ----
    Case(
        "a request to get another customer's basket",
        "GET",
        path("/api/baskets/{basketId}", **AT),
        lambda c: c.get_basket(BASKET),
        status=404,
        states=["an open basket exists", "another customer exists"],
        response=error(f"the basket {BASKET} does not exist", r"^the basket .+ does not exist$"),
        caller=Caller.OTHER_CUSTOMER,
    ),
    Case(
        "a request to start a basket for another customer",
        "POST",
        "/api/baskets",
        lambda c: c.start_basket(CUSTOMER),
        status=403,
        states=["a customer exists", "another customer exists"],
        body={"customerId": injected("customerId", CUSTOMER)},
        response=error("a customer acts only for itself; the body names another customer"),
        caller=Caller.OTHER_CUSTOMER,
    ),
]


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsumerContract]:
    yield from consumer_contract("baskets", CASES, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=case_id)
async def test_the_client_keeps_its_contract_with_the_baskets_api(case: Case, contract: ConsumerContract) -> None:
    await contract.check(case)
