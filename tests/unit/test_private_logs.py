"""Logs never show a customer's SMS number (masked to its last two digits) nor their name."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from activities.notifications.gateway import RecordingGateway, Sms
from domain.customers.model import masked_sms
from readmodels.shared.db import SessionFactory


@pytest.mark.parametrize(
    ("number", "shown"),
    [("+44 20 7946 0018", "***18"), ("555.000.2222", "***22"), ("7", "***7"), ("", "<no number>")],
)
def test_an_sms_number_is_masked_to_its_last_two_digits(number: str, shown: str) -> None:
    assert masked_sms(number) == shown


class _Inserted:
    rowcount = 1


class _Session:
    async def exec(self, _: Any) -> _Inserted:
        return _Inserted()


class _Sessions:
    @asynccontextmanager
    async def begin(self) -> AsyncIterator[_Session]:
        yield _Session()


async def test_the_sms_gateway_logs_neither_the_number_nor_the_text_that_names_the_customer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway = RecordingGateway(cast(SessionFactory, _Sessions()))
    sms = Sms(
        id="order-1:2",
        customer_id="c-1",
        order_id="order-1",
        event_name="ordering.OrderCreated",
        sms_number="+44 20 7946 0018",
        message="Hi Ada Lovelace, your order 1234abcd is confirmed",
        sent_at=datetime(2025, 1, 1, tzinfo=UTC),
    )

    with caplog.at_level(logging.INFO, logger="mallbots.sms"):
        await gateway.send(sms)

    (line,) = [r.getMessage() for r in caplog.records]
    assert "***18" in line and "c-1" in line and "order-1" in line
    assert "7946" not in line and "Ada" not in line
