"""The client's contract with the search API: orders by filters, page by page, and one order's view."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pact import match

from .pacts import Caller, Case, ConsumerContract, case_id, consumer_contract, error, injected, path, timestamp

CUSTOMER = "5b2f7c1d-8e3a-4b6c-9d0e-1f2a3b4c5d6e"
ORDER = "2d4f6a8c-0e1b-4c3d-9e5f-7a9b1c3d5e7f"
STORE = "3c1e2a4b-0d5f-4e6a-8b7c-9d0e1f2a3b4c"
PRODUCT = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
CURSOR = "eyJjcmVhdGVkQXQiOiIyMDI2LTExLTI4VDEwOjE1OjMwWiIsImlkIjoiMmQ0ZiJ9"
NO_ORDER = "no-such-order"
STATUSES = r"^(pending|approved|ready|completed|rejected|cancelled)$"
FILTERS = {"customerId": injected("customerId", CUSTOMER)}

ORDER_VIEW = {
    "id": match.str(ORDER),
    "orderId": match.str(ORDER),
    "customerId": match.str(CUSTOMER),
    "customerName": match.str("Contract Customer"),
    "items": match.each_like(
        {
            "productId": match.str(PRODUCT),
            "productName": match.str("Contract Widget"),
            "storeId": match.str(STORE),
            "storeName": match.str("Contract Store"),
            "price": match.number(10.0),
            "quantity": match.regex("2", regex=r"^[0-9]+$"),  # the book's int64: a JSON string
        }
    ),
    "total": match.number(20.0),
    "status": match.regex("approved", regex=STATUSES),
    "createdAt": timestamp(),
    "updatedAt": timestamp(),
}

CASES = [
    Case(
        "a request to search a customer's orders",
        "POST",
        "/api/search/orders",
        lambda c: c.search_orders({"customerId": CUSTOMER}),
        states=["a searchable order exists"],
        body={"filters": FILTERS},
        response={"orders": match.each_like(ORDER_VIEW), "next": ""},
        returns=lambda body: body,
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to search orders by every filter",
        "POST",
        "/api/search/orders",
        lambda c: c.search_orders(
            {
                "customerId": CUSTOMER,
                "after": "2000-01-01T00:00:00Z",
                "before": "2100-01-01T00:00:00Z",
                "storeIds": [STORE],
                "productIds": [PRODUCT],
                "minTotal": 20,
                "maxTotal": 20,
                "status": "approved",
            },
            limit=10,
        ),
        states=["a searchable order exists"],
        body={
            "filters": {
                "customerId": injected("customerId", CUSTOMER),
                "after": "2000-01-01T00:00:00Z",
                "before": "2100-01-01T00:00:00Z",
                "storeIds": [injected("storeId", STORE)],
                "productIds": [injected("productId", PRODUCT)],
                "minTotal": 20,
                "maxTotal": 20,
                "status": "approved",
            },
            "limit": 10,
        },
        response={"orders": match.each_like(ORDER_VIEW, max=1), "next": ""},
        returns=lambda body: body,
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request for the first page of a customer's orders",
        "POST",
        "/api/search/orders",
        lambda c: c.search_orders({"customerId": CUSTOMER}, limit=1),
        states=["a customer with two searchable orders exists"],
        body={"filters": FILTERS, "limit": 1},
        response={"orders": match.each_like(ORDER_VIEW, max=1), "next": match.str(CURSOR)},
        returns=lambda body: body,
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request for the next page of a customer's orders",
        "POST",
        "/api/search/orders",
        lambda c: c.search_orders({"customerId": CUSTOMER}, next=CURSOR, limit=1),
        states=["a customer with two searchable orders exists"],
        body={"filters": FILTERS, "next": injected("next", CURSOR), "limit": 1},
        response={"orders": match.each_like(ORDER_VIEW, max=1), "next": ""},
        returns=lambda body: body,
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to search orders with a minimum total above the maximum",
        "POST",
        "/api/search/orders",
        lambda c: c.search_orders({"minTotal": 50, "maxTotal": 10}),
        status=400,
        states=["a customer exists"],
        body={"filters": {"minTotal": 50, "maxTotal": 10}},
        response=error("minTotal cannot be more than maxTotal"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to search orders with a page of none",
        "POST",
        "/api/search/orders",
        lambda c: c.search_orders({}, limit=0),
        status=400,
        states=["a customer exists"],
        body={"filters": {}, "limit": 0},
        response=error("limit must be between 1 and 100", r"^limit must be between 1 and \d+$"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to search orders from a cursor the API never gave out",
        "POST",
        "/api/search/orders",
        lambda c: c.search_orders({}, next="not-a-cursor"),
        status=400,
        states=["a customer exists"],
        body={"filters": {}, "next": "not-a-cursor"},
        response=error("next is not a cursor this API gave out"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to get an order's search view",
        "GET",
        path("/api/search/orders/{orderId}", orderId=ORDER),
        lambda c: c.get_search_order(ORDER),
        states=["a searchable order exists"],
        response={"order": ORDER_VIEW},
        returns=lambda body: body["order"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to get the search view of an unknown order",
        "GET",
        f"/api/search/orders/{NO_ORDER}",
        lambda c: c.get_search_order(NO_ORDER),
        status=404,
        states=["a customer exists"],
        response=error(f"the order {NO_ORDER} does not exist", r"^the order .+ does not exist$"),
        caller=Caller.CUSTOMER,
    ),
    # ---- whose ----
    Case(
        "a request by an operator to search the orders of a store, whoever placed them",
        "POST",
        "/api/search/orders",
        lambda c: c.search_orders({"storeIds": [STORE]}),
        states=["a searchable order exists"],
        body={"filters": {"storeIds": [injected("storeId", STORE)]}},
        response={"orders": match.each_like(ORDER_VIEW), "next": ""},
        returns=lambda body: body,
        caller=Caller.OPERATOR,
    ),
    Case(
        "a request to search another customer's orders",
        "POST",
        "/api/search/orders",
        lambda c: c.search_orders({"customerId": CUSTOMER}),
        status=403,
        states=["a customer exists", "another customer exists"],
        body={"filters": FILTERS},
        response=error("a customer acts only for itself; the body names another customer"),
        caller=Caller.OTHER_CUSTOMER,
    ),
    Case(
        "a request to get the search view of another customer's order",
        "GET",
        path("/api/search/orders/{orderId}", orderId=ORDER),
        lambda c: c.get_search_order(ORDER),
        status=404,
        states=["a searchable order exists", "another customer exists"],
        response=error(f"the order {ORDER} does not exist", r"^the order .+ does not exist$"),
        caller=Caller.OTHER_CUSTOMER,
    ),
]


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsumerContract]:
    yield from consumer_contract("search", CASES, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=case_id)
async def test_the_client_keeps_its_contract_with_the_search_api(case: Case, contract: ConsumerContract) -> None:
    await contract.check(case)
