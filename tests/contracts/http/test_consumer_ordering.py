"""The client's contract with the ordering API: direct orders, an order's state, cancellation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pact import match

from .pacts import Caller, Case, ConsumerContract, case_id, consumer_contract, error, injected, path, timestamp

CUSTOMER = "5b2f7c1d-8e3a-4b6c-9d0e-1f2a3b4c5d6e"
PAYMENT = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
PRODUCT = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
ORDER = "2d4f6a8c-0e1b-4c3d-9e5f-7a9b1c3d5e7f"
NO_ORDER = "no-such-order"
AT = {"orderId": ORDER}

THE_CUSTOMER = injected("customerId", CUSTOMER)
SHOPPING = match.str(ORDER)  # the shopping list's ID is the order's
UNKNOWN_ORDER = error(f"the order {NO_ORDER} does not exist", r"^the order .+ does not exist$")
# someone else's order answers as one that does not exist
THE_ORDER_UNSEEN = error(f"the order {ORDER} does not exist", r"^the order .+ does not exist$")


def order(
    status: str, *, shopping: object = SHOPPING, invoice: object = None, reason: object = None
) -> dict[str, object]:
    """An order of the provider states: two products at 10.00, paid by a payment of 100.00."""
    return {
        "order": {
            "id": match.str(ORDER),
            "customerId": match.str(CUSTOMER),
            "paymentId": match.str(PAYMENT),
            "items": match.each_like(
                {
                    "productId": match.str(PRODUCT),
                    "storeId": match.str("3c1e2a4b-0d5f-4e6a-8b7c-9d0e1f2a3b4c"),
                    "storeName": match.str("Contract Store"),
                    "productName": match.str("Contract Widget"),
                    "price": match.number(10.0),
                    "quantity": match.integer(2),
                }
            ),
            "total": match.number(20.0),
            "status": status,
            "shoppingId": shopping,
            "invoiceId": invoice,
            "reason": reason,
            "createdAt": timestamp(),
            "updatedAt": timestamp(),
        }
    }


def items(product: object, quantity: int) -> list[dict[str, object]]:
    return [{"productId": product, "quantity": quantity}]


CASES = [
    Case(
        "a request to place an order without a basket",
        "POST",
        "/api/ordering",
        lambda c: c.create_order(CUSTOMER, PAYMENT, {PRODUCT: 2}),
        states=["an authorized payment exists", "a participating store with a product exists"],
        body={
            "customerId": THE_CUSTOMER,
            "paymentId": injected("paymentId", PAYMENT),
            "items": items(injected("productId", PRODUCT), 2),
        },
        response={"id": match.str(ORDER)},
        returns=lambda body: body["id"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to place an order of nothing",
        "POST",
        "/api/ordering",
        lambda c: c.create_order(CUSTOMER, PAYMENT, {}),
        status=400,
        states=["a customer exists"],
        body={"customerId": THE_CUSTOMER, "paymentId": PAYMENT, "items": []},
        response=error("the order has no items"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to place an order of no pieces of a product",
        "POST",
        "/api/ordering",
        lambda c: c.create_order(CUSTOMER, PAYMENT, {PRODUCT: 0}),
        status=400,
        states=["a customer exists"],
        body={"customerId": THE_CUSTOMER, "paymentId": PAYMENT, "items": items(PRODUCT, 0)},
        response=error("the quantity must be at least 1"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to get an order",
        "GET",
        path("/api/ordering/{orderId}", **AT),
        lambda c: c.get_order(ORDER),
        states=["an approved order exists"],
        response=order("approved"),
        returns=lambda body: body["order"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to get a ready order",
        "GET",
        path("/api/ordering/{orderId}", **AT),
        lambda c: c.get_order(ORDER),
        states=["a ready order with a pending invoice exists"],
        response=order("ready", invoice=match.str(ORDER)),
        returns=lambda body: body["order"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to get a rejected order",
        "GET",
        path("/api/ordering/{orderId}", **AT),
        lambda c: c.get_order(ORDER),
        states=["a rejected order exists"],
        # Its payment was short at step 3: the list step 2 had opened (then cancelled) stays named.
        response=order("rejected", reason=match.str("the payment of 1.00 does not cover the order total 20.00")),
        returns=lambda body: body["order"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to get an unknown order",
        "GET",
        f"/api/ordering/{NO_ORDER}",
        lambda c: c.get_order(NO_ORDER),
        status=404,
        states=["a customer exists"],
        response=UNKNOWN_ORDER,
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to cancel an order",
        "DELETE",
        path("/api/ordering/{orderId}", **AT),
        lambda c: c.cancel_order(ORDER),
        states=["an approved order exists"],
        response=order("cancelled"),
        returns=lambda body: body["order"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to cancel an unknown order",
        "DELETE",
        f"/api/ordering/{NO_ORDER}",
        lambda c: c.cancel_order(NO_ORDER),
        status=404,
        states=["a customer exists"],
        response=UNKNOWN_ORDER,
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to cancel a ready order",
        "DELETE",
        path("/api/ordering/{orderId}", **AT),
        lambda c: c.cancel_order(ORDER),
        status=409,
        states=["a ready order with a pending invoice exists"],
        response=error("the order is ready and can no longer be cancelled"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to cancel a rejected order",
        "DELETE",
        path("/api/ordering/{orderId}", **AT),
        lambda c: c.cancel_order(ORDER),
        status=409,
        states=["a rejected order exists"],
        response=error("the order is rejected and can no longer be cancelled"),
        caller=Caller.CUSTOMER,
    ),
    # ---- whose ----
    Case(
        "a request to get another customer's order",
        "GET",
        path("/api/ordering/{orderId}", **AT),
        lambda c: c.get_order(ORDER),
        status=404,
        states=["an approved order exists", "another customer exists"],
        response=THE_ORDER_UNSEEN,
        caller=Caller.OTHER_CUSTOMER,
    ),
    Case(
        "a request to cancel another customer's order",
        "DELETE",
        path("/api/ordering/{orderId}", **AT),
        lambda c: c.cancel_order(ORDER),
        status=404,
        states=["an approved order exists", "another customer exists"],
        response=THE_ORDER_UNSEEN,
        caller=Caller.OTHER_CUSTOMER,
    ),
]


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsumerContract]:
    yield from consumer_contract("ordering", CASES, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=case_id)
async def test_the_client_keeps_its_contract_with_the_ordering_api(case: Case, contract: ConsumerContract) -> None:
    await contract.check(case)
