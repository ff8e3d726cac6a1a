"""``/api/search/orders``: find orders by customer, time, store, product, total and status."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import Field, PlainSerializer, computed_field

from api.access import Caller, acting_customer
from api.deps import SearchReadModel, get_or_404
from api.http import JsonRoute
from api.schemas import (
    ERROR_RESPONSES,
    ApiModel,
    CustomerId,
    FilterIds,
    Limit,
    Moment,
    MoneyOut,
    OrderIdPath,
    RequestModel,
    Total,
)
from domain.ordering.model import OrderStatus
from domain.search import (
    MAX_CURSOR,
    MAX_LIMIT,
    Cursor,
    OrderFilters,
    decode_cursor,
    encode_cursor,
    validate_filters,
    validate_limit,
)
from readmodels.search.queries import find_orders, get_order

router = APIRouter(prefix="/api/search/orders", tags=["search"], responses=ERROR_RESPONSES, route_class=JsonRoute)


class FiltersRequest(RequestModel):
    customer_id: CustomerId | None = None
    after: Moment | None = None
    before: Moment | None = None
    store_ids: FilterIds = []
    product_ids: FilterIds = []
    min_total: Total | None = None
    max_total: Total | None = None
    status: OrderStatus | None = None


class SearchRequest(RequestModel):
    filters: FiltersRequest = FiltersRequest()
    next: Annotated[str | None, Field(max_length=MAX_CURSOR)] = None
    limit: Annotated[Limit | None, Field(json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT})] = None


class SearchItemView(ApiModel):
    product_id: str
    product_name: str
    store_id: str
    store_name: str
    price: MoneyOut
    # The book's search messages declare quantity int64, which proto3 JSON writes as a string.
    quantity: Annotated[int, PlainSerializer(str, return_type=str, when_used="json")]


class SearchOrderView(ApiModel):
    id: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def order_id(self) -> str:
        """The book's name for the order's ID in search (``Order.orderId``); ``id`` is kept beside it."""
        return self.id

    customer_id: str
    customer_name: str
    items: list[SearchItemView]
    total: MoneyOut
    status: str
    created_at: datetime
    updated_at: datetime


class SearchResponse(ApiModel):
    orders: list[SearchOrderView]
    next: str  # "" on the last page


class SearchOrderResponse(ApiModel):
    order: SearchOrderView


@router.post("", response_model=SearchResponse)
async def search_orders(body: SearchRequest, db: SearchReadModel, principal: Caller) -> SearchResponse:
    """Newest first; ``next`` from one answer fetches the following page (null on the last one). A customer
    searches only its own orders; an operator, across customers."""
    f = body.filters
    customer_id = f.customer_id if principal.is_operator else acting_customer(principal, f.customer_id or "")
    filters = validate_filters(
        OrderFilters(
            customer_id=customer_id,
            after=f.after,
            before=f.before,
            store_ids=tuple(f.store_ids),
            product_ids=tuple(f.product_ids),
            min_total=f.min_total,
            max_total=f.max_total,
            status=f.status,
        )
    )
    limit = validate_limit(body.limit)
    after = decode_cursor(body.next) if body.next else None
    rows = await find_orders(db, filters, after, limit)
    page = rows[:limit]
    next_token = ""  # the last page: proto3 writes an unset cursor as an empty string
    if len(rows) > limit:
        last = page[-1]
        next_token = encode_cursor(Cursor(created_at=last["created_at"], id=last["id"]))
    return SearchResponse(orders=[SearchOrderView.model_validate(r) for r in page], next=next_token)


@router.get("/{order_id}", response_model=SearchOrderResponse)
async def get_search_order(order_id: OrderIdPath, db: SearchReadModel) -> SearchOrderResponse:
    found = await get_or_404(get_order(db, order_id), f"order {order_id}")
    return SearchOrderResponse(order=SearchOrderView.model_validate(found))
