"""Bad input gets a clear 4xx message and writes nothing (the services added with the saga)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from api.schemas import error_body
from mallbots.tools.client import ApiError, MallbotsClient
from tests.integration.conftest import Shop


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "/api/baskets", {"customerId": "nobody"}, 404, "the customer nobody is not registered"),
        ("POST", "/api/baskets", {"customerId": " "}, 400, "the customer ID cannot be blank"),
        ("POST", "/api/payments", {"customerId": "nobody", "amount": 5}, 404, "the customer nobody is not registered"),
        (
            "POST",
            "/api/payments",
            {"customerId": "c", "amount": 0},
            400,
            "the payment amount must be greater than zero",
        ),
        # proto3, as the book's gateway reads it: a field left out is its zero value, and the rule answers
        ("POST", "/api/payments", {"customerId": "c"}, 400, "the payment amount must be greater than zero"),
        ("POST", "/api/ordering", {"customerId": "c", "paymentId": "p", "items": []}, 400, "the order has no items"),
        (
            "POST",
            "/api/ordering",
            {"customerId": "c", "paymentId": "p", "items": [{"productId": "x", "quantity": 0}]},
            400,
            "the quantity must be at least 1",
        ),
        (
            "POST",
            "/api/ordering",
            {"customerId": "c", "paymentId": " ", "items": []},
            400,
            "the payment ID cannot be blank",
        ),
        ("PUT", "/api/baskets/nope/addItem", {"productId": "p", "quantity": 1}, 404, "the basket nope does not exist"),
        ("PUT", "/api/baskets/nope/checkout", {"paymentId": "p"}, 404, "the basket nope does not exist"),
        ("DELETE", "/api/ordering/nope", None, 404, "the order nope does not exist"),
        ("PUT", "/api/payments/invoices/nope/pay", None, 404, "the invoice nope does not exist"),
        ("PUT", "/api/depot/shopping/nope/assign", {"botId": "b"}, 404, "the shopping list nope does not exist"),
        ("PUT", "/api/depot/shopping/nope/complete", None, 404, "the shopping list nope does not exist"),
        ("GET", "/api/depot/shopping?status=lost", None, 400, "status: Input should be"),
        ("GET", "/api/payments/nope", None, 404, "the payment nope does not exist"),
        ("GET", "/api/ordering/nope", None, 404, "the order nope does not exist"),
        ("POST", "/api/payments", {"customerId": "c", "amount": 1e12}, 400, "the payment amount cannot be more than"),
        (
            "POST",
            "/api/ordering",
            {"customerId": "c", "paymentId": "p", "items": [{"productId": "x", "quantity": 1001}]},
            400,
            "the quantity cannot be more than 1000",
        ),
    ],
)
async def test_bad_input_is_answered_with_a_clear_message(
    api: httpx.AsyncClient, method: str, path: str, body: object, status: int, message: str
) -> None:
    response = await api.request(method, path, json=body)
    assert response.status_code == status, response.text
    assert response.json()["message"].startswith(message)


async def test_a_body_that_is_not_json_is_a_400(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/stores", content=b"{oops", headers={"content-type": "application/json"})
    assert (response.status_code, response.json()) == (400, error_body(400, "the request body is not valid JSON"))


async def test_an_idempotency_key_whose_first_use_failed_does_not_pretend_to_have_created_anything(
    mall: MallbotsClient, shop: Shop
) -> None:
    key = f"basket-{uuid.uuid4()}"
    with pytest.raises(ApiError) as first:
        await mall.start_basket("nobody", key=key)
    assert first.value.status == 404
    with pytest.raises(ApiError) as again:
        await mall.start_basket("nobody", key=key)
    assert again.value.status == 404


async def test_basket_rules_answer_with_the_right_status(mall: MallbotsClient, shop: Shop) -> None:
    basket_id = await mall.start_basket(shop.customer_id)
    for call, status, message in [
        (mall.add_item(basket_id, shop.widget_id, 0), 400, "the quantity must be at least 1"),
        (mall.add_item(basket_id, "no-such-product", 1), 404, "the product no-such-product does not exist"),
        (mall.checkout(basket_id, "p"), 400, "the basket is empty"),
        (mall.remove_item(basket_id, shop.widget_id, 1), 404, f"the product {shop.widget_id} is not in the basket"),
    ]:
        with pytest.raises(ApiError) as refused:
            await call
        assert (refused.value.status, refused.value.message) == (status, message)
    assert (await mall.get_basket(basket_id))["items"] == []

    await mall.add_item(basket_id, shop.widget_id, 2)
    with pytest.raises(ApiError) as no_payment:
        await mall.checkout(basket_id, " ")
    assert (no_payment.value.status, no_payment.value.message) == (400, "the payment ID cannot be blank")
    await mall.disable_participation(shop.store_id)
    with pytest.raises(ApiError) as closed_store:
        await mall.add_item(basket_id, shop.gadget_id, 1)
    assert closed_store.value.status == 409
    assert "is not participating" in closed_store.value.message
    basket = await mall.get_basket(basket_id)
    assert [(i["productId"], i["quantity"]) for i in basket["items"]] == [(shop.widget_id, 2)]
    assert basket["total"] == 39.98

    await mall.cancel_basket(basket_id)
    with pytest.raises(ApiError) as cancelled:
        await mall.add_item(basket_id, shop.widget_id, 1)
    assert (cancelled.value.status, cancelled.value.message) == (409, "the basket is cancelled")


async def test_amounts_beyond_the_bounds_are_refused_before_anything_is_written(
    api: httpx.AsyncClient, mall: MallbotsClient, shop: Shop
) -> None:
    for price in (1e10, 1e30):
        response = await api.post(f"/api/stores/{shop.store_id}/products", json={"name": "Huge", "price": price})
        assert (response.status_code, response.json()["message"]) == (
            400,
            "the product price cannot be more than 1000000.00",
        )
    with pytest.raises(ApiError) as too_dear:
        await mall.change_price(shop.widget_id, 1e30, increase=True)
    assert too_dear.value.status == 400
    assert (await mall.get_product(shop.widget_id))["price"] == 19.99
    assert len(await mall.get_catalog(shop.store_id)) == 2

    basket_id = await mall.start_basket(shop.customer_id)
    await mall.add_item(basket_id, shop.widget_id, 1000)
    with pytest.raises(ApiError) as too_many:
        await mall.add_item(basket_id, shop.widget_id, 1)
    assert (too_many.value.status, too_many.value.message) == (400, "the quantity cannot be more than 1000")


async def test_an_idempotency_key_longer_than_200_characters_is_a_400(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/api/stores", json={"name": "K", "location": "L"}, headers={"Idempotency-Key": "k" * 201}
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["message"]


async def test_a_field_left_out_is_a_400_before_the_entitys_state_is_asked(
    api: httpx.AsyncClient, mall: MallbotsClient, shop: Shop
) -> None:
    # A closed basket answers any command 409, so a body without its payment ID once was a 409 too (the
    # fuzzer's find): the field left out is its zero value, and its rule answers first, as for a blank one.
    basket_id = await mall.start_basket(shop.customer_id)
    await mall.add_item(basket_id, shop.widget_id, 1)
    await mall.cancel_basket(basket_id)
    for body in ({}, {"paymentId": None}, {"unknown": {"nested": 1}}):
        response = await api.put(f"/api/baskets/{basket_id}/checkout", json=body)
        assert (response.status_code, response.json()) == (400, error_body(400, "the payment ID cannot be blank"))
    with_one = await api.put(f"/api/baskets/{basket_id}/checkout", json={"paymentId": "p"})
    assert (with_one.status_code, with_one.json()["message"]) == (409, "the basket is cancelled")
    assert (await mall.get_basket(basket_id))["status"] == "cancelled"
