"""``mallbots busywork``: the book's user simulator. Shoppers browse, buy or abandon; store admins add
stores and products and change prices; bots pick shopping lists; customers pay their invoices."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from api.auth import Role
from mallbots.tools.client import ApiError, MallbotsClient, TokenMint


@dataclass
class Tally:
    """What happened, by action; 4xx answers are expected under concurrency and counted apart."""

    done: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.done.values())

    @property
    def mostly_refused(self) -> bool:
        """More refused than done: not the concurrency's few 4xx, but a wrong URL, token or issuer."""
        return sum(self.refused.values()) > self.total


def api_root(url: str) -> str:
    """The API's root from what a user pastes: ``http://host:8080``, or the banner's ``…/api``, with or without
    a trailing slash (the client's paths start with ``/api/``)."""
    root = url.rstrip("/")
    return root[: -len("/api")] if root.endswith("/api") else root


class Simulator:
    """Each user acts under a token of its own role (``mint``): store admins as store owners of the stores
    they open, shoppers as the customers they register, bots as themselves. ``mint`` None: authentication is
    off, and everyone is ``mall``."""

    def __init__(self, mall: MallbotsClient, seed: int | None = None, mint: TokenMint | None = None) -> None:
        self.mall = mall
        self.random = random.Random(seed)
        self.tally = Tally()
        self.customers: list[tuple[str, MallbotsClient]] = []  # (customer ID, the client acting as it)
        self.buyers: dict[str, MallbotsClient] = {}  # order ID → its customer's client, to pay its invoice
        self._mint = mint

    def _as(self, role: Role, subject: str) -> MallbotsClient:
        return self.mall.acting_as(self._mint(role, subject) if self._mint is not None else None)

    async def _act(self, name: str, action: Callable[[], Awaitable[str | None]]) -> None:
        try:
            outcome = await action()
            self.tally.done[outcome or f"{name}: nothing to do"] += 1
        except ApiError as err:
            (self.tally.refused if err.status < 500 else self.tally.failed)[f"{name} ({err.status})"] += 1
        except Exception as err:  # a simulator reports every failure instead of stopping at the first
            self.tally.failed[f"{name} ({type(err).__name__})"] += 1

    # ---- roles ---------------------------------------------------------------------------------
    async def store_admin(self) -> str:
        tag = uuid.uuid4().hex[:6]
        owner = self._as(Role.STORE_OWNER, f"owner-{self.random.randint(1, 3)}")
        store_id = await owner.create_store(f"Store {tag}", self.random.choice(["North", "East", "Food court"]))
        await owner.enable_participation(store_id)
        for n in range(self.random.randint(2, 5)):
            price = f"{self.random.uniform(1, 60):.2f}"
            product_id = await owner.add_product(store_id, f"Product {tag}-{n}", price, sku=f"{tag}-{n}")
            if self.random.random() < 0.3:
                await owner.change_price(product_id, f"{float(price) + 1:.2f}", increase=True)
        return "store opened"

    async def shopper(self) -> str | None:
        if not self.customers or self.random.random() < 0.2:
            tag = uuid.uuid4().hex[:6]
            shopper = self._as(Role.CUSTOMER, f"shopper-{tag}")
            self.customers.append((await shopper.register_customer(f"Shopper {tag}", "+1 555 0142"), shopper))
        customer_id, shopper = self.random.choice(self.customers)
        stores = await shopper.get_stores(participating=True)
        if not stores:
            return None
        basket_id = await shopper.start_basket(customer_id)
        total = 0.0
        for _ in range(self.random.randint(1, 4)):
            catalog = await shopper.get_catalog(self.random.choice(stores)["id"])
            if catalog:
                product = self.random.choice(catalog)
                quantity = self.random.randint(1, 3)
                await shopper.add_item(basket_id, product["id"], quantity)
                total += product["price"] * quantity
        if total == 0 or self.random.random() < 0.25:  # abandons the basket
            await shopper.cancel_basket(basket_id)
            return "basket abandoned"
        payment_id = await shopper.authorize_payment(customer_id, f"{total + 10:.2f}")
        self.buyers[basket_id] = shopper  # the order's ID is its basket's
        await shopper.checkout(basket_id, payment_id)
        order = await shopper.wait_for_order(basket_id, {"approved", "rejected"}, within=60, interval=0.05)
        return f"order {order['status']}"

    async def bot(self) -> str | None:
        bot_id = f"bot-{self.random.randint(1, 9)}"
        bot = self._as(Role.BOT, bot_id)
        lists = await bot.get_shopping_lists("available")
        if not lists:
            return None
        chosen = self.random.choice(lists)
        await bot.assign_bot(chosen["id"], bot_id)
        await bot.complete_shopping_list(chosen["id"])
        # The order's customer pays (an order another client of this API placed: an operator does).
        buyer = self.buyers.pop(chosen["orderId"], None) or self._as(Role.OPERATOR, "busywork-operator")
        await buyer.wait_for_order(chosen["orderId"], {"ready"}, within=60, interval=0.05)
        await buyer.pay_invoice(chosen["orderId"])
        return "order picked and paid"

    # ---- the loop ------------------------------------------------------------------------------
    async def client(self, duration: float, on_progress: Callable[[], None]) -> None:
        deadline = time.monotonic() + duration
        roles = [("store admin", self.store_admin, 1), ("shopper", self.shopper, 6), ("bot", self.bot, 3)]
        await self._act("store admin", self.store_admin)  # something to shop in from the start
        while time.monotonic() < deadline:
            name, role, _ = self.random.choices(roles, weights=[w for *_, w in roles])[0]
            await self._act(name, role)
            on_progress()


async def run_busywork(
    api_url: str,
    clients: int,
    duration: float,
    on_progress: Callable[[Tally], None] | None = None,
    seed: int | None = None,
    mint: TokenMint | None = None,
) -> Tally:
    """``mint``: tokens of the API's issuer, one per simulated user (None: authentication is off)."""
    async with MallbotsClient(api_root(api_url), timeout=60) as mall:
        simulator = Simulator(mall, seed, mint)

        def progress() -> None:
            if on_progress is not None:
                on_progress(simulator.tally)

        await asyncio.gather(*(simulator.client(duration, progress) for _ in range(clients)))
        return simulator.tally
