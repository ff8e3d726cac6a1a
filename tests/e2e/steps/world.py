"""Per-scenario state: what the scenario created, under the names its steps use.

The stack is shared by the whole session, so every name a scenario shows to the mall gets the scenario's
tag appended ("Waldorf" becomes "Waldorf 3f2a9c"); the steps keep speaking of "Waldorf".
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from mallbots.tools.client import ApiError
from tests.e2e.steps.mall import Mall

T = TypeVar("T")

_TOKEN = re.compile(r"\{([^{}]+)\}")
_ORDINALS = ("first", "second", "third", "fourth", "fifth")


def money(value: object) -> Decimal:
    """A JSON number or a Gherkin amount as exact money (19.99 stays 19.99)."""
    return Decimal(str(value)).quantize(Decimal("0.01"))


@dataclass
class World:
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    stores: dict[str, str] = field(default_factory=dict)  # label → store ID
    products: dict[str, str] = field(default_factory=dict)  # label → product ID
    customers: dict[str, str] = field(default_factory=dict)  # label → customer ID
    customer_label: str = ""  # "the customer": the one registered last
    payments: list[str] = field(default_factory=list)  # "the payment": the one authorized last
    basket_id: str = ""
    order_id: str = ""  # "the order": the one placed last
    placed: list[str] = field(default_factory=list)  # every order placed, in order ("the first order")
    orders: dict[str, str] = field(default_factory=dict)  # label → order ID (search)
    idempotency_key: str = ""  # the key a retried request is sent with
    action: str = ""  # the request being retried
    created: str = ""  # the ID its answers agreed on
    error: ApiError | None = None  # the refusal of the last attempted command, until a step checks it
    answer: Any = None  # what the last command or query answered

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
