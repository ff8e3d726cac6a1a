"""``/api/notifications``: the SMS messages a customer was sent."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import col, select

from activities.notifications.tables import NotificationRow
from api.deps import Context
from api.schemas import ERROR_RESPONSES, ApiModel
from domain.shared.errors import require_text

router = APIRouter(prefix="/api/notifications", tags=["notifications"], responses=ERROR_RESPONSES)


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
    ctx: Context, customer_id: Annotated[str, Query(alias="customerId")] = ""
) -> NotificationsResponse:
    """Newest first."""
    customer = require_text(customer_id, "customer ID")
    async with ctx.sessions("notifications")() as session:
        query = (
            select(NotificationRow)
            .where(NotificationRow.customer_id == customer)
            .order_by(col(NotificationRow.sent_at).desc(), col(NotificationRow.id).desc())
        )
        rows = (await session.exec(query)).all()
    return NotificationsResponse(notifications=[NotificationView.model_validate(r) for r in rows])
