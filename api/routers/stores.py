"""``/api/stores``: stores and their products."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from sqlmodel import select

from activities.shared.temporal import create_entity, start_entity
from activities.stores.tables import ProductRow, StoreRow
from api.deps import Context, IdempotencyKey, new_id, update
from api.schemas import ERROR_RESPONSES, ApiModel, IdResponse
from domain.shared.errors import NotFound
from domain.stores import model as rules
from domain.stores.model import Product, Store
from workflows.stores.messages import (
    TASK_QUEUE,
    AddProduct,
    ChangePrice,
    CreateStore,
    ProductWorkflowInput,
    RebrandProduct,
    RebrandStore,
    StoreWorkflowInput,
    product_workflow_id,
    store_workflow_id,
)
from workflows.stores.product_workflow import ProductWorkflow
from workflows.stores.store_workflow import StoreWorkflow

router = APIRouter(prefix="/api/stores", tags=["stores"], responses=ERROR_RESPONSES)


class CreateStoreRequest(ApiModel):
    name: str
    location: str


class RebrandStoreRequest(ApiModel):
    name: str


class StoreView(ApiModel):
    id: str
    name: str
    location: str
    participating: bool


class StoreResponse(ApiModel):
    store: StoreView


class StoresResponse(ApiModel):
    stores: list[StoreView]


class AddProductRequest(ApiModel):
    name: str
    description: str = ""
    sku: str = ""
    price: Decimal


class RebrandProductRequest(ApiModel):
    name: str
    description: str = ""


class PriceRequest(ApiModel):
    price: Decimal


class ProductView(ApiModel):
    id: str
    store_id: str
    name: str
    description: str
    sku: str
    price: float  # JSON number; exact in Postgres and in code


class ProductResponse(ApiModel):
    product: ProductView


class ProductsResponse(ApiModel):
    products: list[ProductView]


def _store_view(store: Store | StoreRow) -> StoreView:
    return StoreView.model_validate(store, from_attributes=True)


def _product_view(product: Product | ProductRow) -> ProductView:
    return ProductView.model_validate(product, from_attributes=True)


@router.post("", response_model=IdResponse)
async def create_store(body: CreateStoreRequest, ctx: Context, key: IdempotencyKey = None) -> IdResponse:
    store_id = new_id("stores", key)
    rules.create_store(store_id, body.name, body.location)  # 400 before anything is started
    start = start_entity(
        StoreWorkflow.run,
        StoreWorkflowInput(store_id=store_id, continue_as_new_after=ctx.continue_as_new_after),
        id=store_workflow_id(store_id),
        task_queue=TASK_QUEUE,
        static_summary=f"Store {body.name.strip()} · {body.location.strip()}",
    )
    await create_entity(
        ctx.client, StoreWorkflow.create, CreateStore(name=body.name, location=body.location), start, key
    )
    return IdResponse(id=store_id)


@router.get("", response_model=StoresResponse)
async def get_stores(ctx: Context) -> StoresResponse:
    async with ctx.sessions("stores")() as session:
        rows = (await session.exec(select(StoreRow).order_by(StoreRow.name, StoreRow.id))).all()
    return StoresResponse(stores=[_store_view(r) for r in rows])


@router.get("/participating", response_model=StoresResponse)
async def get_participating_stores(ctx: Context) -> StoresResponse:
    async with ctx.sessions("stores")() as session:
        query = select(StoreRow).where(StoreRow.participating).order_by(StoreRow.name, StoreRow.id)
        rows = (await session.exec(query)).all()
    return StoresResponse(stores=[_store_view(r) for r in rows])


@router.get("/products/{product_id}", response_model=ProductResponse)
async def get_product(product_id: str, ctx: Context) -> ProductResponse:
    async with ctx.sessions("stores")() as session:
        row = await session.get(ProductRow, product_id)
    if row is None or row.removed:
        raise NotFound(f"the product {product_id} does not exist")
    return ProductResponse(product=_product_view(row))


@router.get("/{store_id}", response_model=StoreResponse)
async def get_store(store_id: str, ctx: Context) -> StoreResponse:
    row = await _stored_store(ctx, store_id)
    return StoreResponse(store=_store_view(row))


async def _stored_store(ctx: Context, store_id: str) -> StoreRow:
    async with ctx.sessions("stores")() as session:
        row = await session.get(StoreRow, store_id)
    if row is None:
        raise NotFound(f"the store {store_id} does not exist")
    return row


async def _store_update(ctx: Context, store_id: str, command: Any, arg: object = None) -> StoreResponse:
    handle = ctx.client.get_workflow_handle(store_workflow_id(store_id))
    store: Store = await update(handle, command, f"store {store_id}", arg)
    return StoreResponse(store=_store_view(store))


@router.put("/{store_id}/participating", response_model=StoreResponse)
async def enable_participation(store_id: str, ctx: Context) -> StoreResponse:
    return await _store_update(ctx, store_id, StoreWorkflow.enable_participation)


@router.delete("/{store_id}/participating", response_model=StoreResponse)
async def disable_participation(store_id: str, ctx: Context) -> StoreResponse:
    return await _store_update(ctx, store_id, StoreWorkflow.disable_participation)


@router.put("/{store_id}/rebrand", response_model=StoreResponse)
async def rebrand_store(store_id: str, body: RebrandStoreRequest, ctx: Context) -> StoreResponse:
    return await _store_update(ctx, store_id, StoreWorkflow.rebrand, RebrandStore(name=body.name))


@router.post("/{store_id}/products", response_model=IdResponse)
async def add_product(store_id: str, body: AddProductRequest, ctx: Context, key: IdempotencyKey = None) -> IdResponse:
    product_id = new_id(f"products:{store_id}", key)
    rules.add_product(product_id, store_id, body.name, body.description, body.sku, body.price)
    await _stored_store(ctx, store_id)  # 404 for an unknown store
    cmd = AddProduct(store_id=store_id, name=body.name, description=body.description, sku=body.sku, price=body.price)
    start = start_entity(
        ProductWorkflow.run,
        ProductWorkflowInput(product_id=product_id, continue_as_new_after=ctx.continue_as_new_after),
        id=product_workflow_id(product_id),
        task_queue=TASK_QUEUE,
        static_summary=f"Product {body.name.strip()} · {body.price}",
    )
    await create_entity(ctx.client, ProductWorkflow.add, cmd, start, key)
    return IdResponse(id=product_id)


@router.get("/{store_id}/products", response_model=ProductsResponse)
async def get_catalog(store_id: str, ctx: Context) -> ProductsResponse:
    await _stored_store(ctx, store_id)
    async with ctx.sessions("stores")() as session:
        query = (
            select(ProductRow)
            .where(ProductRow.store_id == store_id, ProductRow.removed == False)  # noqa: E712
            .order_by(ProductRow.name, ProductRow.id)
        )
        rows = (await session.exec(query)).all()
    return ProductsResponse(products=[_product_view(r) for r in rows])


async def _product_update(ctx: Context, product_id: str, command: Any, arg: object = None) -> ProductResponse:
    handle = ctx.client.get_workflow_handle(product_workflow_id(product_id))
    product: Product = await update(handle, command, f"product {product_id}", arg)
    return ProductResponse(product=_product_view(product))


@router.put("/products/{product_id}/rebrand", response_model=ProductResponse)
async def rebrand_product(product_id: str, body: RebrandProductRequest, ctx: Context) -> ProductResponse:
    cmd = RebrandProduct(name=body.name, description=body.description)
    return await _product_update(ctx, product_id, ProductWorkflow.rebrand, cmd)


@router.put("/products/{product_id}/increasePrice", response_model=ProductResponse)
async def increase_price(product_id: str, body: PriceRequest, ctx: Context) -> ProductResponse:
    cmd = ChangePrice(price=body.price)
    return await _product_update(ctx, product_id, ProductWorkflow.increase_price, cmd)


@router.put("/products/{product_id}/decreasePrice", response_model=ProductResponse)
async def decrease_price(product_id: str, body: PriceRequest, ctx: Context) -> ProductResponse:
    cmd = ChangePrice(price=body.price)
    return await _product_update(ctx, product_id, ProductWorkflow.decrease_price, cmd)


@router.delete("/products/{product_id}", response_model=ProductResponse)
async def remove_product(product_id: str, ctx: Context) -> ProductResponse:
    return await _product_update(ctx, product_id, ProductWorkflow.remove)
