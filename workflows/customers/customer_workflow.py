from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.customers import model as rules
    from domain.customers.model import Customer
    from workflows.customers.messages import CUSTOMER, ChangeSmsNumber, CustomerWorkflowInput, RegisterCustomer
    from workflows.shared.entity import Entity, continue_as_new_on_current_build


@workflow.defn
class CustomerWorkflow:
    """One customer, ``customer:<id>``."""

    ENTITY = CUSTOMER  # what it is, what it emits, who receives it: declared once in its messages.py

    @workflow.init
    def __init__(self, input: CustomerWorkflowInput) -> None:
        self._id = input.customer_id
        self._entity: Entity[Customer] = Entity(self.ENTITY, state=input.customer, number=input.number)

    @workflow.run
    async def run(self, input: CustomerWorkflowInput) -> None:
        await workflow.wait_condition(lambda: self._entity.should_continue_as_new(input.continue_as_new_after))
        await self._entity.quiesce()
        continue_as_new_on_current_build(
            input.model_copy(update={"customer": self._entity.state, "number": self._entity.number})
        )

    def _register(self, cmd: RegisterCustomer) -> Customer:
        if self._entity.state is not None:
            return self._entity.state
        return rules.register_customer(self._id, cmd.name, cmd.sms_number)

    @workflow.update
    async def register(self, cmd: RegisterCustomer) -> Customer:
        if self._entity.state is not None:
            return self._entity.state  # a repeated registration is answered, not applied twice
        # Details are shown to whoever opens the UI: never the name (it stays in the encrypted payloads).
        workflow.set_current_details("Registered customer")
        return await self._entity.apply("customers.CustomerRegistered", lambda: self._register(cmd))

    @register.validator
    def _validate_register(self, cmd: RegisterCustomer) -> None:
        self._entity.check(lambda: self._register(cmd))

    @workflow.update
    async def change_sms_number(self, cmd: ChangeSmsNumber) -> Customer:
        return await self._entity.apply(
            "customers.CustomerSmsChanged",
            lambda: rules.change_sms_number(self._entity.current(), cmd.sms_number),
        )

    @change_sms_number.validator
    def _validate_change_sms(self, cmd: ChangeSmsNumber) -> None:
        self._entity.check(lambda: rules.change_sms_number(self._entity.current(), cmd.sms_number))

    @workflow.update
    async def enable(self) -> Customer:
        return await self._entity.apply(
            "customers.CustomerEnabled", lambda: rules.enable_customer(self._entity.current())
        )

    @enable.validator
    def _validate_enable(self) -> None:
        self._entity.check(lambda: rules.enable_customer(self._entity.current()))

    @workflow.update
    async def disable(self) -> Customer:
        return await self._entity.apply(
            "customers.CustomerDisabled", lambda: rules.disable_customer(self._entity.current())
        )

    @disable.validator
    def _validate_disable(self) -> None:
        self._entity.check(lambda: rules.disable_customer(self._entity.current()))

    @workflow.query
    def get_customer(self) -> Customer | None:
        return self._entity.state
