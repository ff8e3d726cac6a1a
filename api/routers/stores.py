"""``/api/stores``: stores and their products."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter

from api.access import Caller
from api.deps import (
    ACCEPTS_IDEMPOTENCY_KEY,
    Entities,
    IdempotencyKey,
    StoresReadModel,
    TemporalClient,
    command,
    get_or_404,
    new_id,
)
from api.http import JsonRoute
from api.idempotency import current_update_id
from api.schemas import (
    ERROR_RESPONSES,
    ApiModel,
    IdResponse,
    MoneyOut,
    Price,
    ProductDescription,
    ProductIdPath,
    ProductName,
    RequestModel,
    Sku,
    StoreIdPath,
    StoreLocation,
    StoreName,
)
from domain.stores import model as rules
from domain.stores.model import Product, Store
from readmodels.stores import queries
from readmodels.stores.tables import ProductRow, StoreRow
from workflows.shared.client import create_entity, start_entity
from workflows.shared.summaries import summary
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

router = APIRouter(prefix="/api/stores", tags=["stores"], responses=ERROR_RESPONSES, route_class=JsonRoute)


class CreateStoreRequest(RequestModel):
    name: StoreName = ""
    location: StoreLocation = ""


class RebrandStoreRequest(RequestModel):
    name: StoreName = ""


class StoreView(ApiModel):
    id: str
    name: str
    location: str
    participating: bool


class StoreResponse(ApiModel):
    store: StoreView


class StoresResponse(ApiModel):
    stores: list[StoreView]


class AddProductRequest(RequestModel):
    name: ProductName = ""
    description: ProductDescription = ""
    sku: Sku = ""
    price: Price = Decimal(0)


class RebrandProductRequest(RequestModel):
    name: ProductName = ""
    description: ProductDescription = ""


class PriceRequest(RequestModel):
    price: Price = Decimal(0)


class ProductView(ApiModel):
    id: str
    store_id: str
    name: str
    description: str
    sku: str
    price: MoneyOut  # JSON number; exact in Postgres and in code


class ProductResponse(ApiModel):
    product: ProductView


class ProductsResponse(ApiModel):
    products: list[ProductView]


def _store_view(store: Store | StoreRow) -> StoreView:
    return StoreView.model_validate(store, from_attributes=True)


def _product_view(product: Product | ProductRow) -> ProductView:
    return ProductView.model_validate(product, from_attributes=True)


@router.post("", response_model=IdResponse)
async def create_store(
    body: CreateStoreRequest, client: TemporalClient, entities: Entities, principal: Caller, key: IdempotencyKey = None
) -> IdResponse:
    """The store is its creator's: the subject of its token owns it (api.access)."""
    store_id = new_id("stores", key)
    owner = principal.subject
    rules.create_store(store_id, body.name, body.location, owner)  # 400 before anything is started
    start = start_entity(
        StoreWorkflow.run,
        StoreWorkflowInput(store_id=store_id, continue_as_new_after=entities.continue_as_new_after),
        id=store_workflow_id(store_id),
        task_queue=TASK_QUEUE,
        static_summary=summary(f"Store {body.name.strip()} · {body.location.strip()}"),
    )
    await create_entity(
        client,
        StoreWorkflow.create,
        CreateStore(name=body.name, location=body.location, owner=owner),
        start,
        current_update_id(),
    )
    return IdResponse(id=store_id)


@router.get("", response_model=StoresResponse)
async def get_stores(db: StoresReadModel) -> StoresResponse:
    return StoresResponse(stores=[_store_view(r) for r in await queries.list_stores(db)])


@router.get("/participating", response_model=StoresResponse)
async def get_participating_stores(db: StoresReadModel) -> StoresResponse:
    return StoresResponse(stores=[_store_view(r) for r in await queries.list_stores(db, participating_only=True)])


@router.get("/products/{product_id}", response_model=ProductResponse)
async def get_product(product_id: ProductIdPath, db: StoresReadModel) -> ProductResponse:
    row = await get_or_404(queries.get_product(db, product_id), f"product {product_id}")
    return ProductResponse(product=_product_view(row))


@router.get("/{store_id}", response_model=StoreResponse)
async def get_store(store_id: StoreIdPath, db: StoresReadModel) -> StoreResponse:
    row = await get_or_404(queries.get_store(db, store_id), f"store {store_id}")
    return StoreResponse(store=_store_view(row))


async def _store_command(client: TemporalClient, store_id: str, update: Any, arg: object = None) -> StoreResponse:
    store: Store = await command(client, store_workflow_id(store_id), update, f"store {store_id}", arg)
    return StoreResponse(store=_store_view(store))


@router.put("/{store_id}/participating", response_model=StoreResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY])
async def enable_participation(store_id: StoreIdPath, client: TemporalClient) -> StoreResponse:
    return await _store_command(client, store_id, StoreWorkflow.enable_participation)


@router.delete("/{store_id}/participating", response_model=StoreResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY])
async def disable_participation(store_id: StoreIdPath, client: TemporalClient) -> StoreResponse:
    return await _store_command(client, store_id, StoreWorkflow.disable_participation)


@router.put("/{store_id}/rebrand", response_model=StoreResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY])
async def rebrand_store(store_id: StoreIdPath, body: RebrandStoreRequest, client: TemporalClient) -> StoreResponse:
    return await _store_command(client, store_id, StoreWorkflow.rebrand, RebrandStore(name=body.name))


@router.post("/{store_id}/products", response_model=IdResponse)
async def add_product(
    store_id: StoreIdPath,
    body: AddProductRequest,
    client: TemporalClient,
    db: StoresReadModel,
    entities: Entities,
    key: IdempotencyKey = None,
) -> IdResponse:
    product_id = new_id(f"products:{store_id}", key)
    rules.add_product(product_id, store_id, body.name, body.description, body.sku, body.price)
    await get_or_404(queries.get_store(db, store_id), f"store {store_id}")
    cmd = AddProduct(store_id=store_id, name=body.name, description=body.description, sku=body.sku, price=body.price)
    start = start_entity(
        ProductWorkflow.run,
        ProductWorkflowInput(product_id=product_id, continue_as_new_after=entities.continue_as_new_after),
        id=product_workflow_id(product_id),
        task_queue=TASK_QUEUE,
        static_summary=summary(f"Product {body.name.strip()} · {body.price}"),
    )
    await create_entity(client, ProductWorkflow.add, cmd, start, current_update_id())
    return IdResponse(id=product_id)


@router.get("/{store_id}/products", response_model=ProductsResponse)
async def get_catalog(store_id: StoreIdPath, db: StoresReadModel) -> ProductsResponse:
    await get_or_404(queries.get_store(db, store_id), f"store {store_id}")
    return ProductsResponse(products=[_product_view(r) for r in await queries.catalog(db, store_id)])


async def _product_command(client: TemporalClient, product_id: str, update: Any, arg: object = None) -> ProductResponse:
    product: Product = await command(client, product_workflow_id(product_id), update, f"product {product_id}", arg)
    return ProductResponse(product=_product_view(product))


@router.put("/products/{product_id}/rebrand", response_model=ProductResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY])
async def rebrand_product(
    product_id: ProductIdPath, body: RebrandProductRequest, client: TemporalClient
) -> ProductResponse:
    cmd = RebrandProduct(name=body.name, description=body.description)
    return await _product_command(client, product_id, ProductWorkflow.rebrand, cmd)


@router.put(
    "/products/{product_id}/increasePrice", response_model=ProductResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY]
)
async def increase_price(product_id: ProductIdPath, body: PriceRequest, client: TemporalClient) -> ProductResponse:
    return await _product_command(client, product_id, ProductWorkflow.increase_price, ChangePrice(price=body.price))


@router.put(
    "/products/{product_id}/decreasePrice", response_model=ProductResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY]
)
async def decrease_price(product_id: ProductIdPath, body: PriceRequest, client: TemporalClient) -> ProductResponse:
    return await _product_command(client, product_id, ProductWorkflow.decrease_price, ChangePrice(price=body.price))


@router.delete("/products/{product_id}", response_model=ProductResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY])
async def remove_product(product_id: ProductIdPath, client: TemporalClient) -> ProductResponse:
    return await _product_command(client, product_id, ProductWorkflow.remove)
