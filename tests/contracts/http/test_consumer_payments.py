"""The client's contract with the payments API: authorizations and invoices."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pact import match

from .pacts import Caller, Case, ConsumerContract, case_id, consumer_contract, error, injected, path

CUSTOMER = "5b2f7c1d-8e3a-4b6c-9d0e-1f2a3b4c5d6e"
PAYMENT = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
ORDER = "2d4f6a8c-0e1b-4c3d-9e5f-7a9b1c3d5e7f"
NO_CUSTOMER = "no-such-customer"
NO_PAYMENT = "no-such-payment"
NO_INVOICE = "no-such-invoice"

UNKNOWN_INVOICE = error(f"the invoice {NO_INVOICE} does not exist", r"^the invoice .+ does not exist$")


def invoice(status: str) -> dict[str, object]:
    """The invoice of an order of the provider states: two products at 10.00."""
    return {
        "id": match.str(ORDER),
        "orderId": match.str(ORDER),
        "customerId": match.str(CUSTOMER),
        "paymentId": match.str(PAYMENT),
        "amount": match.number(20.0),
        "status": status,
    }


CASES = [
    Case(
        "a request to authorize a payment",
        "POST",
        "/api/payments",
        lambda c: c.authorize_payment(CUSTOMER, 100),
        states=["a customer exists"],
        body={"customerId": injected("customerId", CUSTOMER), "amount": 100.0},
        response={"id": match.str(PAYMENT)},
        returns=lambda body: body["id"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to authorize a payment of nothing",
        "POST",
        "/api/payments",
        lambda c: c.authorize_payment(CUSTOMER, 0),
        status=400,
        states=["a customer exists"],
        body={"customerId": injected("customerId", CUSTOMER), "amount": 0.0},
        response=error("the payment amount must be greater than zero"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to authorize a payment without a customer",
        "POST",
        "/api/payments",
        lambda c: c.authorize_payment("", 100),
        status=400,
        states=["a customer exists"],
        body={"customerId": "", "amount": 100.0},
        response=error("the customer ID cannot be blank"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to authorize a payment of an unknown customer",
        "POST",
        "/api/payments",
        lambda c: c.authorize_payment(NO_CUSTOMER, 100),
        status=404,
        states=["an unregistered customer exists"],
        body={"customerId": injected("customerId", NO_CUSTOMER), "amount": 100.0},
        response=error(f"the customer {NO_CUSTOMER} is not registered", r"^the customer .+ is not registered$"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to authorize a payment of a disabled customer",
        "POST",
        "/api/payments",
        lambda c: c.authorize_payment(CUSTOMER, 100),
        status=409,
        states=["a disabled customer exists"],
        body={"customerId": injected("customerId", CUSTOMER), "amount": 100.0},
        response=error(f"the customer {CUSTOMER} is disabled", r"^the customer .+ is disabled$"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to get a payment",
        "GET",
        path("/api/payments/{paymentId}", paymentId=PAYMENT),
        lambda c: c.get_payment(PAYMENT),
        states=["an authorized payment exists"],
        response={
            "payment": {
                "id": match.str(PAYMENT),
                "customerId": match.str(CUSTOMER),
                "amount": match.number(100.0),
                "status": "authorized",
                "orderId": None,
            }
        },
        returns=lambda body: body["payment"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to get a payment reserved for an order",
        "GET",
        path("/api/payments/{paymentId}", paymentId=PAYMENT),
        lambda c: c.get_payment(PAYMENT),
        states=["an approved order exists"],
        response={
            "payment": {
                "id": match.str(PAYMENT),
                "customerId": match.str(CUSTOMER),
                "amount": match.number(100.0),
                "status": "reserved",
                "orderId": match.str(ORDER),
            }
        },
        returns=lambda body: body["payment"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to get an unknown payment",
        "GET",
        f"/api/payments/{NO_PAYMENT}",
        lambda c: c.get_payment(NO_PAYMENT),
        status=404,
        states=["a customer exists"],
        response=error(f"the payment {NO_PAYMENT} does not exist", r"^the payment .+ does not exist$"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to get an invoice",
        "GET",
        path("/api/payments/invoices/{invoiceId}", invoiceId=ORDER),
        lambda c: c.get_invoice(ORDER),
        states=["a ready order with a pending invoice exists"],
        response={"invoice": invoice("pending")},
        returns=lambda body: body["invoice"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to get an unknown invoice",
        "GET",
        f"/api/payments/invoices/{NO_INVOICE}",
        lambda c: c.get_invoice(NO_INVOICE),
        status=404,
        states=["a customer exists"],
        response=UNKNOWN_INVOICE,
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to pay an invoice",
        "PUT",
        path("/api/payments/invoices/{invoiceId}/pay", invoiceId=ORDER),
        lambda c: c.pay_invoice(ORDER),
        states=["a ready order with a pending invoice exists"],
        response={"invoice": invoice("paid")},
        returns=lambda body: body["invoice"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to pay a paid invoice",
        "PUT",
        path("/api/payments/invoices/{invoiceId}/pay", invoiceId=ORDER),
        lambda c: c.pay_invoice(ORDER),
        status=409,
        states=["a paid invoice exists"],
        response=error("the invoice is paid; only a pending invoice can be paid"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to pay an unknown invoice",
        "PUT",
        f"/api/payments/invoices/{NO_INVOICE}/pay",
        lambda c: c.pay_invoice(NO_INVOICE),
        status=404,
        states=["a customer exists"],
        response=UNKNOWN_INVOICE,
        caller=Caller.CUSTOMER,
    ),
    # ---- whose ----
    Case(
        "a request to authorize a payment for another customer",
        "POST",
        "/api/payments",
        lambda c: c.authorize_payment(CUSTOMER, 100),
        status=403,
        states=["a customer exists", "another customer exists"],
        body={"customerId": injected("customerId", CUSTOMER), "amount": 100.0},
        response=error("a customer acts only for itself; the body names another customer"),
        caller=Caller.OTHER_CUSTOMER,
    ),
    Case(
        "a request to get another customer's payment",
        "GET",
        path("/api/payments/{paymentId}", paymentId=PAYMENT),
        lambda c: c.get_payment(PAYMENT),
        status=404,
        states=["an authorized payment exists", "another customer exists"],
        response=error(f"the payment {PAYMENT} does not exist", r"^the payment .+ does not exist$"),
        caller=Caller.OTHER_CUSTOMER,
    ),
    Case(
        "a request to pay another customer's invoice",
        "PUT",
        path("/api/payments/invoices/{invoiceId}/pay", invoiceId=ORDER),
        lambda c: c.pay_invoice(ORDER),
        status=404,
        states=["a ready order with a pending invoice exists", "another customer exists"],
        response=error(f"the invoice {ORDER} does not exist", r"^the invoice .+ does not exist$"),
        caller=Caller.OTHER_CUSTOMER,
    ),
]


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsumerContract]:
    yield from consumer_contract("payments", CASES, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=case_id)
async def test_the_client_keeps_its_contract_with_the_payments_api(case: Case, contract: ConsumerContract) -> None:
    await contract.check(case)
