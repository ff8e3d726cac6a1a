"""The client's contract with the customers API: registration, SMS number, enabling and disabling."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pact import match

from .pacts import Caller, Case, ConsumerContract, case_id, consumer_contract, error, injected, path

CUSTOMER = "5b2f7c1d-8e3a-4b6c-9d0e-1f2a3b4c5d6e"
NO_CUSTOMER = "no-such-customer"
AT = {"customerId": CUSTOMER}

UNKNOWN = error(f"the customer {NO_CUSTOMER} does not exist", r"^the customer .+ does not exist$")


def customer(sms: object = None, enabled: object = None) -> dict[str, object]:
    return {
        "id": match.str(CUSTOMER),
        "name": match.str("Contract Customer"),
        "smsNumber": sms if sms is not None else match.str("+1 555 0100"),
        "enabled": enabled if enabled is not None else match.bool(True),
    }


CASES = [
    Case(
        "a request to register a customer",
        "POST",
        "/api/customers",
        lambda c: c.register_customer("Contract Customer", "+1 555 0100"),
        states=["an unregistered customer exists"],
        body={"name": "Contract Customer", "smsNumber": "+1 555 0100"},
        # a customer token registers the customer it stands for
        response={"id": injected("customerId", CUSTOMER)},
        returns=lambda body: body["id"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to register a customer with a blank name",
        "POST",
        "/api/customers",
        lambda c: c.register_customer("", "+1 555 0100"),
        status=400,
        states=["an unregistered customer exists"],
        body={"name": "", "smsNumber": "+1 555 0100"},
        response=error("the customer name cannot be blank"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to register a customer with an SMS number that is not a phone number",
        "POST",
        "/api/customers",
        lambda c: c.register_customer("Contract Customer", "call me"),
        status=400,
        states=["an unregistered customer exists"],
        body={"name": "Contract Customer", "smsNumber": "call me"},
        response=error("the SMS number 'call me' is not a phone number"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to get a customer",
        "GET",
        path("/api/customers/{customerId}", **AT),
        lambda c: c.get_customer(CUSTOMER),
        states=["a customer exists"],
        response={"customer": customer()},
        returns=lambda body: body["customer"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to get an unknown customer",
        "GET",
        f"/api/customers/{NO_CUSTOMER}",
        lambda c: c.get_customer(NO_CUSTOMER),
        status=404,
        states=["a customer exists"],
        response=UNKNOWN,
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to change a customer's SMS number",
        "PUT",
        path("/api/customers/{customerId}/change-sms", **AT),
        lambda c: c.change_sms(CUSTOMER, "+1 555 0199"),
        states=["a customer exists"],
        body={"smsNumber": "+1 555 0199"},
        response={"customer": customer(sms="+1 555 0199")},
        returns=lambda body: body["customer"],
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to change a customer's SMS number to a blank one",
        "PUT",
        path("/api/customers/{customerId}/change-sms", **AT),
        lambda c: c.change_sms(CUSTOMER, ""),
        status=400,
        states=["a customer exists"],
        body={"smsNumber": ""},
        response=error("the SMS number cannot be blank"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to change the SMS number of an unknown customer",
        "PUT",
        f"/api/customers/{NO_CUSTOMER}/change-sms",
        lambda c: c.change_sms(NO_CUSTOMER, "+1 555 0199"),
        status=404,
        states=["a customer exists"],
        body={"smsNumber": "+1 555 0199"},
        response=UNKNOWN,
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to enable a disabled customer",
        "PUT",
        path("/api/customers/{customerId}/enable", **AT),
        lambda c: c.enable_customer(CUSTOMER),
        states=["a disabled customer exists"],
        response={"customer": customer(enabled=True)},
        returns=lambda body: body["customer"],
        caller=Caller.OPERATOR,
    ),
    Case(
        "a request to enable an enabled customer",
        "PUT",
        path("/api/customers/{customerId}/enable", **AT),
        lambda c: c.enable_customer(CUSTOMER),
        status=409,
        states=["a customer exists"],
        response=error("the customer is already enabled"),
        caller=Caller.OPERATOR,
    ),
    Case(
        "a request to enable an unknown customer",
        "PUT",
        f"/api/customers/{NO_CUSTOMER}/enable",
        lambda c: c.enable_customer(NO_CUSTOMER),
        status=404,
        states=["an operator exists"],
        response=UNKNOWN,
        caller=Caller.OPERATOR,
    ),
    Case(
        "a request to disable a customer",
        "PUT",
        path("/api/customers/{customerId}/disable", **AT),
        lambda c: c.disable_customer(CUSTOMER),
        states=["a customer exists"],
        response={"customer": customer(enabled=False)},
        returns=lambda body: body["customer"],
        caller=Caller.OPERATOR,
    ),
    Case(
        "a request to disable a disabled customer",
        "PUT",
        path("/api/customers/{customerId}/disable", **AT),
        lambda c: c.disable_customer(CUSTOMER),
        status=409,
        states=["a disabled customer exists"],
        response=error("the customer is already disabled"),
        caller=Caller.OPERATOR,
    ),
    Case(
        "a request to disable an unknown customer",
        "PUT",
        f"/api/customers/{NO_CUSTOMER}/disable",
        lambda c: c.disable_customer(NO_CUSTOMER),
        status=404,
        states=["an operator exists"],
        response=UNKNOWN,
        caller=Caller.OPERATOR,
    ),
    # ---- who may ----
    Case(
        "a request to get another customer",
        "GET",
        path("/api/customers/{customerId}", **AT),
        lambda c: c.get_customer(CUSTOMER),
        status=404,
        states=["a customer exists", "another customer exists"],
        response=UNKNOWN,  # as if it did not exist: its existence is not revealed
        caller=Caller.OTHER_CUSTOMER,
    ),
    Case(
        "a request by a customer to disable a customer",
        "PUT",
        path("/api/customers/{customerId}/disable", **AT),
        lambda c: c.disable_customer(CUSTOMER),
        status=403,
        states=["a customer exists"],
        response=error("this needs the role operator; the token has customer"),
        caller=Caller.CUSTOMER,
    ),
    Case(
        "a request to get a customer without a token",
        "GET",
        path("/api/customers/{customerId}", **AT),
        lambda c: c.get_customer(CUSTOMER),
        status=401,
        states=["a customer exists"],
        response=error("a bearer token is required"),
        caller=None,
    ),
]


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsumerContract]:
    yield from consumer_contract("customers", CASES, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=case_id)
async def test_the_client_keeps_its_contract_with_the_customers_api(case: Case, contract: ConsumerContract) -> None:
    await contract.check(case)
