"""Which workflows and activities each service runs: the one list a new service is added to."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client

from activities.baskets.activities import BasketsActivities
from activities.baskets.projections import BasketsCacheProjections
from activities.customers.activities import CustomersActivities
from activities.depot.activities import DepotActivities
from activities.depot.projections import DepotCacheProjections
from activities.notifications.activities import NotificationsActivities
from activities.ordering.projections import OrderingProjections
from activities.payments.activities import PaymentsActivities
from activities.search.projections import SearchCacheProjections
from activities.shared.db import SessionFactory
from activities.stores.projections import StoresProjections
from mallbots.settings import SERVICES
from workflows.baskets.basket_workflow import BasketWorkflow
from workflows.customers.customer_workflow import CustomerWorkflow
from workflows.depot.shopping_list_workflow import ShoppingListWorkflow
from workflows.ordering.order_workflow import OrderWorkflow
from workflows.payments.invoice_workflow import InvoiceWorkflow
from workflows.payments.payment_workflow import PaymentWorkflow
from workflows.stores.product_workflow import ProductWorkflow
from workflows.stores.store_workflow import StoreWorkflow


@dataclass(frozen=True)
class ServiceResources:
    """What a service's activities are built with."""

    sessions: SessionFactory
    client: Client


ActivityFactory = Callable[[ServiceResources], Sequence[object]]


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    workflows: Sequence[type]
    activity_objects: ActivityFactory

    @property
    def task_queue(self) -> str:
        return self.name


def activity_methods(objects: Sequence[object]) -> list[Callable[..., Any]]:
    """The bound methods decorated with ``@activity.defn`` on each object."""
    found = []
    for obj in objects:
        for name in dir(type(obj)):
            member = getattr(obj, name)
            if callable(member) and hasattr(member, "__temporal_activity_definition"):
                found.append(member)
    return found


DEFINITIONS: dict[str, ServiceDefinition] = {
    d.name: d
    for d in (
        ServiceDefinition("stores", (StoreWorkflow, ProductWorkflow), lambda r: (StoresProjections(r.sessions),)),
        ServiceDefinition("customers", (CustomerWorkflow,), lambda r: (CustomersActivities(r.sessions),)),
        ServiceDefinition(
            "baskets",
            (BasketWorkflow,),
            lambda r: (BasketsCacheProjections(r.sessions), BasketsActivities(r.sessions)),
        ),
        ServiceDefinition("ordering", (OrderWorkflow,), lambda r: (OrderingProjections(r.sessions),)),
        ServiceDefinition(
            "depot",
            (ShoppingListWorkflow,),
            lambda r: (DepotCacheProjections(r.sessions), DepotActivities(r.sessions, r.client)),
        ),
        ServiceDefinition(
            "payments",
            (PaymentWorkflow, InvoiceWorkflow),
            lambda r: (PaymentsActivities(r.sessions, r.client),),
        ),
        ServiceDefinition("notifications", (), lambda r: (NotificationsActivities(r.sessions),)),
        ServiceDefinition("search", (), lambda r: (SearchCacheProjections(r.sessions),)),
    )
}
assert tuple(DEFINITIONS) == SERVICES, "every service of the spec has exactly one definition"
