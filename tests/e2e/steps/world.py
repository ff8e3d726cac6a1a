"""Per-scenario state: what the scenario created, under the names its steps use, and who its users are.

The stack is shared by the whole session, so every name a scenario shows to the mall gets the scenario's
tag appended ("Waldorf" becomes "Waldorf 3f2a9c"); the steps keep speaking of "Waldorf".

Every user of a scenario acts under a token of its own (its subject carries the tag too), through a client of
its own: the store owners run the stores they opened, a customer registers itself (its customer ID is its
token's, ``api.auth.customer_id_of``) and shops for itself, a bot takes lists as itself (its bot ID is its
token's subject), and only what only operators may do is done as an operator.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from api.auth import Role, customer_id_of
from mallbots.tools.client import ApiError, MallbotsClient
from tests.e2e.steps.mall import Mall

T = TypeVar("T")

_TOKEN = re.compile(r"\{([^{}]+)\}")
_ORDINALS = ("first", "second", "third", "fourth", "fifth")
_NOT_IN_A_SUBJECT = re.compile(r"[^a-z0-9]+")

STORE_OWNER = "the store owner"  # who runs the stores a scenario opens, unless it names another
DEPOT_BOT = "bot-1"  # the bot that picks an order's list when the scenario does not say which


def money(value: object) -> Decimal:
    """A JSON number or a Gherkin amount as exact money (19.99 stays 19.99)."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


@dataclass
class World:
    mall: Mall
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    stores: dict[str, str] = field(default_factory=dict)  # label → store ID
    store_owners: dict[str, str] = field(default_factory=dict)  # store label → the label of its owner
    products: dict[str, str] = field(default_factory=dict)  # label → product ID
    product_stores: dict[str, str] = field(default_factory=dict)  # product label → its store's label
    customers: dict[str, str] = field(default_factory=dict)  # label → customer ID
    customer_label: str = ""  # "the customer": the one registered last
    payments: list[str] = field(default_factory=list)  # "the payment": the one authorized last
    buyers: dict[str, str] = field(default_factory=dict)  # payment, basket or order ID → its customer's label
    list_bot: str = ""  # the bot that took the shopping list last
    basket_id: str = ""
    order_id: str = ""  # "the order": the one placed last
    placed: list[str] = field(default_factory=list)  # every order placed, in order ("the first order")
    orders: dict[str, str] = field(default_factory=dict)  # label → order ID (search)
    idempotency_key: str = ""  # the key a retried request is sent with
    action: str = ""  # the request being retried
    created: str = ""  # the ID its answers agreed on
    error: ApiError | None = None  # the refusal of the last attempted command, until a step checks it
    answer: Any = None  # what the last command or query answered
    _clients: dict[tuple[Role, str], MallbotsClient] = field(default_factory=dict)

    def unique(self, label: str) -> str:
        """The name the mall sees; a blank label stays blank (the API must refuse it as it is)."""
        return f"{label} {self.tag}" if label.strip() else label

    def attempt(self, mall: Mall, coro: Coroutine[Any, Any, T]) -> T | None:
        """Send a command that the scenario may expect to be refused; the refusal is kept for the next step
        (an unexpected one fails the scenario at the next step that is not a refusal check)."""
        self.error = None
        try:
            self.answer = mall.run(coro)
        except ApiError as err:
            self.error = err
            self.answer = None
        return self.answer  # type: ignore[no-any-return]

    # ---- the users --------------------------------------------------------------------------------------------
    def subject(self, role: Role, label: str) -> str:
        """The token subject of the user the scenario calls ``label`` ("Alice", "bot-7", "the store owner")."""
        return f"e2e-{role.value}-{_NOT_IN_A_SUBJECT.sub('-', label.lower()).strip('-') or 'blank'}-{self.tag}"

    def acting(self, role: Role, label: str) -> MallbotsClient:
        """The API as that user (one token and client per user of the scenario)."""
        if (role, label) not in self._clients:
            self._clients[role, label] = self.mall.acting_as(role, self.subject(role, label))
        return self._clients[role, label]

    @property
    def operator(self) -> MallbotsClient:
        return self.acting(Role.OPERATOR, "operator")

    @property
    def anonymous(self) -> MallbotsClient:
        """The API with no token at all."""
        return self.mall.api

    def store_owner(self, label: str = STORE_OWNER) -> MallbotsClient:
        return self.acting(Role.STORE_OWNER, label)

    def owner_of(self, store: str) -> MallbotsClient:
        """The owner of the store the scenario calls ``store`` (a store it never opened: the store owner)."""
        return self.store_owner(self.store_owners.get(store, STORE_OWNER))

    def owner_of_product(self, product: str) -> MallbotsClient:
        return self.owner_of(self.product_stores.get(product, ""))

    def customer_named(self, label: str) -> MallbotsClient:
        return self.acting(Role.CUSTOMER, label)

    def customer_id_of(self, label: str) -> str:
        """The customer ID of the customer token of ``label``, registered or not."""
        return customer_id_of(self.subject(Role.CUSTOMER, label))

    @property
    def customer(self) -> MallbotsClient:
        """The API as "the customer"."""
        assert self.customer_label, "no customer in this scenario yet"
        return self.customer_named(self.customer_label)

    def customer_of(self, entity_id: str) -> MallbotsClient:
        """The API as the customer of a payment, basket or order (one the scenario did not make: the customer)."""
        label = self.buyers.get(entity_id)
        return self.customer_named(label) if label is not None else self.customer

    def bought(self, entity_id: str) -> str:
        """Remember that "the customer" made ``entity_id`` (a payment, basket or order)."""
        self.buyers[entity_id] = self.customer_label
        return entity_id

    def bot(self, label: str) -> MallbotsClient:
        return self.acting(Role.BOT, label)

    def bot_id(self, label: str) -> str:
        """A bot's ID is its token's subject."""
        return self.subject(Role.BOT, label)

    @property
    def depot(self) -> MallbotsClient:
        """A bot looking at the lists (any bot may)."""
        return self.bot(self.list_bot or DEPOT_BOT)

    # ---- "the customer", "the payment", "the order" -----------------------------------------------------------
    @property
    def customer_id(self) -> str:
        assert self.customer_label, "no customer in this scenario yet"
        return self.customers[self.customer_label]

    @property
    def payment_id(self) -> str:
        assert self.payments, "no payment in this scenario yet"
        return self.payments[-1]

    def store_id(self, label: str) -> str:
        return self.stores[label]

    def product_id(self, label: str) -> str:
        return self.products[label]

    # ---- expected texts -----------------------------------------------------------------------------------
    def expand(self, text: str) -> str:
        """Replace ``{Waldorf}`` by the store's real name, ``{Widget.id}`` by the product's ID, and
        ``{customer.id}``, ``{order.id}``, ``{order.ref}``, ``{basket.id}``, ``{payment.id}``, ``{list.id}``,
        ``{first order.id}`` likewise."""
        return _TOKEN.sub(lambda m: self._resolve(m.group(1)), text)

    def _resolve(self, token: str) -> str:
        special = {
            "customer.id": lambda: self.customer_id,
            "order.id": lambda: self.order_id,
            "order.ref": lambda: self.order_id[:8],
            "basket.id": lambda: self.basket_id,
            "list.id": lambda: self.order_id,  # a shopping list's ID is its order's
            "payment.id": lambda: self.payment_id,
        }
        if token in special:
            return special[token]()
        ordinal, _, rest = token.partition(" order.")
        if rest == "id" and ordinal in _ORDINALS:
            return self.placed[_ORDINALS.index(ordinal)]
        label, _, attribute = token.partition(".")
        for ids in (self.stores, self.products, self.customers):
            if label in ids:
                if attribute == "id":
                    return ids[label]
                if not attribute:
                    return self.unique(label)
        raise KeyError(f"the scenario knows nothing called {token!r}")
