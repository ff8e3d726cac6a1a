"""Customers: registration, SMS number, enabled flag. Pure rules."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from domain.shared.errors import Conflict, InvalidArgument, NotFound
from domain.shared.text import MAX_SMS_INPUT, require_text

# Digits with an optional leading +, spaces, dashes, dots or parentheses between them.
# What a gateway dials is the digits, 5 to 15 of them (E.164's maximum); punctuation between them is for people.
SMS_PATTERN = r"^\+?[0-9](?:[ ().-]*[0-9]){4,14}[ ().-]*$"
_SMS = re.compile(SMS_PATTERN)
MIN_SMS_DIGITS = 5
MAX_SMS_DIGITS = 15


class Customer(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    sms_number: str
    enabled: bool = True


def masked_sms(sms_number: str) -> str:
    """An SMS number as logs may show it: its last two digits only (enough to tell two numbers apart)."""
    digits = [c for c in sms_number if c.isdigit()]
    return f"***{''.join(digits[-2:])}" if digits else "<no number>"


def _valid_sms(sms_number: str) -> str:
    sms = require_text(sms_number, "SMS number", MAX_SMS_INPUT)
    digits = sum(c.isdigit() for c in sms)
    # Punctuation is for people; what a gateway dials is the digits, 5 to 15 of them (E.164's maximum).
    if not _SMS.fullmatch(sms) or not MIN_SMS_DIGITS <= digits <= MAX_SMS_DIGITS:
        raise InvalidArgument(f"the SMS number {sms!r} is not a phone number")
    return sms


def register_customer(customer_id: str, name: str, sms_number: str) -> Customer:
    return Customer(id=customer_id, name=require_text(name, "customer name"), sms_number=_valid_sms(sms_number))


def change_sms_number(customer: Customer, sms_number: str) -> Customer:
    return customer.model_copy(update={"sms_number": _valid_sms(sms_number)})


def enable_customer(customer: Customer) -> Customer:
    if customer.enabled:
        raise Conflict("the customer is already enabled")
    return customer.model_copy(update={"enabled": True})


def disable_customer(customer: Customer) -> Customer:
    if not customer.enabled:
        raise Conflict("the customer is already disabled")
    return customer.model_copy(update={"enabled": False})


def authorize_customer(customer: Customer | None, customer_id: str) -> Customer:
    """May this customer place an order? Step 1 of the create-order saga."""
    if customer is None:
        raise NotFound(f"the customer {customer_id} is not registered")
    if not customer.enabled:
        raise Conflict(f"the customer {customer_id} is disabled")
    return customer
