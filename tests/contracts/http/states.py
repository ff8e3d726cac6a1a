"""The provider side of the HTTP contracts: provider states, built through the public API, whose generated IDs
are handed to the verifier as *provider-state injected values*.

pact-python's own state-handler server discards what a handler returns, so this module runs its own: the Pact core
POSTs ``{"state", "params", "action"}`` and uses the JSON object it gets back (e.g. ``{"storeId": "..."}``) to
fill the ``${storeId}`` expressions of the interaction's request. Every setup builds fresh, uniquely named
entities, so interactions do not depend on each other or on their order, and the session's other test layers
are not disturbed (nothing is torn down: nothing is shared).

The verifier runs interactions one after another; building the slow states (orders through the whole saga) one at
a time would dominate the run, so :meth:`ProviderStates.prebuild` builds every state a pact file names
concurrently beforehand, and each setup takes one of them (or builds one if none is left).
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from mallbots.tools.client import ApiError, MallbotsClient

Values = dict[str, str]
Builder = Callable[[MallbotsClient], Awaitable[Values]]

PRODUCT_PRICE = "10.00"  # the price the contracts assume for "a store with a product exists"
EVENTUALLY = 30.0  # read models fed by events (search, notifications) catch up well within this
PREBUILD_CONCURRENCY = 6  # two cores: more only queues up in the Temporal server


def _tag() -> str:
    return uuid.uuid4().hex[:8]


async def _eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + EVENTUALLY
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{what} did not happen within {EVENTUALLY}s")
        await asyncio.sleep(0.05)


# ---- building blocks ---------------------------------------------------------------------------------------


async def new_store(mall: MallbotsClient, *, participating: bool) -> str:
    store_id = await mall.create_store(f"Contract Store {_tag()}", "Level 1")
    if participating:
        await mall.enable_participation(store_id)
    return store_id


async def new_product(mall: MallbotsClient, store_id: str) -> str:
    return await mall.add_product(
        store_id, f"Contract Widget {_tag()}", PRODUCT_PRICE, sku="W-1", description="A widget"
    )


async def new_customer(mall: MallbotsClient, *, enabled: bool = True) -> str:
    customer_id = await mall.register_customer(f"Contract Customer {_tag()}", "+1 555 0100")
    if not enabled:
        await mall.disable_customer(customer_id)
    return customer_id


async def new_order(
    mall: MallbotsClient, customer_id: str | None = None, *, paying: str = "100.00", outcome: str = "approved"
) -> Values:
    """An order of two products at 10.00 (basket → checkout → the saga) that the saga ended in ``outcome``, with
    everything it was made of."""
    store_id = await new_store(mall, participating=True)
    product_id = await new_product(mall, store_id)
    customer_id = customer_id or await new_customer(mall)
    payment_id = await mall.authorize_payment(customer_id, paying)
    basket_id = await mall.start_basket(customer_id)
    await mall.add_item(basket_id, product_id, 2)
    await mall.checkout(basket_id, payment_id)
    order = await mall.wait_for_order(basket_id, {"approved", "rejected"})
    assert order["status"] == outcome, f"the contract's order did not end {outcome}: {order}"
    return {
        "storeId": store_id,
        "productId": product_id,
        "customerId": customer_id,
        "paymentId": payment_id,
        "orderId": order["id"],
        "shoppingListId": str(order["shoppingId"]),
    }


async def ready_order(mall: MallbotsClient) -> Values:
    """An order whose shopping is done: ready, its invoice pending."""
    values = await new_order(mall)
    await mall.assign_bot(values["shoppingListId"], f"bot-{_tag()}")
    await mall.complete_shopping_list(values["shoppingListId"])
    order = await mall.wait_for_order(values["orderId"], {"ready"})
    invoice_id = str(order["invoiceId"])

    async def invoice_shown() -> bool:
        try:
            return bool((await mall.get_invoice(invoice_id))["status"] == "pending")
        except ApiError as err:
            if err.status != 404:
                raise
            return False

    await _eventually(invoice_shown, f"the invoice {invoice_id} being shown")
    return values | {"invoiceId": invoice_id}


async def searchable(mall: MallbotsClient, order_id: str) -> None:
    async def found() -> bool:
        try:
            return bool((await mall.get_search_order(order_id))["status"] == "approved")
        except ApiError as err:
            if err.status != 404:
                raise
            return False

    await _eventually(found, f"the order {order_id} being searchable")


# ---- the states the pacts name -----------------------------------------------------------------------------


async def a_store(mall: MallbotsClient) -> Values:
    return {"storeId": await new_store(mall, participating=False)}


async def a_participating_store(mall: MallbotsClient) -> Values:
    return {"storeId": await new_store(mall, participating=True)}


async def a_store_with_a_product(mall: MallbotsClient) -> Values:
    store_id = await new_store(mall, participating=False)
    return {"storeId": store_id, "productId": await new_product(mall, store_id)}


async def a_participating_store_with_a_product(mall: MallbotsClient) -> Values:
    store_id = await new_store(mall, participating=True)
    return {"storeId": store_id, "productId": await new_product(mall, store_id)}


async def a_customer(mall: MallbotsClient) -> Values:
    return {"customerId": await new_customer(mall)}


async def a_disabled_customer(mall: MallbotsClient) -> Values:
    return {"customerId": await new_customer(mall, enabled=False)}


async def an_authorized_payment(mall: MallbotsClient) -> Values:
    customer_id = await new_customer(mall)
    return {"customerId": customer_id, "paymentId": await mall.authorize_payment(customer_id, "100.00")}


async def an_open_basket(mall: MallbotsClient) -> Values:
    """Empty, with a payment of its customer to check out with."""
    customer_id = await new_customer(mall)
    payment_id = await mall.authorize_payment(customer_id, "100.00")
    return {"customerId": customer_id, "paymentId": payment_id, "basketId": await mall.start_basket(customer_id)}


async def an_open_basket_with_items(mall: MallbotsClient) -> Values:
    """Two of one product (of a participating store), and a payment of its customer that covers them."""
    values = await an_open_basket(mall) | await a_participating_store_with_a_product(mall)
    await mall.add_item(values["basketId"], values["productId"], 2)
    return values


async def a_checked_out_basket(mall: MallbotsClient) -> Values:
    values = await an_open_basket_with_items(mall)
    await mall.checkout(values["basketId"], values["paymentId"])
    return values


async def a_product_of_a_store_that_does_not_participate(mall: MallbotsClient) -> Values:
    return await a_store_with_a_product(mall)


async def an_approved_order(mall: MallbotsClient) -> Values:
    return await new_order(mall)


async def a_rejected_order(mall: MallbotsClient) -> Values:
    """Rejected by the saga: its payment of 1.00 does not cover the total of 20.00."""
    return await new_order(mall, paying="1.00", outcome="rejected")


async def an_available_shopping_list(mall: MallbotsClient) -> Values:
    return await new_order(mall)


async def an_assigned_shopping_list(mall: MallbotsClient) -> Values:
    values = await new_order(mall)
    await mall.assign_bot(values["shoppingListId"], f"bot-{_tag()}")
    return values


async def a_ready_order_with_a_pending_invoice(mall: MallbotsClient) -> Values:
    return await ready_order(mall)


async def a_paid_invoice(mall: MallbotsClient) -> Values:
    values = await ready_order(mall)
    await mall.pay_invoice(values["invoiceId"])
    return values


async def a_customer_with_notifications(mall: MallbotsClient) -> Values:
    values = await new_order(mall)

    async def notified() -> bool:
        return bool(await mall.get_notifications(values["customerId"]))

    await _eventually(notified, f"the customer {values['customerId']} being notified")
    return values


async def a_searchable_order(mall: MallbotsClient) -> Values:
    values = await new_order(mall)
    await searchable(mall, values["orderId"])
    return values


async def a_customer_with_two_searchable_orders(mall: MallbotsClient) -> Values:
    """Two approved orders of one customer; ``next`` is the cursor to the second page of one."""
    first = await new_order(mall)
    second = await new_order(mall, first["customerId"])
    await searchable(mall, first["orderId"])
    await searchable(mall, second["orderId"])
    page = await mall.search_orders({"customerId": first["customerId"]}, limit=1)
    return {"customerId": first["customerId"], "next": str(page["next"])}


STATES: dict[str, Builder] = {
    "a store exists": a_store,
    "a participating store exists": a_participating_store,
    "a store with a product exists": a_store_with_a_product,
    "a participating store with a product exists": a_participating_store_with_a_product,
    "a product of a store that does not participate exists": a_product_of_a_store_that_does_not_participate,
    "a customer exists": a_customer,
    "a disabled customer exists": a_disabled_customer,
    "an authorized payment exists": an_authorized_payment,
    "an open basket exists": an_open_basket,
    "an open basket with items exists": an_open_basket_with_items,
    "a checked out basket exists": a_checked_out_basket,
    "an approved order exists": an_approved_order,
    "a rejected order exists": a_rejected_order,
    "an available shopping list exists": an_available_shopping_list,
    "an assigned shopping list exists": an_assigned_shopping_list,
    "a ready order with a pending invoice exists": a_ready_order_with_a_pending_invoice,
    "a paid invoice exists": a_paid_invoice,
    "a customer with notifications exists": a_customer_with_notifications,
    "a searchable order exists": a_searchable_order,
    "a customer with two searchable orders exists": a_customer_with_two_searchable_orders,
}


def states_of(pact: Path) -> list[str]:
    """Every provider state a pact file names, once per interaction that names it."""
    interactions: list[dict[str, Any]] = json.loads(pact.read_text())["interactions"]
    return [state["name"] for i in interactions for state in i.get("providerStates", [])]


class ProviderStates:
    """Builds provider states on the session's event loop (where the API and the workers run) for the verifier,
    which asks for them from its own thread."""

    def __init__(self, mall: MallbotsClient, loop: asyncio.AbstractEventLoop) -> None:
        self.mall = mall
        self.loop = loop
        self.ready: dict[str, list[Values]] = defaultdict(list)
        self.url = ""

    async def build(self, state: str) -> Values:
        if state not in STATES:
            raise KeyError(f"no provider state {state!r}: add it to {__name__}.STATES")
        return await STATES[state](self.mall)

    async def prebuild(self, pact: Path) -> None:
        """Build every state ``pact`` needs, concurrently, before the verifier asks for them one by one."""
        limit = asyncio.Semaphore(PREBUILD_CONCURRENCY)

        async def one(state: str) -> None:
            async with limit:
                values = await self.build(state)
            self.ready[state].append(values)

        await asyncio.gather(*(one(s) for s in states_of(pact) if s in STATES))

    async def setup(self, state: str) -> Values:
        if self.ready[state]:
            return self.ready[state].pop()
        return await self.build(state)

    def _change(self, request: dict[str, Any]) -> Values:
        """Called by the verifier (from the server's thread) before and after each interaction."""
        if request.get("action") != "setup" or not request.get("state"):
            return {}  # teardown: every state is made of fresh entities, nothing to undo
        return asyncio.run_coroutine_threadsafe(self.setup(str(request["state"])), self.loop).result(120)

    @contextmanager
    def serving(self) -> Iterator[ProviderStates]:
        states = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                try:
                    answer, status = states._change(request), 200
                except Exception as err:  # reported to the verifier, which fails the interaction with it
                    answer, status = {"error": f"{type(err).__name__}: {err}"}, 500
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the verifier's output says which state was set up

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, name="pact provider states", daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}/_pact/state"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
