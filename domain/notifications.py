"""Which order events a customer hears about, and what the SMS says. Pure."""

from __future__ import annotations

from domain.ordering.model import Order

_TEMPLATES = {
    "ordering.OrderCreated": "Hi {name}, we received your order {ref} for {total}.",
    "ordering.OrderRejected": "Hi {name}, your order {ref} could not be placed: {reason}.",
    "ordering.OrderReadied": "Hi {name}, your order {ref} is ready. Please pay the invoice of {total}.",
    "ordering.OrderCompleted": "Hi {name}, your order {ref} is paid and complete. Thank you!",
    "ordering.OrderCancelled": "Hi {name}, your order {ref} has been cancelled; nothing was charged.",
}
# The order events notifications needs: the others are never sent to it.
NOTIFIED_EVENTS = frozenset(_TEMPLATES)


def order_message(event_name: str, order: Order, customer_name: str) -> str | None:
    """The SMS for this event, or None when the event is not one customers are told about."""
    template = _TEMPLATES.get(event_name)
    if template is None:
        return None
    return template.format(
        name=customer_name or "there",
        ref=order.id[:8],
        total=order.total,
        reason=order.reason or "unknown reason",
    )
