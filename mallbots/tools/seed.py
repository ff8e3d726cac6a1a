"""A small demo mall, created through the public API like any client would."""

from __future__ import annotations

import httpx

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
DEMO_CUSTOMERS = [("Ada Lovelace", "+44 20 7946 0001"), ("Grace Hopper", "+1 202 555 0101")]


async def seed_demo_mall(api_url: str) -> str:
    """Idempotent: every POST carries an Idempotency-Key, so seeding twice creates nothing new."""
    async with httpx.AsyncClient(base_url=api_url, timeout=30) as http:
        products = 0
        for name, location, items in DEMO_STORES:
            response = await http.post(
                "/api/stores",
                json={"name": name, "location": location},
                headers={"Idempotency-Key": f"seed:{name}"},
            )
            response.raise_for_status()
            store_id = response.json()["id"]
            current = (await http.get(f"/api/stores/{store_id}")).json()["store"]
            if not current["participating"]:
                (await http.put(f"/api/stores/{store_id}/participating")).raise_for_status()
            for product, sku, price in items:
                response = await http.post(
                    f"/api/stores/{store_id}/products",
                    json={"name": product, "description": "", "sku": sku, "price": float(price)},
                    headers={"Idempotency-Key": f"seed:{sku}"},
                )
                response.raise_for_status()
                products += 1
        for customer, sms in DEMO_CUSTOMERS:
            response = await http.post(
                "/api/customers",
                json={"name": customer, "smsNumber": sms},
                headers={"Idempotency-Key": f"seed:{customer}"},
            )
            response.raise_for_status()
    return f"{len(DEMO_STORES)} stores, {products} products, {len(DEMO_CUSTOMERS)} customers"
