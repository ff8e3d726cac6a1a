"""``/api/notifications``: the SMS messages a customer was sent."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from api.access import Caller, acting_customer
from api.deps import NotificationsReadModel
from api.http import JsonRoute
from api.schemas import ERROR_RESPONSES, ApiModel, CustomerIdQuery
from domain.shared.text import require_id
from readmodels.notifications.queries import notifications_of

router = APIRouter(
    prefix="/api/notifications", tags=["notifications"], responses=ERROR_RESPONSES, route_class=JsonRoute
)


class NotificationView(ApiModel):
    id: str
    customer_id: str
    order_id: str
    event_name: str
    sms_number: str
    message: str
    sent_at: datetime


class NotificationsResponse(ApiModel):
    notifications: list[NotificationView]


@router.get("", response_model=NotificationsResponse)
async def get_notifications(
    db: NotificationsReadModel, principal: Caller, customer_id: CustomerIdQuery = ""
) -> NotificationsResponse:
    """Newest first. A customer's own (it may leave ``customerId`` out); an operator names the customer."""
    rows = await notifications_of(db, require_id(acting_customer(principal, customer_id), "customer ID"))
    return NotificationsResponse(notifications=[NotificationView.model_validate(r) for r in rows])
