"""A small demo mall, created through the public API like any client would."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from api.auth import Role
from mallbots.identity import LocalIssuer

DEMO_STORES = [
    (
        "Waldorf Books",
        "North wing, level 1",
        [
            ("The Go Programming Language", "BK-GO", "39.99"),
            ("Designing Data-Intensive Applications", "BK-DDIA", "45.50"),
        ],
    ),
    (
        "Gadget Galaxy",
        "East wing, level 2",
        [("USB-C Cable", "GG-USBC", "9.99"), ("Noise-cancelling Headphones", "GG-NCH", "199.00")],
    ),
    (
        "Green Grocer",
        "Food court",
        [("Apples (1 kg)", "GR-APL", "3.20"), ("Sourdough Loaf", "GR-SDL", "5.75")],
    ),
]
DEMO_CUSTOMERS = [("ada", "Ada Lovelace", "+44 20 7946 0001"), ("grace", "Grace Hopper", "+1 202 555 0101")]
DEMO_OWNER = "demo-store-owner"  # the subject of the token that owns the demo stores
DEMO_BOT = "bot-1"
DEMO_OPERATOR = "demo-operator"


@dataclass(frozen=True)
class Seeded:
    summary: str
    tokens: dict[str, str]  # who → a bearer token (empty when authentication is off)


async def seed_demo_mall(api_url: str, issuer: LocalIssuer | None) -> Seeded:
    """Idempotent: every POST carries an Idempotency-Key, so seeding twice creates nothing new. The stores are
    the demo store owner's; each customer registers itself with its own token (``issuer``: the stack's local
    token issuer; None = authentication off, and no tokens)."""

    def token(subject: str, role: Role) -> str:
        return issuer.mint(subject, [role]) if issuer is not None else ""

    tokens = {"operator": token(DEMO_OPERATOR, Role.OPERATOR), "store owner": token(DEMO_OWNER, Role.STORE_OWNER)}
    tokens |= {f"customer {name}": token(subject, Role.CUSTOMER) for subject, name, _ in DEMO_CUSTOMERS}
    tokens["bot"] = token(DEMO_BOT, Role.BOT)
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as http:
        owner = _bearer(tokens["store owner"])
        made = {"stores": 0, "products": 0, "customers": 0}  # what this run created (not replayed)
        for name, location, items in DEMO_STORES:
            response = await http.post(
                "/api/stores",
                json={"name": name, "location": location},
                headers={"Idempotency-Key": f"seed:{name}", **owner},
            )
            response.raise_for_status()
            made["stores"] += _created(response)
            store_id = response.json()["id"]
            current = (await http.get(f"/api/stores/{store_id}", headers=owner)).json()["store"]
            if not current["participating"]:
                (await http.put(f"/api/stores/{store_id}/participating", headers=owner)).raise_for_status()
            for product, sku, price in items:
                response = await http.post(
                    f"/api/stores/{store_id}/products",
                    json={"name": product, "description": "", "sku": sku, "price": float(price)},
                    headers={"Idempotency-Key": f"seed:{sku}", **owner},
                )
                response.raise_for_status()
                made["products"] += _created(response)
        for subject, customer, sms in DEMO_CUSTOMERS:
            response = await http.post(
                "/api/customers",
                json={"name": customer, "smsNumber": sms},
                headers={"Idempotency-Key": f"seed:customer:{subject}", **_bearer(tokens[f"customer {customer}"])},
            )
            response.raise_for_status()
            made["customers"] += _created(response)
    summary = ", ".join(f"{count} {what}" for what, count in made.items())
    if not any(made.values()):  # a restart: every request was answered as the first time
        summary = "nothing: the demo mall was already there"
    return Seeded(summary, {who: t for who, t in tokens.items() if t})


def _created(response: httpx.Response) -> int:
    """1 when this request made the entity, 0 when its Idempotency-Key replayed an earlier answer."""
    return 0 if response.headers.get("idempotent-replayed") == "true" else 1


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}
