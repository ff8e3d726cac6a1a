"""The world the access matrix runs in: who calls (a token per actor) and what each owns, built once through
the REST API of the running stack, and fresh resources for the cases that change state."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import httpx

from api.auth import Role, customer_id_of
from mallbots.stack import Stack
from mallbots.tools.client import ApiError, Json, MallbotsClient
from readmodels.baskets.tables import BasketProductCache, BasketStoreCache
from readmodels.depot.tables import DepotProductCache
from tests.integration.conftest import row_when

T = TypeVar("T")

# Who calls, by name; the matrix's roles are the first five (``anonymous`` sends no token).
ANONYMOUS, CUSTOMER, STORE_OWNER, BOT, OPERATOR = "anonymous", "customer", "store_owner", "bot", "operator"
ROLES = (ANONYMOUS, CUSTOMER, STORE_OWNER, BOT, OPERATOR)
# The same role, but not the owner of the world's resources.
OTHER_CUSTOMER, OTHER_STORE_OWNER, OTHER_BOT = "customer-2", "store_owner-2", "bot-2"
NO_ROLE = "no-role"  # a valid token with no role this API knows
PRICE = "10.00"
SMS = "+1 555 0100"


async def eventually(attempt: Callable[[], Awaitable[T | None]], what: str, within: float = 30) -> T:
    """``attempt``'s first answer that is not None (404s count as "not yet"): read models follow in the
    background. Bounded: what never comes fails the build, saying what."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        try:
            found = await attempt()
            if found is not None:
                return found
        except ApiError as err:
            if err.status != 404:
                raise
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"{what} did not happen in {within}s")
        await asyncio.sleep(0.05)


@dataclass
class Call:
    """One request of the matrix: ``resource`` is the ID a not-the-owner 404 names."""

    method: str
    path: str
    body: Mapping[str, Any] | None = None
    params: Mapping[str, str] | None = None
    resource: str = ""


@dataclass
class World:
    stack: Stack
    http: httpx.AsyncClient
    tag: str
    subjects: dict[str, str]
    tokens: dict[str, str | None]
    # what is owned (filled by ``build_world``)
    store_a: str = ""  # A's, participating, with ``product_a``
    product_a: str = ""
    open_store: str = ""  # A's, participating, no orders: refused commands aim here
    idle_store: str = ""  # A's, not participating
    spare_product: str = ""  # A's, in ``open_store``
    store_b: str = ""
    c1: str = ""
    c2: str = ""
    payment_1: str = ""  # authorized, unused
    payment_2: str = ""
    basket_1: str = ""  # open, one item
    basket_2: str = ""
    order_1: str = ""  # approved, its list available
    order_2: str = ""
    assigned_1: str = ""  # C1's approved order whose list bot-1 took
    ready_1: str = ""  # C1's order, ready: its invoice is pending
    hand_list: str = ""  # a shopping list an operator opened by hand
    calls: dict[tuple[tuple[str, str], str], Call] = field(default_factory=dict)

    def client(self, actor: str) -> MallbotsClient:
        return MallbotsClient(self.stack.api_url, token=self.tokens[actor], http=self.http)

    @property
    def operator(self) -> MallbotsClient:
        return self.client(OPERATOR)

    async def send(self, actor: str, call: Call, *, key: str | None = None) -> httpx.Response:
        token = self.tokens[actor]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if key is not None:
            headers["Idempotency-Key"] = key
        return await self.http.request(call.method, call.path, json=call.body, params=call.params, headers=headers)

    # ---- fresh resources, for the cases that change state ----------------------------------------------
    async def fresh_store(self, *, participating: bool) -> str:
        owner = self.client(STORE_OWNER)
        store_id = await owner.create_store(f"Fresh {uuid.uuid4().hex[:6]}", "Level 2")
        if participating:
            await owner.enable_participation(store_id)
        return store_id

    async def fresh_product(self) -> str:
        return await self.client(STORE_OWNER).add_product(self.open_store, f"Spare {uuid.uuid4().hex[:6]}", PRICE)

    async def fresh_customer(self, *, disabled: bool = False) -> str:
        customer_id = await self.operator.register_customer(f"Fresh {uuid.uuid4().hex[:6]}", SMS)
        if disabled:
            await self.operator.disable_customer(customer_id)
        return customer_id

    async def fresh_payment(self, actor: str = CUSTOMER, amount: str = "100.00") -> str:
        customer = self.c1 if actor == CUSTOMER else self.c2
        return await self.client(actor).authorize_payment(customer, amount)

    async def fresh_basket(self, actor: str = CUSTOMER, *, items: int = 1) -> str:
        shopper = self.client(actor)
        basket_id = await shopper.start_basket(self.c1 if actor == CUSTOMER else self.c2)
        if items:
            await shopper.add_item(basket_id, self.product_a, items)
        return basket_id

    async def fresh_order(self, actor: str = CUSTOMER) -> str:
        """An order checked out from a basket and approved: its shopping list is available."""
        payment_id, basket_id = await asyncio.gather(self.fresh_payment(actor), self.fresh_basket(actor))
        shopper = self.client(actor)
        await shopper.checkout(basket_id, payment_id)
        await shopper.wait_for_order(basket_id, {"approved"})
        await eventually(lambda: self._list_status(basket_id, "available"), f"the list of {basket_id} available")
        return basket_id

    async def fresh_assigned(self) -> str:
        order_id = await self.fresh_order()
        await self.client(BOT).assign_bot(order_id, self.subjects[BOT])
        return order_id

    async def fresh_ready(self) -> str:
        """C1's order taken to ready by bot-1: its invoice (same ID) is pending."""
        order_id = await self.fresh_assigned()
        await self.client(BOT).complete_shopping_list(order_id)
        await self.client(CUSTOMER).wait_for_order(order_id, {"ready"})
        await eventually(lambda: self._invoice(order_id), f"the invoice of {order_id}")
        return order_id

    async def fresh_hand_list(self) -> str:
        body = {"orderId": str(uuid.uuid4()), "items": [self.wanted_item()]}
        return str((await self.operator.request("POST", "/api/depot/shopping", body))["id"])

    def wanted_item(self) -> dict[str, Any]:
        return {"productId": self.product_a, "storeId": self.store_a, "quantity": 1}

    async def _list_status(self, list_id: str, status: str) -> Json | None:
        found = await self.operator.get_shopping_list(list_id)
        return found if found["status"] == status else None

    async def _invoice(self, invoice_id: str) -> Json | None:
        return await self.operator.get_invoice(invoice_id)


def _tokens(stack: Stack, tag: str) -> tuple[dict[str, str], dict[str, str | None]]:
    subjects = {
        CUSTOMER: f"c1-{tag}",
        OTHER_CUSTOMER: f"c2-{tag}",
        STORE_OWNER: "owner-a",
        OTHER_STORE_OWNER: "owner-b",
        BOT: "bot-1",
        OTHER_BOT: "bot-2",
        OPERATOR: "operator-1",
    }
    roles = {
        CUSTOMER: Role.CUSTOMER,
        OTHER_CUSTOMER: Role.CUSTOMER,
        STORE_OWNER: Role.STORE_OWNER,
        OTHER_STORE_OWNER: Role.STORE_OWNER,
        BOT: Role.BOT,
        OTHER_BOT: Role.BOT,
        OPERATOR: Role.OPERATOR,
    }
    tokens: dict[str, str | None] = {actor: stack.token(roles[actor], subject) for actor, subject in subjects.items()}
    tokens[ANONYMOUS] = None
    assert stack.issuer is not None
    tokens[NO_ROLE] = stack.issuer.mint(f"nobody-{tag}", [])
    return subjects, tokens


async def build_world(stack: Stack, http: httpx.AsyncClient) -> World:
    """Store owners A and B, customers C1 and C2 (each registered with its own token, with an authorized
    payment, an open basket and an approved order), C1's order taken to ready, bot-1's list, a hand-made list."""
    tag = uuid.uuid4().hex[:6]
    subjects, tokens = _tokens(stack, tag)
    w = World(stack=stack, http=http, tag=tag, subjects=subjects, tokens=tokens)
    owner_a, owner_b = w.client(STORE_OWNER), w.client(OTHER_STORE_OWNER)

    async def store_a() -> None:
        w.store_a = await owner_a.create_store(f"A {tag}", "Level 1")
        await owner_a.enable_participation(w.store_a)
        w.product_a = await owner_a.add_product(w.store_a, f"Widget {tag}", PRICE, sku=f"W-{tag}")

    async def register(actor: str) -> str:
        customer_id = await w.client(actor).register_customer(f"Customer {actor} {tag}", SMS)
        assert customer_id == customer_id_of(subjects[actor])
        return customer_id

    async def other_stores() -> None:
        w.open_store = await w.fresh_store(participating=True)
        w.idle_store, w.spare_product, w.store_b = await asyncio.gather(
            w.fresh_store(participating=False), w.fresh_product(), owner_b.create_store(f"B {tag}", "Level 3")
        )

    _, _, w.c1, w.c2 = await asyncio.gather(store_a(), other_stores(), register(CUSTOMER), register(OTHER_CUSTOMER))
    # Baskets price items from their own copy of the catalogue; lists are made from the depot's.
    databases = stack.databases
    assert databases is not None
    await row_when(databases.sessions("baskets"), BasketStoreCache, w.store_a, lambda row: row.participating)
    await row_when(databases.sessions("baskets"), BasketProductCache, w.product_a)
    await row_when(databases.sessions("depot"), DepotProductCache, w.product_a)

    (
        w.payment_1,
        w.payment_2,
        w.basket_1,
        w.basket_2,
        w.order_1,
        w.order_2,
        w.assigned_1,
        w.ready_1,
        w.hand_list,
    ) = await asyncio.gather(
        w.fresh_payment(CUSTOMER),
        w.fresh_payment(OTHER_CUSTOMER),
        w.fresh_basket(CUSTOMER),
        w.fresh_basket(OTHER_CUSTOMER),
        w.fresh_order(CUSTOMER),
        w.fresh_order(OTHER_CUSTOMER),
        w.fresh_assigned(),
        w.fresh_ready(),
        w.fresh_hand_list(),
    )
    # Search and notifications follow the orders in the background.
    for order_id in (w.order_1, w.order_2, w.ready_1):
        await eventually(partial(w.operator.get_search_order, order_id), f"order {order_id} in search")
    await w.client(CUSTOMER).wait_for_notification(w.c1, w.order_1, "ordering.OrderCreated")
    await w.client(OTHER_CUSTOMER).wait_for_notification(w.c2, w.order_2, "ordering.OrderCreated")
    return w
