from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.stores import model as rules
    from domain.stores.model import Product
    from workflows.shared.entity import Entity, continue_as_new_on_current_build
    from workflows.stores.messages import (
        PRODUCT,
        AddProduct,
        ChangePrice,
        ProductWorkflowInput,
        RebrandProduct,
    )


@workflow.defn
class ProductWorkflow:
    """One product, ``product:<id>``: ends when the product is removed."""

    ENTITY = PRODUCT  # what it is, what it emits, who receives it: declared once in its messages.py

    @workflow.init
    def __init__(self, input: ProductWorkflowInput) -> None:
        self._id = input.product_id
        self._entity: Entity[Product] = Entity(self.ENTITY, state=input.product, number=input.number)

    @workflow.run
    async def run(self, input: ProductWorkflowInput) -> Product | None:
        await workflow.wait_condition(
            lambda: self._removed() or self._entity.should_continue_as_new(input.continue_as_new_after)
        )
        await self._entity.quiesce()
        if self._removed():
            return self._entity.state
        continue_as_new_on_current_build(
            input.model_copy(update={"product": self._entity.state, "number": self._entity.number})
        )

    def _removed(self) -> bool:
        return self._entity.state is not None and self._entity.state.removed

    def _add(self, cmd: AddProduct) -> Product:
        if self._entity.state is not None:
            return self._entity.state
        return rules.add_product(self._id, cmd.store_id, cmd.name, cmd.description, cmd.sku, cmd.price)

    @workflow.update
    async def add(self, cmd: AddProduct) -> Product:
        if self._entity.state is not None:
            return self._entity.state  # a repeated add is answered, not applied twice
        workflow.set_current_details(f"Product {cmd.name} of store {cmd.store_id}")
        return await self._entity.apply("stores.ProductAdded", lambda: self._add(cmd))

    @add.validator
    def _validate_add(self, cmd: AddProduct) -> None:
        self._entity.check(lambda: self._add(cmd))

    @workflow.update
    async def rebrand(self, cmd: RebrandProduct) -> Product:
        return await self._entity.apply("stores.ProductRebranded", lambda: self._rebrand(cmd))

    @rebrand.validator
    def _validate_rebrand(self, cmd: RebrandProduct) -> None:
        self._entity.check(lambda: self._rebrand(cmd))

    def _rebrand(self, cmd: RebrandProduct) -> Product:
        return rules.rebrand_product(self._entity.current(), cmd.name, cmd.description)

    @workflow.update
    async def increase_price(self, cmd: ChangePrice) -> Product:
        return await self._entity.apply(
            "stores.ProductPriceChanged", lambda: rules.increase_price(self._entity.current(), cmd.price)
        )

    @increase_price.validator
    def _validate_increase(self, cmd: ChangePrice) -> None:
        self._entity.check(lambda: rules.increase_price(self._entity.current(), cmd.price))

    @workflow.update
    async def decrease_price(self, cmd: ChangePrice) -> Product:
        return await self._entity.apply(
            "stores.ProductPriceChanged", lambda: rules.decrease_price(self._entity.current(), cmd.price)
        )

    @decrease_price.validator
    def _validate_decrease(self, cmd: ChangePrice) -> None:
        self._entity.check(lambda: rules.decrease_price(self._entity.current(), cmd.price))

    @workflow.update
    async def remove(self) -> Product:
        return await self._entity.apply("stores.ProductRemoved", lambda: rules.remove_product(self._entity.current()))

    @remove.validator
    def _validate_remove(self) -> None:
        self._entity.check(lambda: rules.remove_product(self._entity.current()))

    @workflow.query
    def get_product(self) -> Product | None:
        return self._entity.state
