"""A small typed client for the MallBots REST API (used by the seed, the load tools and the tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import TracebackType
from typing import Any, cast

import httpx

from api.auth import Role

Json = dict[str, Any]
FINAL_ORDER_STATUSES = {"completed", "rejected", "cancelled"}
# One long poll: well under the API's default request deadline (10 s), which a loaded machine's answer to the
# wait must also fit in (at 8 s, orders at concurrency 50 overran it).
WAIT_SECONDS = 5.0
# (role, subject) → a bearer token of the API's issuer: how the tools act as many users (``Stack.token``).
TokenMint = Callable[[Role, str], str]


class ApiError(Exception):
    """A 4xx/5xx answer, with the API's ``{"message": ...}``."""

    def __init__(self, status: int, message: str, method: str, path: str) -> None:
        super().__init__(f"{method} {path} → {status}: {message}")
        self.status = status
        self.message = message


class MallbotsClient:
    """``token``: the bearer token every request carries (``mallbots token``, ``Stack.token``); None = none
    (authentication off, or to see a 401)."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._http = http or httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self._owns_http = http is None
        self._auth = {"Authorization": f"Bearer {token}"} if token else {}

    def acting_as(self, token: str | None) -> MallbotsClient:
        """The same API, connection pool and all, under another token (another customer, the bot…); closing
        it closes nothing. None = this client itself (authentication off: there is no one to act as)."""
        if token is None:
            return self
        return MallbotsClient(str(self._http.base_url), token=token, http=self._http)

    async def __aenter__(self) -> MallbotsClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        key: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> Json:
        headers = {**self._auth, **({"Idempotency-Key": key} if key else {})}
        response = await self._http.request(method, path, json=body, headers=headers, params=params)
        if response.status_code >= 400:
            try:
                message = str(response.json().get("message", response.text))
            except ValueError:
                message = response.text
            raise ApiError(response.status_code, message, method, path)
        result: Json = response.json()
        return result

    async def _one(self, field: str, method: str, path: str, body: Mapping[str, Any] | None = None) -> Json:
        """The one entity a GET or command answers with (``{"store": {...}}`` → the store)."""
        return cast(Json, (await self.request(method, path, body))[field])

    async def _many(self, field: str, path: str, params: Mapping[str, str] | None = None) -> list[Json]:
        return cast(list[Json], (await self.request("GET", path, params=params))[field])

    # ---- stores -------------------------------------------------------------------------------
    async def create_store(self, name: str, location: str, *, key: str | None = None) -> str:
        return str((await self.request("POST", "/api/stores", {"name": name, "location": location}, key=key))["id"])

    async def get_store(self, store_id: str) -> Json:
        return await self._one("store", "GET", f"/api/stores/{store_id}")

    async def get_stores(self, participating: bool = False) -> list[Json]:
        path = "/api/stores/participating" if participating else "/api/stores"
        return await self._many("stores", path)

    async def enable_participation(self, store_id: str) -> Json:
        return await self._one("store", "PUT", f"/api/stores/{store_id}/participating")

    async def disable_participation(self, store_id: str) -> Json:
        return await self._one("store", "DELETE", f"/api/stores/{store_id}/participating")

    async def rebrand_store(self, store_id: str, name: str) -> Json:
        return await self._one("store", "PUT", f"/api/stores/{store_id}/rebrand", {"name": name})

    async def add_product(
        self,
        store_id: str,
        name: str,
        price: Decimal | float | str,
        *,
        sku: str = "",
        description: str = "",
        key: str | None = None,
    ) -> str:
        body = {"name": name, "description": description, "sku": sku, "price": float(price)}
        return str((await self.request("POST", f"/api/stores/{store_id}/products", body, key=key))["id"])

    async def get_product(self, product_id: str) -> Json:
        return await self._one("product", "GET", f"/api/stores/products/{product_id}")

    async def get_catalog(self, store_id: str) -> list[Json]:
        return await self._many("products", f"/api/stores/{store_id}/products")

    async def rebrand_product(self, product_id: str, name: str, description: str = "") -> Json:
        body = {"name": name, "description": description}
        return await self._one("product", "PUT", f"/api/stores/products/{product_id}/rebrand", body)

    async def change_price(self, product_id: str, price: Decimal | float | str, *, increase: bool) -> Json:
        path = f"/api/stores/products/{product_id}/{'increasePrice' if increase else 'decreasePrice'}"
        return await self._one("product", "PUT", path, {"price": float(price)})

    async def remove_product(self, product_id: str) -> Json:
        return await self._one("product", "DELETE", f"/api/stores/products/{product_id}")

    # ---- customers ----------------------------------------------------------------------------
    async def register_customer(self, name: str, sms_number: str, *, key: str | None = None) -> str:
        body = {"name": name, "smsNumber": sms_number}
        return str((await self.request("POST", "/api/customers", body, key=key))["id"])

    async def get_customer(self, customer_id: str) -> Json:
        return await self._one("customer", "GET", f"/api/customers/{customer_id}")

    async def change_sms(self, customer_id: str, sms_number: str) -> Json:
        body = {"smsNumber": sms_number}
        return await self._one("customer", "PUT", f"/api/customers/{customer_id}/change-sms", body)

    async def enable_customer(self, customer_id: str) -> Json:
        return await self._one("customer", "PUT", f"/api/customers/{customer_id}/enable")

    async def disable_customer(self, customer_id: str) -> Json:
        return await self._one("customer", "PUT", f"/api/customers/{customer_id}/disable")

    # ---- payments -----------------------------------------------------------------------------
    async def authorize_payment(
        self, customer_id: str, amount: Decimal | float | str, *, key: str | None = None
    ) -> str:
        body = {"customerId": customer_id, "amount": float(amount)}
        return str((await self.request("POST", "/api/payments", body, key=key))["id"])

    async def get_payment(self, payment_id: str) -> Json:
        return await self._one("payment", "GET", f"/api/payments/{payment_id}")

    async def get_invoice(self, invoice_id: str) -> Json:
        return await self._one("invoice", "GET", f"/api/payments/invoices/{invoice_id}")

    async def pay_invoice(self, invoice_id: str) -> Json:
        return await self._one("invoice", "PUT", f"/api/payments/invoices/{invoice_id}/pay")

    # ---- baskets ------------------------------------------------------------------------------
    async def start_basket(self, customer_id: str, *, key: str | None = None) -> str:
        return str((await self.request("POST", "/api/baskets", {"customerId": customer_id}, key=key))["id"])

    async def get_basket(self, basket_id: str) -> Json:
        return await self._one("basket", "GET", f"/api/baskets/{basket_id}")

    async def add_item(self, basket_id: str, product_id: str, quantity: int = 1) -> Json:
        body = {"productId": product_id, "quantity": quantity}
        return await self._one("basket", "PUT", f"/api/baskets/{basket_id}/addItem", body)

    async def remove_item(self, basket_id: str, product_id: str, quantity: int = 1) -> Json:
        body = {"productId": product_id, "quantity": quantity}
        return await self._one("basket", "PUT", f"/api/baskets/{basket_id}/removeItem", body)

    async def checkout(self, basket_id: str, payment_id: str) -> Json:
        body = {"paymentId": payment_id}
        return await self._one("basket", "PUT", f"/api/baskets/{basket_id}/checkout", body)

    async def cancel_basket(self, basket_id: str) -> Json:
        return await self._one("basket", "DELETE", f"/api/baskets/{basket_id}")

    # ---- ordering -----------------------------------------------------------------------------
    async def create_order(
        self, customer_id: str, payment_id: str, items: Mapping[str, int], *, key: str | None = None
    ) -> str:
        body = {
            "customerId": customer_id,
            "paymentId": payment_id,
            "items": [{"productId": p, "quantity": q} for p, q in items.items()],
        }
        return str((await self.request("POST", "/api/ordering", body, key=key))["id"])

    async def get_order(self, order_id: str) -> Json:
        return await self._one("order", "GET", f"/api/ordering/{order_id}")

    async def cancel_order(self, order_id: str) -> Json:
        return await self._one("order", "DELETE", f"/api/ordering/{order_id}")

    async def wait_for_order(
        self, order_id: str, statuses: set[str], *, within: float = 30.0, interval: float = 0.02
    ) -> Json:
        """The order once it is in one of ``statuses`` (the saga runs after checkout answers): a long poll
        (``?waitFor=``) that the order's workflow answers when it gets there, asked again until ``within``.
        An order that ends in another final status raises at once."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        wanted = ",".join(sorted(statuses))
        while True:
            remaining = deadline - loop.time()
            try:
                params = {"waitFor": wanted, "timeout": f"{max(min(remaining, WAIT_SECONDS), 0.1):.2f}"}
                order = cast(Json, (await self.request("GET", f"/api/ordering/{order_id}", params=params))["order"])
                if order["status"] in statuses:
                    return order
                if order["status"] in FINAL_ORDER_STATUSES:
                    raise RuntimeError(f"order {order_id} ended {order['status']}, not {' or '.join(sorted(statuses))}")
            except ApiError as err:
                if err.status not in (404, 503):  # not created yet; or the API asks to be asked again
                    raise
                await asyncio.sleep(interval)
            if loop.time() > deadline:
                raise TimeoutError(f"order {order_id} did not reach {sorted(statuses)} in {within}s")

    # ---- depot --------------------------------------------------------------------------------
    async def get_shopping_lists(self, status: str | None = None) -> list[Json]:
        params = {"status": status} if status else None
        return await self._many("shoppingLists", "/api/depot/shopping", params)

    async def get_shopping_list(self, list_id: str) -> Json:
        return await self._one("shoppingList", "GET", f"/api/depot/shopping/{list_id}")

    async def assign_bot(self, list_id: str, bot_id: str) -> Json:
        body = {"botId": bot_id}
        return await self._one("shoppingList", "PUT", f"/api/depot/shopping/{list_id}/assign", body)

    async def complete_shopping_list(self, list_id: str) -> Json:
        return await self._one("shoppingList", "PUT", f"/api/depot/shopping/{list_id}/complete")

    # ---- notifications and search -------------------------------------------------------------
    async def get_notifications(self, customer_id: str) -> list[Json]:
        params = {"customerId": customer_id}
        return await self._many("notifications", "/api/notifications", params)

    async def wait_for_notification(
        self, customer_id: str, order_id: str, event_name: str, *, within: float = 30.0, interval: float = 0.05
    ) -> list[Json]:
        """Poll until the customer has been told ``event_name`` about the order; answers every message sent
        (notifications follow the order in the background, so they land a moment after its command)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            sent = await self.get_notifications(customer_id)
            if any(s["orderId"] == order_id and s["eventName"] == event_name for s in sent):
                return sent
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{customer_id} was not told {event_name} about {order_id} in {within}s")
            await asyncio.sleep(interval)

    async def search_orders(
        self, filters: Mapping[str, Any] | None = None, *, next: str | None = None, limit: int | None = None
    ) -> Json:
        body: dict[str, Any] = {"filters": dict(filters or {})}
        if next is not None:
            body["next"] = next
        if limit is not None:
            body["limit"] = limit
        return await self.request("POST", "/api/search/orders", body)

    async def get_search_order(self, order_id: str) -> Json:
        return await self._one("order", "GET", f"/api/search/orders/{order_id}")
