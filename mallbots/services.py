"""Which workflows and activities each service runs: the one list a new service is added to.

An activity class is listed by its class; its constructor's parameters are filled by name from the
service's ``ServiceResources`` (``sessions``, ``client``, ``gateway``). Every public coroutine method of
an activity class is an activity named after the method (the worker refuses one that is not decorated).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from temporalio.client import Client

from activities.baskets.activities import BasketsActivities
from activities.customers.activities import CustomersActivities
from activities.depot.activities import ShoppingListCommands
from activities.depot.catalog import DepotActivities
from activities.notifications.activities import NotificationsActivities
from activities.notifications.gateway import SmsGateway
from activities.payments.invoices import InvoicesActivities
from activities.payments.payments import PaymentsActivities
from mallbots.settings import SERVICES
from readmodels.baskets.projections import BasketsProjections
from readmodels.customers.projections import CustomersProjections
from readmodels.depot.projections import DepotProjections
from readmodels.notifications.projections import NotificationsProjections
from readmodels.ordering.projections import OrderingProjections
from readmodels.payments.projections import PaymentsProjections
from readmodels.search.projections import SearchProjections
from readmodels.shared.db import SessionFactory
from readmodels.stores.projections import StoresProjections
from workflows.baskets import messages as baskets
from workflows.baskets.basket_workflow import BasketWorkflow
from workflows.customers import messages as customers
from workflows.customers.customer_workflow import CustomerWorkflow
from workflows.depot import messages as depot
from workflows.depot.shopping_list_workflow import ShoppingListWorkflow
from workflows.ordering import messages as ordering
from workflows.ordering.order_workflow import OrderWorkflow
from workflows.payments import messages as payments
from workflows.payments.invoice_workflow import InvoiceWorkflow
from workflows.payments.payment_workflow import PaymentWorkflow
from workflows.stores import messages as stores
from workflows.stores.product_workflow import ProductWorkflow
from workflows.stores.store_workflow import StoreWorkflow


@dataclass(frozen=True)
class ServiceResources:
    """What a service's activities are built with (by constructor parameter name)."""

    sessions: SessionFactory
    client: Client
    gateway: SmsGateway


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    workflows: Sequence[type]
    activity_classes: Sequence[type]

    @property
    def task_queue(self) -> str:
        return self.name

    def activity_objects(self, resources: ServiceResources) -> list[object]:
        return [build(cls, resources) for cls in self.activity_classes]

    def activity_names(self) -> list[str]:
        return [name for cls in self.activity_classes for name in public_coroutines(cls)]


def build(cls: type, resources: ServiceResources) -> object:
    available = {f.name: getattr(resources, f.name) for f in fields(resources)}
    wanted = inspect.signature(cls).parameters
    return cls(**{name: available[name] for name in wanted})


def public_coroutines(cls: type) -> list[str]:
    return [name for name, fn in inspect.getmembers(cls, inspect.iscoroutinefunction) if not name.startswith("_")]


def activity_methods(objects: Sequence[object]) -> list[Callable[..., Any]]:
    """The activities of each object: its public coroutine methods, bound."""
    return [getattr(obj, name) for obj in objects for name in public_coroutines(type(obj))]


# A service's task queue is its name; the six with workflows declare it in their messages.py. Notifications
# and search only subscribe to others' events: their queue is their name, spelled here.
DEFINITIONS: dict[str, ServiceDefinition] = {
    d.name: d
    for d in (
        ServiceDefinition(stores.TASK_QUEUE, (StoreWorkflow, ProductWorkflow), (StoresProjections,)),
        ServiceDefinition(customers.TASK_QUEUE, (CustomerWorkflow,), (CustomersProjections, CustomersActivities)),
        # A customer's authorization asks its workflow (a query): basket, order and payment run it locally first.
        ServiceDefinition(
            baskets.TASK_QUEUE, (BasketWorkflow,), (BasketsProjections, BasketsActivities, CustomersActivities)
        ),
        # The saga's commands to other entities need only a client: ordering runs them first, as local activities
        # (workflows.shared.activity_options.run_command); their services' own queues serve the fallback.
        ServiceDefinition(
            ordering.TASK_QUEUE,
            (OrderWorkflow,),
            (OrderingProjections, CustomersActivities, PaymentsActivities, InvoicesActivities, ShoppingListCommands),
        ),
        ServiceDefinition(
            depot.TASK_QUEUE, (ShoppingListWorkflow,), (DepotProjections, DepotActivities, ShoppingListCommands)
        ),
        ServiceDefinition(
            payments.TASK_QUEUE,
            (PaymentWorkflow, InvoiceWorkflow),
            (PaymentsProjections, PaymentsActivities, InvoicesActivities, CustomersActivities),
        ),
        ServiceDefinition("notifications", (), (NotificationsProjections, NotificationsActivities)),
        ServiceDefinition("search", (), (SearchProjections,)),
    )
}
assert tuple(DEFINITIONS) == SERVICES, "every service of the spec has exactly one definition"
