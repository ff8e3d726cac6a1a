"""Authorization, deny by default: every route's rule, in this one table.

A rule names the roles that may call a route and, for those that are not operators, what of the route's
resource must be theirs. Operators may do everything. A route with no rule here is refused to everyone (and
``tests/unit/test_access_rules.py`` fails for it). Who the caller is comes from ``api.auth``.

Ownership, from the read models of the service that owns the resource:
- a customer token stands for the customer derived from its subject (``api.auth.customer_id_of``): its own
  customer record, and the baskets, payments, orders, invoices, search entries and notifications of it;
- a store owner's stores are those whose ``owner`` is its subject (set when it created them), and their
  products;
- a bot acts under its token's subject as bot ID, and completes only the lists assigned to it.
Someone else's resource answers 404, as one that does not exist: its existence is not revealed. A role
that may not call the route at all is a 403.

What a request *body* names (the customer a basket is started for, the bot that takes a list) is decided by
the routes with ``acting_customer`` / ``acting_bot`` below: a customer acts only for itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlmodel import col, select
from starlette.exceptions import HTTPException
from temporalio.client import WorkflowQueryFailedError
from temporalio.service import RPCError

from api.auth import CHALLENGE, Principal, Role, principal_of, roles_text, why_unauthenticated
from domain.shared.errors import NotFound
from domain.shared.text import require_id
from readmodels.baskets.tables import BasketRow
from readmodels.depot.tables import ShoppingListRow
from readmodels.ordering.tables import OrderRow
from readmodels.payments.tables import InvoiceRow, PaymentRow
from readmodels.search.tables import SearchOrderView
from readmodels.shared.db import SessionFactory
from readmodels.stores.tables import ProductRow, StoreRow
from workflows.ordering.messages import order_workflow_id
from workflows.ordering.order_workflow import OrderWorkflow

CUSTOMER, STORE_OWNER, BOT, OPERATOR = Role.CUSTOMER, Role.STORE_OWNER, Role.BOT, Role.OPERATOR

# Answers: is this principal's the resource named by the request? (Only asked of non-operators.)
Ownership = Callable[[Request, Principal], Awaitable[bool]]


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role] = frozenset()  # besides operators; empty with ``anyone`` = any authenticated caller
    owned: Ownership | None = None  # for non-operators: the resource must be theirs (else 404)
    what: str = ""  # the resource, for the 404 ("basket 3f2a…")
    public: bool = False  # no token needed (health, readiness, the OpenAPI, the codec endpoint's own token)
    anyone: bool = False  # any valid token, whatever its roles
    metrics: bool = False  # public unless MALLBOTS_METRICS_PUBLIC=false, then operators only


def allow(*roles: Role, owned: Ownership | None = None, what: str = "") -> Rule:
    return Rule(roles=frozenset(roles), owned=owned, what=what)


PUBLIC = Rule(public=True)
AUTHENTICATED = Rule(anyone=True)
OPERATORS = Rule()


# ---- ownership --------------------------------------------------------------------------------------------
def _sessions(request: Request, service: str) -> SessionFactory:
    sessions: SessionFactory = request.app.state.context.sessions(service)
    return sessions


def _param(request: Request, name: str, what: str) -> str:
    # Checked as the route would (a 400 before any query), so no odd byte reaches the database.
    return require_id(str(request.path_params.get(name, "")), what)


def _column_of(service: str, column: Any, key: Any, param: str, what: str, *, by_subject: bool = False) -> Ownership:
    """Owned when ``column`` of the row whose ``key`` is the path's ``param`` is the caller's customer (or, with
    ``by_subject``, the caller's subject)."""

    async def owned(request: Request, principal: Principal) -> bool:
        value = _param(request, param, what)
        async with _sessions(request, service)() as session:
            found = (await session.exec(select(column).where(key == value))).first()
        return found is not None and found == (principal.subject if by_subject else principal.customer_id)

    return owned


async def _own_customer(request: Request, principal: Principal) -> bool:
    return _param(request, "customer_id", "customer ID") == principal.customer_id


async def _own_notifications(request: Request, principal: Principal) -> bool:
    asked = request.query_params.get("customerId", "")
    return asked in ("", principal.customer_id)  # none given: the route answers its own (``acting_customer``)


async def _own_product(request: Request, principal: Principal) -> bool:
    value = _param(request, "product_id", "product ID")
    async with _sessions(request, "stores")() as session:
        query = (
            select(col(StoreRow.owner))
            .join(ProductRow, col(ProductRow.store_id) == col(StoreRow.id))
            .where(col(ProductRow.id) == value)
        )
        owner = (await session.exec(query)).first()
    return owner is not None and owner == principal.subject


_own_store = _column_of("stores", StoreRow.owner, StoreRow.id, "store_id", "store ID", by_subject=True)
_own_basket = _column_of("baskets", BasketRow.customer_id, BasketRow.id, "basket_id", "basket ID")


async def _own_order(request: Request, principal: Principal) -> bool:
    """From the ordering read model; for an order just checked out, whose row is not there yet (a client
    waiting for its next status: ``?waitFor=``), from its workflow."""
    order_id = _param(request, "order_id", "order ID")
    async with _sessions(request, "ordering")() as session:
        owner = (await session.exec(select(OrderRow.customer_id).where(OrderRow.id == order_id))).first()
    if owner is not None:
        return bool(owner == principal.customer_id)
    handle = request.app.state.context.client.get_workflow_handle(order_workflow_id(order_id))
    try:
        order = await handle.query(OrderWorkflow.get_order)
    except (RPCError, WorkflowQueryFailedError):  # no such workflow (or none that answers): not theirs
        return False
    return bool(order.customer_id == principal.customer_id)


_own_payment = _column_of("payments", PaymentRow.customer_id, PaymentRow.id, "payment_id", "payment ID")
_own_invoice = _column_of("payments", InvoiceRow.customer_id, InvoiceRow.id, "invoice_id", "invoice ID")
_own_search_order = _column_of("search", SearchOrderView.customer_id, SearchOrderView.id, "order_id", "order ID")
_assigned_list = _column_of(
    "depot", ShoppingListRow.bot_id, ShoppingListRow.id, "list_id", "shopping list ID", by_subject=True
)


# ---- the table ---------------------------------------------------------------------------------------------
RULES: dict[tuple[str, str], Rule] = {
    # health, the API's description, the codec endpoint (it checks its own token: api.codec)
    ("GET", "/liveness"): PUBLIC,
    ("GET", "/readiness"): PUBLIC,
    ("GET", "/metrics"): Rule(metrics=True),
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("POST", "/codec/decode"): PUBLIC,
    ("POST", "/codec/encode"): PUBLIC,
    ("POST", "/codec/{token}/decode"): PUBLIC,
    ("POST", "/codec/{token}/encode"): PUBLIC,
    # stores: the catalogue is read by anyone signed in; a store's owner runs it
    ("POST", "/api/stores"): allow(STORE_OWNER),
    ("GET", "/api/stores"): AUTHENTICATED,
    ("GET", "/api/stores/participating"): AUTHENTICATED,
    ("GET", "/api/stores/{store_id}"): AUTHENTICATED,
    ("GET", "/api/stores/{store_id}/products"): AUTHENTICATED,
    ("GET", "/api/stores/products/{product_id}"): AUTHENTICATED,
    ("PUT", "/api/stores/{store_id}/participating"): allow(STORE_OWNER, owned=_own_store, what="store"),
    ("DELETE", "/api/stores/{store_id}/participating"): allow(STORE_OWNER, owned=_own_store, what="store"),
    ("PUT", "/api/stores/{store_id}/rebrand"): allow(STORE_OWNER, owned=_own_store, what="store"),
    ("POST", "/api/stores/{store_id}/products"): allow(STORE_OWNER, owned=_own_store, what="store"),
    ("PUT", "/api/stores/products/{product_id}/rebrand"): allow(STORE_OWNER, owned=_own_product, what="product"),
    ("PUT", "/api/stores/products/{product_id}/increasePrice"): allow(STORE_OWNER, owned=_own_product, what="product"),
    ("PUT", "/api/stores/products/{product_id}/decreasePrice"): allow(STORE_OWNER, owned=_own_product, what="product"),
    ("DELETE", "/api/stores/products/{product_id}"): allow(STORE_OWNER, owned=_own_product, what="product"),
    # customers: a customer registers itself and sees only itself; enabling and disabling is for operators
    ("POST", "/api/customers"): allow(CUSTOMER),
    ("GET", "/api/customers/{customer_id}"): allow(CUSTOMER, owned=_own_customer, what="customer"),
    ("PUT", "/api/customers/{customer_id}/change-sms"): allow(CUSTOMER, owned=_own_customer, what="customer"),
    ("PUT", "/api/customers/{customer_id}/enable"): OPERATORS,
    ("PUT", "/api/customers/{customer_id}/disable"): OPERATORS,
    # baskets
    ("POST", "/api/baskets"): allow(CUSTOMER),
    ("GET", "/api/baskets/{basket_id}"): allow(CUSTOMER, owned=_own_basket, what="basket"),
    ("PUT", "/api/baskets/{basket_id}/addItem"): allow(CUSTOMER, owned=_own_basket, what="basket"),
    ("PUT", "/api/baskets/{basket_id}/removeItem"): allow(CUSTOMER, owned=_own_basket, what="basket"),
    ("PUT", "/api/baskets/{basket_id}/checkout"): allow(CUSTOMER, owned=_own_basket, what="basket"),
    ("DELETE", "/api/baskets/{basket_id}"): allow(CUSTOMER, owned=_own_basket, what="basket"),
    # ordering
    ("POST", "/api/ordering"): allow(CUSTOMER),
    ("GET", "/api/ordering/{order_id}"): allow(CUSTOMER, owned=_own_order, what="order"),
    ("DELETE", "/api/ordering/{order_id}"): allow(CUSTOMER, owned=_own_order, what="order"),
    # depot: bots take and complete lists; opening or cancelling one by hand is for operators
    ("GET", "/api/depot/shopping"): allow(BOT),
    ("GET", "/api/depot/shopping/{list_id}"): allow(BOT),
    ("PUT", "/api/depot/shopping/{list_id}/assign"): allow(BOT),
    ("PUT", "/api/depot/shopping/{list_id}/complete"): allow(BOT, owned=_assigned_list, what="shopping list"),
    ("POST", "/api/depot/shopping"): OPERATORS,
    ("POST", "/api/depot/shopping/{list_id}"): OPERATORS,
    # payments
    ("POST", "/api/payments"): allow(CUSTOMER),
    ("GET", "/api/payments/{payment_id}"): allow(CUSTOMER, owned=_own_payment, what="payment"),
    ("GET", "/api/payments/invoices/{invoice_id}"): allow(CUSTOMER, owned=_own_invoice, what="invoice"),
    ("PUT", "/api/payments/invoices/{invoice_id}/pay"): allow(CUSTOMER, owned=_own_invoice, what="invoice"),
    # notifications and search: a customer sees its own; operators search across customers
    ("GET", "/api/notifications"): allow(CUSTOMER, owned=_own_notifications, what="customer"),
    ("POST", "/api/search/orders"): allow(CUSTOMER),
    ("GET", "/api/search/orders/{order_id}"): allow(CUSTOMER, owned=_own_search_order, what="order"),
    # operators' tools: task-queue stats from the Temporal service
    ("GET", "/api/ops/stats"): OPERATORS,
}

_RESOURCE_PARAMS = (
    "store_id",
    "product_id",
    "customer_id",
    "basket_id",
    "order_id",
    "list_id",
    "payment_id",
    "invoice_id",
)


def rule_for(method: str, path: str) -> Rule | None:
    return RULES.get(("GET" if method == "HEAD" else method, path))


def _unauthenticated(request: Request) -> HTTPException:
    return HTTPException(401, why_unauthenticated(request), headers={"WWW-Authenticate": CHALLENGE})


def _missing(request: Request, what: str) -> NotFound:
    named = next((request.path_params[p] for p in _RESOURCE_PARAMS if p in request.path_params), "")
    named = named or request.query_params.get("customerId", "")  # GET /api/notifications?customerId=…
    return NotFound(f"the {what} {named} does not exist" if named else f"the {what} does not exist")


async def authorize(request: Request) -> None:
    """The route's rule applied to the caller (a dependency of every route of the app)."""
    route = request.scope.get("route")
    rule = rule_for(request.method, getattr(route, "path", ""))
    if rule is None:  # deny by default: a route nobody wrote a rule for serves no one
        raise HTTPException(403, "this route has no access rule; it serves no one")
    if rule.public or (rule.metrics and request.app.state.context.metrics_public):
        return
    principal = principal_of(request)
    if principal is None:
        raise _unauthenticated(request)
    if principal.is_operator or rule.anyone:
        return
    if not principal.roles & rule.roles:
        allowed = roles_text(rule.roles | {OPERATOR})
        raise HTTPException(
            403, f"this needs the role {allowed}; the token has {roles_text(principal.roles) or 'none'}"
        )
    if rule.owned is not None and not await rule.owned(request, principal):
        raise _missing(request, rule.what)


def caller(request: Request) -> Principal:
    """The authorized caller, for a route that acts on what it is (its rule has already let it in)."""
    principal = principal_of(request)
    if principal is None:
        raise _unauthenticated(request)
    return principal


Caller = Annotated[Principal, Depends(caller)]
AUTHORIZED = Depends(authorize)


def acting_customer(principal: Principal, named: str) -> str:
    """The customer a request acts for: a customer token acts only for itself (a field left out means itself;
    one given is checked as an ID first, so an empty ``customerId`` is a 400); an operator acts for whomever
    the request names."""
    if principal.is_operator:
        return named
    if named and named != principal.customer_id:
        raise HTTPException(403, "a customer acts only for itself; the body names another customer")
    return principal.customer_id


def acting_bot(principal: Principal, named: str | None) -> str:
    """The bot a request acts as: a bot token's subject (the body's bot ID, if any, must be that); an operator
    assigns whichever bot the body names."""
    if principal.is_operator:
        return named or ""
    if named and named != principal.subject:
        raise HTTPException(403, "a bot acts only as itself: its bot ID is its token's subject")
    return principal.subject
