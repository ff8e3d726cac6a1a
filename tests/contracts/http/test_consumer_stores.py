"""The client's contract with the stores API: stores, participation, products and their prices."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pact import match

from .pacts import Case, ConsumerContract, case_id, consumer_contract, error, exactly, injected, path

STORE = "3c1e2a4b-0d5f-4e6a-8b7c-9d0e1f2a3b4c"
PRODUCT = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
NO_STORE = "no-such-store"
NO_PRODUCT = "no-such-product"
IDEMPOTENCY_KEY = "mallbots-client-contract-store-key"

UNKNOWN_STORE = error(f"the store {NO_STORE} does not exist", r"^the store .+ does not exist$")
UNKNOWN_PRODUCT = error(f"the product {NO_PRODUCT} does not exist", r"^the product .+ does not exist$")


def store(participating: object = None, name: object = None) -> dict[str, object]:
    return {
        "id": match.str(STORE),
        "name": name if name is not None else match.str("Contract Store"),
        "location": match.str("Level 1"),
        "participating": participating if participating is not None else match.bool(False),
    }


def product(name: object = None, description: object = None, price: object = None) -> dict[str, object]:
    """A product of the state "a store with a product exists" (priced 10.00 there)."""
    return {
        "id": match.str(PRODUCT),
        "storeId": injected("storeId", STORE),
        "name": name if name is not None else match.str("Contract Widget"),
        "description": description if description is not None else match.str("A widget"),
        "sku": match.str("W-1"),
        "price": price if price is not None else match.number(10.0),
    }


STORE_PATH = {"storeId": STORE}
PRODUCT_PATH = {"productId": PRODUCT}

CASES = [
    # ---- stores ----
    Case(
        "a request to create a store",
        "POST",
        "/api/stores",
        lambda c: c.create_store("Contract Store", "Level 1"),
        body={"name": "Contract Store", "location": "Level 1"},
        response={"id": match.str(STORE)},
        returns=lambda body: body["id"],
    ),
    Case(
        "a request to create a store with an idempotency key",
        "POST",
        "/api/stores",
        lambda c: c.create_store("Contract Store", "Level 1", key=IDEMPOTENCY_KEY),
        headers={"Idempotency-Key": IDEMPOTENCY_KEY},
        body={"name": "Contract Store", "location": "Level 1"},
        response={"id": match.str(STORE)},
        returns=lambda body: body["id"],
    ),
    Case(
        "a request to create a store with a blank name",
        "POST",
        "/api/stores",
        lambda c: c.create_store("", "Level 1"),
        status=400,
        body={"name": "", "location": "Level 1"},
        response=error("the store name cannot be blank"),
    ),
    Case(
        "a request to list the stores",
        "GET",
        "/api/stores",
        lambda c: c.get_stores(),
        states=["a store exists"],
        response={"stores": match.each_like(store())},
        returns=lambda body: body["stores"],
    ),
    Case(
        "a request to list the participating stores",
        "GET",
        "/api/stores/participating",
        lambda c: c.get_stores(participating=True),
        states=["a participating store exists"],
        response={"stores": match.each_like(store(participating=exactly(True)))},
        returns=lambda body: body["stores"],
    ),
    Case(
        "a request to get a store",
        "GET",
        path("/api/stores/{storeId}", **STORE_PATH),
        lambda c: c.get_store(STORE),
        states=["a store exists"],
        response={"store": store()},
        returns=lambda body: body["store"],
    ),
    Case(
        "a request to get an unknown store",
        "GET",
        f"/api/stores/{NO_STORE}",
        lambda c: c.get_store(NO_STORE),
        status=404,
        response=UNKNOWN_STORE,
    ),
    Case(
        "a request to enable a store's participation",
        "PUT",
        path("/api/stores/{storeId}/participating", **STORE_PATH),
        lambda c: c.enable_participation(STORE),
        states=["a store exists"],
        response={"store": store(participating=True)},
        returns=lambda body: body["store"],
    ),
    Case(
        "a request to enable the participation of a participating store",
        "PUT",
        path("/api/stores/{storeId}/participating", **STORE_PATH),
        lambda c: c.enable_participation(STORE),
        status=409,
        states=["a participating store exists"],
        response=error("the store is already participating"),
    ),
    Case(
        "a request to enable the participation of an unknown store",
        "PUT",
        f"/api/stores/{NO_STORE}/participating",
        lambda c: c.enable_participation(NO_STORE),
        status=404,
        response=UNKNOWN_STORE,
    ),
    Case(
        "a request to disable a store's participation",
        "DELETE",
        path("/api/stores/{storeId}/participating", **STORE_PATH),
        lambda c: c.disable_participation(STORE),
        states=["a participating store exists"],
        response={"store": store(participating=False)},
        returns=lambda body: body["store"],
    ),
    Case(
        "a request to disable the participation of a store that does not participate",
        "DELETE",
        path("/api/stores/{storeId}/participating", **STORE_PATH),
        lambda c: c.disable_participation(STORE),
        status=409,
        states=["a store exists"],
        response=error("the store is not participating"),
    ),
    Case(
        "a request to disable the participation of an unknown store",
        "DELETE",
        f"/api/stores/{NO_STORE}/participating",
        lambda c: c.disable_participation(NO_STORE),
        status=404,
        response=UNKNOWN_STORE,
    ),
    Case(
        "a request to rebrand a store",
        "PUT",
        path("/api/stores/{storeId}/rebrand", **STORE_PATH),
        lambda c: c.rebrand_store(STORE, "Rebranded Store"),
        states=["a store exists"],
        body={"name": "Rebranded Store"},
        response={"store": store(name="Rebranded Store")},
        returns=lambda body: body["store"],
    ),
    Case(
        "a request to rebrand a store with a blank name",
        "PUT",
        path("/api/stores/{storeId}/rebrand", **STORE_PATH),
        lambda c: c.rebrand_store(STORE, ""),
        status=400,
        states=["a store exists"],
        body={"name": ""},
        response=error("the store name cannot be blank"),
    ),
    Case(
        "a request to rebrand an unknown store",
        "PUT",
        f"/api/stores/{NO_STORE}/rebrand",
        lambda c: c.rebrand_store(NO_STORE, "Rebranded Store"),
        status=404,
        body={"name": "Rebranded Store"},
        response=UNKNOWN_STORE,
    ),
    # ---- products ----
    Case(
        "a request to add a product",
        "POST",
        path("/api/stores/{storeId}/products", **STORE_PATH),
        lambda c: c.add_product(STORE, "Contract Widget", 19.99, sku="W-1", description="A widget"),
        states=["a store exists"],
        body={"name": "Contract Widget", "description": "A widget", "sku": "W-1", "price": 19.99},
        response={"id": match.str(PRODUCT)},
        returns=lambda body: body["id"],
    ),
    Case(
        "a request to add a product with a negative price",
        "POST",
        path("/api/stores/{storeId}/products", **STORE_PATH),
        lambda c: c.add_product(STORE, "Contract Widget", -1, sku="W-1", description="A widget"),
        status=400,
        states=["a store exists"],
        body={"name": "Contract Widget", "description": "A widget", "sku": "W-1", "price": -1.0},
        response=error("the product price cannot be negative"),
    ),
    Case(
        "a request to add a product to an unknown store",
        "POST",
        f"/api/stores/{NO_STORE}/products",
        lambda c: c.add_product(NO_STORE, "Contract Widget", 19.99, sku="W-1", description="A widget"),
        status=404,
        body={"name": "Contract Widget", "description": "A widget", "sku": "W-1", "price": 19.99},
        response=UNKNOWN_STORE,
    ),
    Case(
        "a request to list a store's products",
        "GET",
        path("/api/stores/{storeId}/products", **STORE_PATH),
        lambda c: c.get_catalog(STORE),
        states=["a store with a product exists"],
        response={"products": match.each_like(product())},
        returns=lambda body: body["products"],
    ),
    Case(
        "a request to list the products of an unknown store",
        "GET",
        f"/api/stores/{NO_STORE}/products",
        lambda c: c.get_catalog(NO_STORE),
        status=404,
        response=UNKNOWN_STORE,
    ),
    Case(
        "a request to get a product",
        "GET",
        path("/api/stores/products/{productId}", **PRODUCT_PATH),
        lambda c: c.get_product(PRODUCT),
        states=["a store with a product exists"],
        response={"product": product()},
        returns=lambda body: body["product"],
    ),
    Case(
        "a request to get an unknown product",
        "GET",
        f"/api/stores/products/{NO_PRODUCT}",
        lambda c: c.get_product(NO_PRODUCT),
        status=404,
        response=UNKNOWN_PRODUCT,
    ),
    Case(
        "a request to rebrand a product",
        "PUT",
        path("/api/stores/products/{productId}/rebrand", **PRODUCT_PATH),
        lambda c: c.rebrand_product(PRODUCT, "Rebranded Widget", "A better widget"),
        states=["a store with a product exists"],
        body={"name": "Rebranded Widget", "description": "A better widget"},
        response={"product": product(name="Rebranded Widget", description="A better widget")},
        returns=lambda body: body["product"],
    ),
    Case(
        "a request to rebrand a product with a blank name",
        "PUT",
        path("/api/stores/products/{productId}/rebrand", **PRODUCT_PATH),
        lambda c: c.rebrand_product(PRODUCT, "", "A better widget"),
        status=400,
        states=["a store with a product exists"],
        body={"name": "", "description": "A better widget"},
        response=error("the product name cannot be blank"),
    ),
    Case(
        "a request to rebrand an unknown product",
        "PUT",
        f"/api/stores/products/{NO_PRODUCT}/rebrand",
        lambda c: c.rebrand_product(NO_PRODUCT, "Rebranded Widget", "A better widget"),
        status=404,
        body={"name": "Rebranded Widget", "description": "A better widget"},
        response=UNKNOWN_PRODUCT,
    ),
    Case(
        "a request to increase a product's price",
        "PUT",
        path("/api/stores/products/{productId}/increasePrice", **PRODUCT_PATH),
        lambda c: c.change_price(PRODUCT, 12.5, increase=True),
        states=["a store with a product exists"],
        body={"price": 12.5},
        response={"product": product(price=12.5)},
        returns=lambda body: body["product"],
    ),
    Case(
        "a request to increase a product's price to a lower price",
        "PUT",
        path("/api/stores/products/{productId}/increasePrice", **PRODUCT_PATH),
        lambda c: c.change_price(PRODUCT, 5, increase=True),
        status=400,
        states=["a store with a product exists"],
        body={"price": 5.0},
        response=error(
            "the new price must be higher than the current price 10.00",
            r"^the new price must be higher than the current price \d+\.\d{2}$",
        ),
    ),
    Case(
        "a request to increase the price of an unknown product",
        "PUT",
        f"/api/stores/products/{NO_PRODUCT}/increasePrice",
        lambda c: c.change_price(NO_PRODUCT, 12.5, increase=True),
        status=404,
        body={"price": 12.5},
        response=UNKNOWN_PRODUCT,
    ),
    Case(
        "a request to decrease a product's price",
        "PUT",
        path("/api/stores/products/{productId}/decreasePrice", **PRODUCT_PATH),
        lambda c: c.change_price(PRODUCT, 7.5, increase=False),
        states=["a store with a product exists"],
        body={"price": 7.5},
        response={"product": product(price=7.5)},
        returns=lambda body: body["product"],
    ),
    Case(
        "a request to decrease a product's price to a higher price",
        "PUT",
        path("/api/stores/products/{productId}/decreasePrice", **PRODUCT_PATH),
        lambda c: c.change_price(PRODUCT, 15, increase=False),
        status=400,
        states=["a store with a product exists"],
        body={"price": 15.0},
        response=error(
            "the new price must be lower than the current price 10.00",
            r"^the new price must be lower than the current price \d+\.\d{2}$",
        ),
    ),
    Case(
        "a request to decrease the price of an unknown product",
        "PUT",
        f"/api/stores/products/{NO_PRODUCT}/decreasePrice",
        lambda c: c.change_price(NO_PRODUCT, 7.5, increase=False),
        status=404,
        body={"price": 7.5},
        response=UNKNOWN_PRODUCT,
    ),
    Case(
        "a request to remove a product",
        "DELETE",
        path("/api/stores/products/{productId}", **PRODUCT_PATH),
        lambda c: c.remove_product(PRODUCT),
        states=["a store with a product exists"],
        response={"product": product()},
        returns=lambda body: body["product"],
    ),
    Case(
        "a request to remove an unknown product",
        "DELETE",
        f"/api/stores/products/{NO_PRODUCT}",
        lambda c: c.remove_product(NO_PRODUCT),
        status=404,
        response=UNKNOWN_PRODUCT,
    ),
]


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsumerContract]:
    yield from consumer_contract("stores", CASES, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=case_id)
async def test_the_client_keeps_its_contract_with_the_stores_api(case: Case, contract: ConsumerContract) -> None:
    await contract.check(case)
