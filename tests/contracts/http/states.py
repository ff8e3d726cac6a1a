"""The provider side of the HTTP contracts: provider states, built through the public API, whose generated IDs
are handed to the verifier as *provider-state injected values*.

pact-python's own state-handler server discards what a handler returns, so this module runs its own: the Pact core
POSTs ``{"state", "params", "action"}`` and uses the JSON object it gets back (e.g. ``{"storeId": "..."}``) to
fill the ``${storeId}`` expressions of the interaction's request. Every setup builds fresh, uniquely named
entities, so interactions do not depend on each other or on their order, and the session's other test layers
are not disturbed (nothing is torn down: nothing is shared).

Each entity is made by the user who would make it, under a token of the stack's issuer: a store by its store
owner, a customer by itself (so its ID is its token's), a basket, payment and order by their customer, a list's
shopping by a bot. Their tokens are values like the IDs (``storeOwnerToken``, ``customerToken``, ``botToken``,
and ``other…Token`` for a user who owns none of it): the interaction's ``Authorization`` header names the one
that makes the request (``pacts.Caller``). Every setup also answers an ``operatorToken``.

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
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from api.auth import Role, customer_id_of
from mallbots.tools.client import ApiError, MallbotsClient, TokenMint

Values = dict[str, str]
Builder = Callable[["Users"], Awaitable[Values]]
OPERATOR_SUBJECT = "contract-operator"

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


# ---- the mall's users ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    """Someone the states act as: a fresh subject, its token (handed to the verifier), and the API under it."""

    role: Role
    subject: str
    token: str
    api: MallbotsClient

    @property
    def customer_id(self) -> str:
        """The customer a customer token stands for (registered or not)."""
        return customer_id_of(self.subject)


@dataclass(frozen=True)
class Users:
    """Makes the users of the states, each with a subject of its own, so that what one state makes is owned by
    its users and no one else's."""

    mall: MallbotsClient  # carries no token: each user's client shares its connections
    mint: TokenMint

    def new(self, role: Role) -> User:
        subject = f"contract-{role.value.replace('_', '-')}-{_tag()}"
        token = self.mint(role, subject)
        return User(role, subject, token, self.mall.acting_as(token))

    @property
    def operator(self) -> User:
        return self.new(Role.OPERATOR)


# ---- building blocks ---------------------------------------------------------------------------------------


async def new_store(users: Users, *, participating: bool) -> tuple[User, str]:
    """A store and the store owner who opened it."""
    owner = users.new(Role.STORE_OWNER)
    store_id = await owner.api.create_store(f"Contract Store {_tag()}", "Level 1")
    if participating:
        await owner.api.enable_participation(store_id)
    return owner, store_id


async def new_product(owner: User, store_id: str) -> str:
    return await owner.api.add_product(
        store_id, f"Contract Widget {_tag()}", PRODUCT_PRICE, sku="W-1", description="A widget"
    )


async def new_customer(users: Users, *, enabled: bool = True) -> User:
    """A customer who registered itself (its ID is its token's); an operator disables it."""
    customer = users.new(Role.CUSTOMER)
    registered = await customer.api.register_customer(f"Contract Customer {_tag()}", "+1 555 0100")
    assert registered == customer.customer_id, f"a customer registered as {registered}, not as its token's"
    if not enabled:
        await users.operator.api.disable_customer(customer.customer_id)
    return customer


def store_values(owner: User, store_id: str) -> Values:
    return {"storeId": store_id, "storeOwnerToken": owner.token}


def customer_values(customer: User) -> Values:
    return {"customerId": customer.customer_id, "customerToken": customer.token}


def bot_values(bot: User) -> Values:
    return {"botId": bot.subject, "botToken": bot.token}  # a bot's ID is its token's subject


async def new_order(
    users: Users, customer: User | None = None, *, paying: str = "100.00", outcome: str = "approved"
) -> Values:
    """An order of two products at 10.00 (basket → checkout → the saga) that the saga ended in ``outcome``, with
    everything it was made of: each part by its user (the store by its owner, the rest by the customer)."""
    owner, store_id = await new_store(users, participating=True)
    product_id = await new_product(owner, store_id)
    customer = customer or await new_customer(users)
    shopper = customer.api
    payment_id = await shopper.authorize_payment(customer.customer_id, paying)
    basket_id = await shopper.start_basket(customer.customer_id)
    await shopper.add_item(basket_id, product_id, 2)
    await shopper.checkout(basket_id, payment_id)
    order = await shopper.wait_for_order(basket_id, {"approved", "rejected"})
    assert order["status"] == outcome, f"the contract's order did not end {outcome}: {order}"
    return {
        **store_values(owner, store_id),
        **customer_values(customer),
        "productId": product_id,
        "paymentId": payment_id,
        "orderId": order["id"],
        "shoppingListId": str(order["shoppingId"]),
    }


def customer_of(users: Users, values: Values) -> MallbotsClient:
    """The API as the customer of a state's ``values``."""
    return users.mall.acting_as(values["customerToken"])


async def ready_order(users: Users) -> Values:
    """An order whose shopping is done by a bot: ready, its invoice pending."""
    values = await new_order(users)
    bot = users.new(Role.BOT)
    await bot.api.assign_bot(values["shoppingListId"], bot.subject)
    await bot.api.complete_shopping_list(values["shoppingListId"])
    shopper = customer_of(users, values)
    order = await shopper.wait_for_order(values["orderId"], {"ready"})
    invoice_id = str(order["invoiceId"])

    async def invoice_shown() -> bool:
        try:
            return bool((await shopper.get_invoice(invoice_id))["status"] == "pending")
        except ApiError as err:
            if err.status != 404:
                raise
            return False

    await _eventually(invoice_shown, f"the invoice {invoice_id} being shown")
    return values | bot_values(bot) | {"invoiceId": invoice_id}


async def searchable(shopper: MallbotsClient, order_id: str) -> None:
    async def found() -> bool:
        try:
            return bool((await shopper.get_search_order(order_id))["status"] == "approved")
        except ApiError as err:
            if err.status != 404:
                raise
            return False

    await _eventually(found, f"the order {order_id} being searchable")


# ---- the states the pacts name -----------------------------------------------------------------------------


async def a_store(users: Users) -> Values:
    return store_values(*await new_store(users, participating=False))


async def a_participating_store(users: Users) -> Values:
    return store_values(*await new_store(users, participating=True))


async def a_store_with_a_product(users: Users) -> Values:
    owner, store_id = await new_store(users, participating=False)
    return store_values(owner, store_id) | {"productId": await new_product(owner, store_id)}


async def a_participating_store_with_a_product(users: Users) -> Values:
    owner, store_id = await new_store(users, participating=True)
    return store_values(owner, store_id) | {"productId": await new_product(owner, store_id)}


async def a_store_owner(users: Users) -> Values:
    """A store owner with no store yet."""
    return {"storeOwnerToken": users.new(Role.STORE_OWNER).token}


async def another_store_owner(users: Users) -> Values:
    """A store owner who owns none of what the interaction's other states made."""
    return {"otherStoreOwnerToken": users.new(Role.STORE_OWNER).token}


async def a_customer(users: Users) -> Values:
    return customer_values(await new_customer(users))


async def an_unregistered_customer(users: Users) -> Values:
    """Someone signed in as a customer who has not registered (yet): its customer ID is its token's."""
    return customer_values(users.new(Role.CUSTOMER))


async def another_customer(users: Users) -> Values:
    """A registered customer who owns none of what the interaction's other states made."""
    customer = await new_customer(users)
    return {"otherCustomerId": customer.customer_id, "otherCustomerToken": customer.token}


async def a_disabled_customer(users: Users) -> Values:
    return customer_values(await new_customer(users, enabled=False))


async def a_bot(users: Users) -> Values:
    return bot_values(users.new(Role.BOT))


async def another_bot(users: Users) -> Values:
    """A bot that holds none of the interaction's shopping lists."""
    bot = users.new(Role.BOT)
    return {"otherBotId": bot.subject, "otherBotToken": bot.token}


async def an_operator(users: Users) -> Values:
    return {}  # every state answers an operator's token (ProviderStates.setup)


async def an_authorized_payment(users: Users) -> Values:
    customer = await new_customer(users)
    return customer_values(customer) | {
        "paymentId": await customer.api.authorize_payment(customer.customer_id, "100.00")
    }


async def an_open_basket(users: Users) -> Values:
    """Empty, with a payment of its customer to check out with."""
    customer = await new_customer(users)
    payment_id = await customer.api.authorize_payment(customer.customer_id, "100.00")
    basket_id = await customer.api.start_basket(customer.customer_id)
    return customer_values(customer) | {"paymentId": payment_id, "basketId": basket_id}


async def an_open_basket_with_items(users: Users) -> Values:
    """Two of one product (of a participating store), and a payment of its customer that covers them."""
    values = await an_open_basket(users) | await a_participating_store_with_a_product(users)
    await customer_of(users, values).add_item(values["basketId"], values["productId"], 2)
    return values


async def a_checked_out_basket(users: Users) -> Values:
    values = await an_open_basket_with_items(users)
    await customer_of(users, values).checkout(values["basketId"], values["paymentId"])
    return values


async def a_product_of_a_store_that_does_not_participate(users: Users) -> Values:
    return await a_store_with_a_product(users)


async def an_approved_order(users: Users) -> Values:
    return await new_order(users)


async def a_rejected_order(users: Users) -> Values:
    """Rejected by the saga: its payment of 1.00 does not cover the total of 20.00."""
    return await new_order(users, paying="1.00", outcome="rejected")


async def an_available_shopping_list(users: Users) -> Values:
    """The list of an approved order, and a bot (that has not taken it)."""
    return await new_order(users) | bot_values(users.new(Role.BOT))


async def an_assigned_shopping_list(users: Users) -> Values:
    """The list of an approved order, and the bot that took it."""
    values = await new_order(users)
    bot = users.new(Role.BOT)
    await bot.api.assign_bot(values["shoppingListId"], bot.subject)
    return values | bot_values(bot)


async def a_ready_order_with_a_pending_invoice(users: Users) -> Values:
    return await ready_order(users)


async def a_paid_invoice(users: Users) -> Values:
    values = await ready_order(users)
    await customer_of(users, values).pay_invoice(values["invoiceId"])
    return values


async def a_customer_with_notifications(users: Users) -> Values:
    values = await new_order(users)
    shopper = customer_of(users, values)

    async def notified() -> bool:
        return bool(await shopper.get_notifications(values["customerId"]))

    await _eventually(notified, f"the customer {values['customerId']} being notified")
    return values


async def a_searchable_order(users: Users) -> Values:
    values = await new_order(users)
    await searchable(customer_of(users, values), values["orderId"])
    return values


async def a_customer_with_two_searchable_orders(users: Users) -> Values:
    """Two approved orders of one customer; ``next`` is the cursor to the second page of one."""
    customer = await new_customer(users)
    first = await new_order(users, customer)
    second = await new_order(users, customer)
    await searchable(customer.api, first["orderId"])
    await searchable(customer.api, second["orderId"])
    page = await customer.api.search_orders({"customerId": customer.customer_id}, limit=1)
    return customer_values(customer) | {"next": str(page["next"])}


STATES: dict[str, Builder] = {
    "a store owner exists": a_store_owner,
    "another store owner exists": another_store_owner,
    "a store exists": a_store,
    "a participating store exists": a_participating_store,
    "a store with a product exists": a_store_with_a_product,
    "a participating store with a product exists": a_participating_store_with_a_product,
    "a product of a store that does not participate exists": a_product_of_a_store_that_does_not_participate,
    "an unregistered customer exists": an_unregistered_customer,
    "a customer exists": a_customer,
    "another customer exists": another_customer,
    "a disabled customer exists": a_disabled_customer,
    "a bot exists": a_bot,
    "another bot exists": another_bot,
    "an operator exists": an_operator,
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

    def __init__(self, mall: MallbotsClient, loop: asyncio.AbstractEventLoop, mint: TokenMint) -> None:
        self.users = Users(mall, mint)
        self.mint = mint
        self.loop = loop
        self.ready: dict[str, list[Values]] = defaultdict(list)
        self.url = ""

    async def build(self, state: str) -> Values:
        if state not in STATES:
            raise KeyError(f"no provider state {state!r}: add it to {__name__}.STATES")
        return await STATES[state](self.users)

    async def prebuild(self, pact: Path) -> None:
        """Build every state ``pact`` needs, concurrently, before the verifier asks for them one by one."""
        limit = asyncio.Semaphore(PREBUILD_CONCURRENCY)

        async def one(state: str) -> None:
            async with limit:
                values = await self.build(state)
            self.ready[state].append(values)

        await asyncio.gather(*(one(s) for s in states_of(pact) if s in STATES))

    async def setup(self, state: str) -> Values:
        values = self.ready[state].pop() if self.ready[state] else await self.build(state)
        return values | {"operatorToken": self.mint(Role.OPERATOR, OPERATOR_SUBJECT)}

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
