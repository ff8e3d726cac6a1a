from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.stores import model as rules
    from domain.stores.model import Store
    from workflows.shared.entity import Entity, continue_as_new_on_current_build
    from workflows.stores.messages import STORE, CreateStore, RebrandStore, StoreWorkflowInput


@workflow.defn
class StoreWorkflow:
    """One store, ``store:<id>``: lives as long as the store; continues-as-new before its history grows."""

    ENTITY = STORE  # what it is, what it emits, who receives it: declared once in its messages.py

    @workflow.init
    def __init__(self, input: StoreWorkflowInput) -> None:
        self._id = input.store_id
        self._entity: Entity[Store] = Entity(self.ENTITY, state=input.store, number=input.number)

    @workflow.run
    async def run(self, input: StoreWorkflowInput) -> None:
        await workflow.wait_condition(lambda: self._entity.should_continue_as_new(input.continue_as_new_after))
        await self._entity.quiesce()
        continue_as_new_on_current_build(
            input.model_copy(update={"store": self._entity.state, "number": self._entity.number})
        )

    def _create(self, cmd: CreateStore) -> Store:
        if self._entity.state is not None:
            return self._entity.state  # a repeated create is answered, not applied twice
        return rules.create_store(self._id, cmd.name, cmd.location, cmd.owner)

    @workflow.update
    async def create(self, cmd: CreateStore) -> Store:
        if self._entity.state is not None:
            return self._entity.state
        workflow.set_current_details(f"Store {cmd.name}")
        return await self._entity.apply("stores.StoreCreated", lambda: self._create(cmd))

    @create.validator
    def _validate_create(self, cmd: CreateStore) -> None:
        self._entity.check(lambda: self._create(cmd))

    @workflow.update
    async def rebrand(self, cmd: RebrandStore) -> Store:
        return await self._entity.apply(
            "stores.StoreRebranded", lambda: rules.rebrand_store(self._entity.current(), cmd.name)
        )

    @rebrand.validator
    def _validate_rebrand(self, cmd: RebrandStore) -> None:
        self._entity.check(lambda: rules.rebrand_store(self._entity.current(), cmd.name))

    @workflow.update
    async def enable_participation(self) -> Store:
        return await self._entity.apply(
            "stores.StoreParticipationToggled", lambda: rules.enable_participation(self._entity.current())
        )

    @enable_participation.validator
    def _validate_enable(self) -> None:
        self._entity.check(lambda: rules.enable_participation(self._entity.current()))

    @workflow.update
    async def disable_participation(self) -> Store:
        return await self._entity.apply(
            "stores.StoreParticipationToggled", lambda: rules.disable_participation(self._entity.current())
        )

    @disable_participation.validator
    def _validate_disable(self) -> None:
        self._entity.check(lambda: rules.disable_participation(self._entity.current()))

    @workflow.query
    def get_store(self) -> Store | None:
        return self._entity.state
