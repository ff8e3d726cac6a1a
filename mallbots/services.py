"""Which workflows and activities each service runs: the one list a new service is added to."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from activities.baskets.projections import BasketsCacheProjections
from activities.customers.activities import CustomersActivities
from activities.depot.projections import DepotCacheProjections
from activities.notifications.projections import NotificationsCacheProjections
from activities.search.projections import SearchCacheProjections
from activities.shared.db import SessionFactory
from activities.stores.projections import StoresProjections
from mallbots.settings import SERVICES
from workflows.customers.customer_workflow import CustomerWorkflow
from workflows.stores.product_workflow import ProductWorkflow
from workflows.stores.store_workflow import StoreWorkflow

ActivityFactory = Callable[[SessionFactory], Sequence[object]]


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    workflows: Sequence[type] = ()
    activity_objects: ActivityFactory = lambda _sessions: ()
    extra: dict[str, Any] = field(default_factory=dict)

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
        ServiceDefinition(
            "stores",
            workflows=(StoreWorkflow, ProductWorkflow),
            activity_objects=lambda s: (StoresProjections(s),),
        ),
        ServiceDefinition(
            "customers",
            workflows=(CustomerWorkflow,),
            activity_objects=lambda s: (CustomersActivities(s),),
        ),
        ServiceDefinition("baskets", activity_objects=lambda s: (BasketsCacheProjections(s),)),
        ServiceDefinition("ordering"),
        ServiceDefinition("depot", activity_objects=lambda s: (DepotCacheProjections(s),)),
        ServiceDefinition("payments"),
        ServiceDefinition("notifications", activity_objects=lambda s: (NotificationsCacheProjections(s),)),
        ServiceDefinition("search", activity_objects=lambda s: (SearchCacheProjections(s),)),
    )
}
assert tuple(DEFINITIONS) == SERVICES, "every service of the spec has exactly one definition"
