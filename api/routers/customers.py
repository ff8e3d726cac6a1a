"""``/api/customers``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from temporalio.common import SearchAttributePair, TypedSearchAttributes

from api.access import Caller
from api.deps import (
    ACCEPTS_IDEMPOTENCY_KEY,
    CustomersReadModel,
    Entities,
    IdempotencyKey,
    TemporalClient,
    command,
    get_or_404,
    new_id,
)
from api.http import JsonRoute
from api.idempotency import current_update_id
from api.schemas import ERROR_RESPONSES, ApiModel, CustomerIdPath, CustomerName, IdResponse, RequestModel, SmsNumber
from domain.customers import model as rules
from domain.customers.model import Customer
from readmodels.customers import queries
from readmodels.customers.tables import CustomerRow
from workflows.customers.customer_workflow import CustomerWorkflow
from workflows.customers.messages import (
    TASK_QUEUE,
    ChangeSmsNumber,
    CustomerWorkflowInput,
    RegisterCustomer,
    customer_workflow_id,
)
from workflows.search_attributes import CUSTOMER_ID
from workflows.shared.client import create_entity, start_entity

router = APIRouter(prefix="/api/customers", tags=["customers"], responses=ERROR_RESPONSES, route_class=JsonRoute)


class RegisterCustomerRequest(RequestModel):
    name: CustomerName = ""
    sms_number: SmsNumber = ""


class ChangeSmsRequest(RequestModel):
    sms_number: SmsNumber = ""


class CustomerView(ApiModel):
    id: str
    name: str
    sms_number: str
    enabled: bool


class CustomerResponse(ApiModel):
    customer: CustomerView


def _view(customer: Customer | CustomerRow) -> CustomerView:
    return CustomerView.model_validate(customer, from_attributes=True)


@router.post("", response_model=IdResponse)
async def register_customer(
    body: RegisterCustomerRequest,
    client: TemporalClient,
    entities: Entities,
    principal: Caller,
    key: IdempotencyKey = None,
) -> IdResponse:
    """A customer token registers the customer its subject stands for (so it is linked to it); an operator
    registers anyone, under a new ID."""
    customer_id = new_id("customers", key) if principal.is_operator else principal.customer_id
    rules.register_customer(customer_id, body.name, body.sms_number)  # 400 before anything is started
    start = start_entity(
        CustomerWorkflow.run,
        CustomerWorkflowInput(customer_id=customer_id, continue_as_new_after=entities.continue_as_new_after),
        id=customer_workflow_id(customer_id),
        task_queue=TASK_QUEUE,
        search_attributes=TypedSearchAttributes([SearchAttributePair(CUSTOMER_ID, customer_id)]),
        static_summary=f"Customer {customer_id[:8]}…",  # no name: a summary is shown wherever the workflow is
    )
    cmd = RegisterCustomer(name=body.name, sms_number=body.sms_number)
    await create_entity(client, CustomerWorkflow.register, cmd, start, current_update_id())
    return IdResponse(id=customer_id)


@router.get("/{customer_id}", response_model=CustomerResponse)
async def get_customer(customer_id: CustomerIdPath, db: CustomersReadModel) -> CustomerResponse:
    row = await get_or_404(queries.get_customer(db, customer_id), f"customer {customer_id}")
    return CustomerResponse(customer=_view(row))


async def _command(client: TemporalClient, customer_id: str, update: Any, arg: object = None) -> CustomerResponse:
    workflow_id = customer_workflow_id(customer_id)
    customer: Customer = await command(client, workflow_id, update, f"customer {customer_id}", arg)
    return CustomerResponse(customer=_view(customer))


@router.put("/{customer_id}/change-sms", response_model=CustomerResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY])
async def change_sms_number(
    customer_id: CustomerIdPath, body: ChangeSmsRequest, client: TemporalClient
) -> CustomerResponse:
    cmd = ChangeSmsNumber(sms_number=body.sms_number)
    return await _command(client, customer_id, CustomerWorkflow.change_sms_number, cmd)


@router.put("/{customer_id}/enable", response_model=CustomerResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY])
async def enable_customer(customer_id: CustomerIdPath, client: TemporalClient) -> CustomerResponse:
    return await _command(client, customer_id, CustomerWorkflow.enable)


@router.put("/{customer_id}/disable", response_model=CustomerResponse, dependencies=[ACCEPTS_IDEMPOTENCY_KEY])
async def disable_customer(customer_id: CustomerIdPath, client: TemporalClient) -> CustomerResponse:
    return await _command(client, customer_id, CustomerWorkflow.disable)
