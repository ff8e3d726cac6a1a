"""Personal data stays private in Temporal: after a whole journey (register, change the SMS number, basket,
order, bot, invoice, payment), the raw histories of every workflow it touched hold the customer's name and SMS
numbers nowhere (not in clear, not base64'd), every payload in them is encrypted; the codec endpoint decodes
them for the holder of its token only, the ``temporal`` CLI decodes through it, the UI's origin may call it
from a browser, and the encrypted histories replay."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from temporalio.client import Client, WorkflowHistory
from temporalio.worker import Replayer

from api.schemas import error_body
from mallbots.bootstrap import SANDBOXED
from mallbots.devstack.temporal import temporal_cli
from mallbots.services import DEFINITIONS
from mallbots.stack import Stack
from mallbots.tools.client import MallbotsClient
from tests.integration.conftest import open_shop
from workflows.baskets.messages import basket_workflow_id
from workflows.customers.messages import customer_workflow_id
from workflows.depot.messages import shopping_list_workflow_id
from workflows.ordering.messages import order_workflow_id
from workflows.payments.messages import invoice_workflow_id, payment_workflow_id

pytestmark = pytest.mark.integration

ENCRYPTED = b"binary/encrypted"


def _payloads(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[dict[str, Any], tuple[str, ...]]]:
    """Every Payload of a history's proto JSON (a dict with ``metadata`` holding an ``encoding``), with where
    it is (the keys leading to it)."""
    if isinstance(node, dict):
        metadata = node.get("metadata")
        if isinstance(metadata, dict) and "encoding" in metadata:
            yield node, path
            return
        for key, value in node.items():
            yield from _payloads(value, (*path, key))
    elif isinstance(node, list):
        for value in node:
            yield from _payloads(value, path)


def _in_clear_by_design(path: tuple[str, ...]) -> bool:
    """Search attributes (the server indexes them: IDs and statuses only), and the SDK's own bookkeeping in
    markers, which it writes itself, past the codec: a patch's ID, a local activity's sequence number, type and
    times (its result is a payload like any other, and encrypted)."""
    if "indexedFields" in path:
        return True
    marker = "markerRecordedEventAttributes"
    return marker in path and bool({"data", "patch-data"} & set(path[path.index(marker) :]))


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def _readable(history_json: str) -> str:
    """The history's JSON, followed by every string in it that is base64, decoded: what anyone with the raw
    history can read without a key."""
    decoded = []
    for text in _strings(json.loads(history_json)):
        try:
            decoded.append(base64.b64decode(text, validate=True).decode("utf-8", errors="replace"))
        except (binascii.Error, ValueError):
            continue
    return "\n".join([history_json, *decoded])


def _b64(text: str) -> bytes:
    return base64.b64decode(text)


class Journey:
    def __init__(self, customer_id: str, order_id: str, payment_id: str, name: str, sms_numbers: list[str]) -> None:
        self.customer_id, self.order_id, self.payment_id = customer_id, order_id, payment_id
        self.name, self.sms_numbers = name, sms_numbers
        self.seconds = 0.0

    @property
    def workflow_ids(self) -> dict[str, str]:
        return {
            "customer": customer_workflow_id(self.customer_id),
            "basket": basket_workflow_id(self.order_id),  # the order is its basket's checkout: one ID
            "order": order_workflow_id(self.order_id),
            "payment": payment_workflow_id(self.payment_id),
            "invoice": invoice_workflow_id(self.order_id),
            "shopping list": shopping_list_workflow_id(self.order_id),
        }

    @property
    def secrets(self) -> list[str]:
        """What must appear nowhere: the name, the unique part of it, each number and its digits alone."""
        digits = ["".join(c for c in n if c.isdigit()) for n in self.sms_numbers]
        return [self.name, self.name.split()[-1], *self.sms_numbers, *digits]


@pytest.fixture(scope="module")
async def journey(stack: Stack) -> Journey:
    tag = uuid.uuid4().hex[:10]
    number = int(uuid.uuid4().int % 10**8)
    name = f"Ada Privacy{tag}"
    first_sms, second_sms = f"+44 20 {number:08d}", f"+1 555 {(number + 1) % 10**8:08d}"
    started = time.perf_counter()
    async with MallbotsClient(stack.api_url, token=stack.token()) as mall:
        shop = await open_shop(mall)
        # Keys a careless client writes: the update ID Temporal keeps in clear must not carry them.
        customer_id = await mall.register_customer(name, first_sms, key=f"register {name}")
        change = {"smsNumber": second_sms}
        await mall.request("PUT", f"/api/customers/{customer_id}/change-sms", change, key=f"sms {second_sms}")
        payment_id = await mall.authorize_payment(customer_id, "100.00")
        order_id = await mall.start_basket(customer_id)
        await mall.add_item(order_id, shop.widget_id, 2)
        await mall.checkout(order_id, payment_id)
        await mall.wait_for_order(order_id, {"approved"})
        await mall.wait_for_notification(customer_id, order_id, "ordering.OrderCreated")
        await mall.assign_bot(order_id, "bot-private")
        await mall.complete_shopping_list(order_id)
        await mall.wait_for_order(order_id, {"ready"})
        await mall.pay_invoice(order_id)
        await mall.wait_for_order(order_id, {"completed"})
    found = Journey(customer_id, order_id, payment_id, name, [first_sms, second_sms])
    found.seconds = time.perf_counter() - started
    return found


@pytest.fixture(scope="module")
async def raw_histories(stack: Stack, journey: Journey) -> dict[str, WorkflowHistory]:
    """Fetched by a client without the codec: the bytes Temporal holds."""
    raw = await Client.connect(stack.temporal_address, namespace=stack.settings.temporal_namespace)
    return {what: await raw.get_workflow_handle(wid).fetch_history() for what, wid in journey.workflow_ids.items()}


def _encrypted_payloads(histories: dict[str, WorkflowHistory]) -> list[dict[str, Any]]:
    return [
        payload
        for history in histories.values()
        for payload, path in _payloads(json.loads(history.to_json()))
        if not _in_clear_by_design(path)
    ]


def test_the_journey_touched_every_entity_of_a_customer(
    journey: Journey, raw_histories: dict[str, WorkflowHistory]
) -> None:
    print(f"journey (register → completed order) in {journey.seconds:.2f} s with payload encryption")
    assert set(raw_histories) == {"customer", "basket", "order", "payment", "invoice", "shopping list"}
    assert all(len(h.events) > 3 for h in raw_histories.values())


@pytest.mark.parametrize("what", ["customer", "basket", "order", "payment", "invoice", "shopping list"])
def test_no_raw_history_holds_the_name_or_an_sms_number(
    what: str, journey: Journey, raw_histories: dict[str, WorkflowHistory]
) -> None:
    readable = _readable(raw_histories[what].to_json())
    leaked = [secret for secret in journey.secrets if secret in readable]
    assert not leaked, f"the {what} history shows {leaked}"


def test_every_payload_in_the_histories_is_encrypted_but_search_attributes_and_sdk_markers(
    stack: Stack, raw_histories: dict[str, WorkflowHistory]
) -> None:
    assert stack.payload_keys is not None
    current = stack.payload_keys[0].id.encode()
    payloads = _encrypted_payloads(raw_histories)
    assert len(payloads) > 30  # inputs, update arguments and results, events, activity results, summaries
    clear = [p for p in payloads if _b64(p["metadata"]["encoding"]) != ENCRYPTED]
    assert not clear, f"{len(clear)} payload(s) in clear: " + "; ".join(
        sorted({_b64(c.get("data", "")).decode()[:120] for c in clear})
    )
    assert {_b64(p["metadata"]["encryption-key-id"]) for p in payloads} == {current}


async def _decode(stack: Stack, payloads: list[dict[str, Any]], headers: dict[str, str], path: str = "decode") -> Any:
    async with httpx.AsyncClient(base_url=stack.codec_url, timeout=30) as http:
        return await http.post(f"/{path}", json={"payloads": payloads}, headers=headers)


async def test_the_codec_endpoint_decodes_the_histories_for_the_holder_of_its_token(
    stack: Stack, journey: Journey, raw_histories: dict[str, WorkflowHistory]
) -> None:
    payloads = _encrypted_payloads(raw_histories)

    answer = await _decode(stack, payloads, {"Authorization": f"Bearer {stack.codec_token}", "X-Namespace": "default"})

    assert answer.status_code == 200, answer.text
    decoded = answer.json()["payloads"]
    assert len(decoded) == len(payloads)
    assert all(_b64(p["metadata"]["encoding"]) != ENCRYPTED for p in decoded)
    text = "\n".join(_b64(p.get("data", "")).decode() for p in decoded)
    assert journey.name in text
    assert all(number in text for number in journey.sms_numbers)
    # The UI's form: the token as the last segment of the endpoint it is configured with.
    by_path = await _decode(stack, payloads[:3], {}, path=f"{stack.codec_token}/decode")
    assert by_path.status_code == 200 and by_path.json()["payloads"] == decoded[:3]


async def test_the_codec_endpoint_encodes_what_it_decodes(stack: Stack) -> None:
    clear = {
        "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
        "data": base64.b64encode(b'"hi"').decode(),
    }
    auth = {"Authorization": f"Bearer {stack.codec_token}"}
    encoded = await _decode(stack, [clear], auth, path="encode")
    assert encoded.status_code == 200
    (sealed,) = encoded.json()["payloads"]
    assert _b64(sealed["metadata"]["encoding"]) == ENCRYPTED
    (opened,) = (await _decode(stack, [sealed], auth)).json()["payloads"]
    assert _b64(opened["data"]) == b'"hi"'


@pytest.mark.parametrize(
    ("headers", "path", "status"),
    [
        ({}, "decode", 401),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "decode", 401),
        ({"Authorization": "Bearer not-the-token-at-all"}, "decode", 403),
        ({}, "not-the-token-at-all/decode", 403),
        ({}, "encode", 401),
        ({"Authorization": "Bearer not-the-token-at-all"}, "encode", 403),
    ],
    ids=["no token", "not a bearer", "wrong token", "wrong token in the path", "encode, no token", "encode, wrong"],
)
async def test_the_codec_endpoint_refuses_a_caller_without_the_token(
    stack: Stack, raw_histories: dict[str, WorkflowHistory], headers: dict[str, str], path: str, status: int
) -> None:
    answer = await _decode(stack, _encrypted_payloads(raw_histories)[:2], headers, path)

    assert answer.status_code == status
    assert answer.json() == error_body(status, answer.json()["message"])
    assert "payloads" not in answer.text
    if status == 401:
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_payload_the_keys_cannot_open_is_a_400_naming_the_key(stack: Stack) -> None:
    unknown = {
        "metadata": {
            "encoding": base64.b64encode(ENCRYPTED).decode(),
            "encryption-key-id": base64.b64encode(b"retired-key").decode(),
        },
        "data": base64.b64encode(bytes(40)).decode(),
    }
    answer = await _decode(stack, [unknown], {"Authorization": f"Bearer {stack.codec_token}"})
    assert answer.status_code == 400
    assert "'retired-key'" in answer.json()["message"]


async def test_the_uis_origin_may_call_the_codec_endpoint_from_a_browser_and_no_other(stack: Stack) -> None:
    origin = stack.codec_cors_origins[0]
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-namespace"}
    async with httpx.AsyncClient(base_url=stack.codec_url, timeout=30) as http:
        allowed = await http.options("/decode", headers={"Origin": origin, **preflight})
        other = await http.options("/decode", headers={"Origin": "http://evil.example", **preflight})
        called = await http.post(
            "/decode", json={"payloads": []}, headers={"Origin": origin, "Authorization": f"Bearer {stack.codec_token}"}
        )
        elsewhere = await http.options(
            f"{stack.api_url}/api/stores", headers={"Origin": origin, "Access-Control-Request-Method": "GET"}
        )

    assert allowed.status_code == 200, allowed.text
    assert allowed.headers["access-control-allow-origin"] == origin
    assert {"content-type", "x-namespace", "authorization"} <= {
        h.strip().lower() for h in allowed.headers["access-control-allow-headers"].split(",")
    }
    assert "access-control-allow-origin" not in other.headers
    assert called.status_code == 200 and called.json() == {"payloads": []}
    assert called.headers["access-control-allow-origin"] == origin
    assert "access-control-allow-origin" not in elsewhere.headers  # CORS is for the codec paths only


async def _cli_show(stack: Stack, workflow_id: str, *codec: str) -> str:
    """``temporal workflow show -o json``, run without blocking the loop that serves the codec endpoint."""
    command = [temporal_cli(), "workflow", "show", "-w", workflow_id, "-o", "json", "--address", stack.temporal_address]
    process = await asyncio.create_subprocess_exec(
        *command, *codec, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_temporal_workflow_show_decodes_through_the_codec_endpoint_with_the_token_only(
    stack: Stack, journey: Journey
) -> None:
    workflow_id = customer_workflow_id(journey.customer_id)

    raw = await _cli_show(stack, workflow_id)
    decoded = await _cli_show(
        stack, workflow_id, "--codec-endpoint", stack.codec_url, "--codec-auth", f"Bearer {stack.codec_token}"
    )

    assert journey.name not in _readable(raw)
    assert journey.name in _readable(decoded)
    assert all(number in _readable(decoded) for number in journey.sms_numbers)


async def test_the_encrypted_histories_replay_with_the_workers_converter(
    stack: Stack, raw_histories: dict[str, WorkflowHistory]
) -> None:
    assert stack.client is not None
    workflows = [wf for definition in DEFINITIONS.values() for wf in definition.workflows]
    replayer = Replayer(workflows=workflows, data_converter=stack.client.data_converter, workflow_runner=SANDBOXED)
    for what, history in raw_histories.items():
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        assert result.replay_failure is None, f"the {what} history: {result.replay_failure}"
