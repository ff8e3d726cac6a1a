"""Stores and products: state and the rules of every command. Pure: no Temporal, no SQL."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from domain.shared.errors import Conflict, InvalidArgument
from domain.shared.money import MAX_PRICE, cents
from domain.shared.text import MAX_DESCRIPTION, MAX_LOCATION, MAX_SKU, optional_text, require_id, require_text


class Store(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    location: str
    participating: bool = False
    # The subject of the store owner's token (api.access): only it, and operators, act on the store.
    owner: str = ""


class Product(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    store_id: str
    name: str
    description: str = ""
    sku: str = ""
    price: Decimal
    removed: bool = False


def create_store(store_id: str, name: str, location: str, owner: str = "") -> Store:
    return Store(
        id=store_id,
        owner=owner,
        name=require_text(name, "store name"),
        location=require_text(location, "store location", MAX_LOCATION),
    )


def rebrand_store(store: Store, name: str) -> Store:
    return store.model_copy(update={"name": require_text(name, "store name")})


def enable_participation(store: Store) -> Store:
    if store.participating:
        raise Conflict("the store is already participating")
    return store.model_copy(update={"participating": True})


def disable_participation(store: Store) -> Store:
    if not store.participating:
        raise Conflict("the store is not participating")
    return store.model_copy(update={"participating": False})


def _valid_price(price: Decimal) -> Decimal:
    if not price.is_finite():
        raise InvalidArgument("the product price must be a number")
    if price < 0:
        raise InvalidArgument("the product price cannot be negative")
    if price > MAX_PRICE:
        raise InvalidArgument(f"the product price cannot be more than {MAX_PRICE}")
    return cents(price, "product price")


def add_product(product_id: str, store_id: str, name: str, description: str, sku: str, price: Decimal) -> Product:
    return Product(
        id=product_id,
        store_id=require_id(store_id, "store ID"),
        name=require_text(name, "product name"),
        description=optional_text(description, "product description", MAX_DESCRIPTION, multiline=True),
        sku=optional_text(sku, "SKU", MAX_SKU),
        price=_valid_price(price),
    )


def _live(product: Product) -> Product:
    if product.removed:
        raise Conflict("the product has been removed")
    return product


def rebrand_product(product: Product, name: str, description: str) -> Product:
    return _live(product).model_copy(
        update={
            "name": require_text(name, "product name"),
            "description": optional_text(description, "product description", MAX_DESCRIPTION, multiline=True),
        }
    )


def increase_price(product: Product, price: Decimal) -> Product:
    new_price = _valid_price(price)
    if new_price <= _live(product).price:
        raise InvalidArgument(f"the new price must be higher than the current price {product.price}")
    return product.model_copy(update={"price": new_price})


def decrease_price(product: Product, price: Decimal) -> Product:
    new_price = _valid_price(price)
    if new_price >= _live(product).price:
        raise InvalidArgument(f"the new price must be lower than the current price {product.price}")
    return product.model_copy(update={"price": new_price})


def remove_product(product: Product) -> Product:
    return _live(product).model_copy(update={"removed": True})
