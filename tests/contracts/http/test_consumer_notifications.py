"""The client's contract with the notifications API: the SMS messages a customer was sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pact import match

from .pacts import Caller, Case, ConsumerContract, case_id, consumer_contract, error, injected, timestamp

CUSTOMER = "5b2f7c1d-8e3a-4b6c-9d0e-1f2a3b4c5d6e"
ORDER = "2d4f6a8c-0e1b-4c3d-9e5f-7a9b1c3d5e7f"

NOTIFICATIONS = {
    "notifications": match.each_like(
        {
            "id": match.str(f"{ORDER}:1"),
            "customerId": match.str(CUSTOMER),
            "orderId": match.str(ORDER),
            "eventName": match.regex("ordering.OrderCreated", regex=r"^[a-z]+\.[A-Za-z]+$"),
            "smsNumber": match.str("+1 555 0100"),
            "message": match.str("Hi Contract Customer, we received your order 2d4f6a8c."),
            "sentAt": timestamp(),
        }
    )
}

CASES = [
    Case(
        "a request for a customer's notifications",
        "GET",
        "/api/notifications",
        lambda c: c.get_notifications(CUSTOMER),
        states=["a customer with notifications exists"],
        query={"customerId": injected("customerId", CUSTOMER)},
        response=NOTIFICATIONS,
        returns=lambda body: body["notifications"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request for the notifications of a customer who was sent none",
        "GET",
        "/api/notifications",
        lambda c: c.get_notifications(CUSTOMER),
        states=["a customer exists"],
        query={"customerId": injected("customerId", CUSTOMER)},
        response={"notifications": []},
        returns=lambda body: body["notifications"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request for the notifications of no customer",
        "GET",
        "/api/notifications",
        lambda c: c.get_notifications(""),
        status=400,
        states=["a customer exists"],
        query={"customerId": ""},
        response=error("the customer ID cannot be blank"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request for another customer's notifications",
        "GET",
        "/api/notifications",
        lambda c: c.get_notifications(CUSTOMER),
        status=404,
        states=["a customer exists", "another customer exists"],
        query={"customerId": injected("customerId", CUSTOMER)},
        response=error(f"the customer {CUSTOMER} does not exist", r"^the customer \S+ does not exist$"),
        caller=Caller.OTHER_CUSTOMER,
    ),
]


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsumerContract]:
    yield from consumer_contract("notifications", CASES, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=case_id)
async def test_the_client_keeps_its_contract_with_the_notifications_api(case: Case, contract: ConsumerContract) -> None:
    await contract.check(case)
