"""A store owner's steps: stores, participation, catalogue, prices. "The store owner" acts on a store as the
owner who opened it; "store owner "Eve"" is someone else, who owns none of the scenario's stores."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from mallbots.tools.client import ApiError
from tests.e2e.steps.common import amount, quoted
from tests.e2e.steps.mall import Mall
from tests.e2e.steps.world import STORE_OWNER, World, money


@when(parsers.re(rf"the store owner opens a store {quoted('name')} at {quoted('location')}"))
def open_a_store(mall: Mall, world: World, name: str, location: str) -> None:
    store_id = world.attempt(mall, world.store_owner().create_store(world.unique(name), location))
    if store_id is not None:
        world.stores[name] = store_id
        world.store_owners[name] = STORE_OWNER


@when(
    parsers.re(rf"the store owner adds {quoted('product')} at {amount('price')} to the catalogue of {quoted('store')}")
)
def add_a_product(mall: Mall, world: World, product: str, price: str, store: str) -> None:
    owner = world.owner_of(store)
    product_id = world.attempt(mall, owner.add_product(world.store_id(store), world.unique(product), price))
    if product_id is not None:
        world.products[product] = product_id
        world.product_stores[product] = store


@when(
    parsers.re(
        rf"the store owner adds {quoted('product')} at {amount('price')}"
        r" to the catalogue of a store that does not exist"
    )
)
def add_a_product_nowhere(mall: Mall, world: World, product: str, price: str) -> None:
    world.stores["Nowhere"] = f"no-such-store-{world.tag}"
    world.attempt(mall, world.store_owner().add_product(world.stores["Nowhere"], world.unique(product), price))


@when(parsers.re(rf"the store owner (?P<action>enables|disables) the participation of {quoted('store')}"))
def toggle_participation(mall: Mall, world: World, action: str, store: str) -> None:
    owner = world.owner_of(store)
    toggle = owner.enable_participation if action == "enables" else owner.disable_participation
    world.attempt(mall, toggle(world.store_id(store)))


@given(parsers.re(rf"the store owner has withdrawn {quoted('store')} from the mall"))
def a_withdrawn_store(mall: Mall, world: World, store: str) -> None:
    mall.run(world.owner_of(store).disable_participation(world.store_id(store)))


@when(parsers.re(rf"the store owner rebrands {quoted('store')} as {quoted('name')}"))
def rebrand_a_store(mall: Mall, world: World, store: str, name: str) -> None:
    world.attempt(mall, world.owner_of(store).rebrand_store(world.store_id(store), world.unique(name)))


@when(
    parsers.re(
        rf"the store owner rebrands the product {quoted('product')} as {quoted('name')}"
        rf" described as {quoted('description')}"
    )
)
def rebrand_a_product(mall: Mall, world: World, product: str, name: str, description: str) -> None:
    owner = world.owner_of_product(product)
    world.attempt(mall, owner.rebrand_product(world.product_id(product), world.unique(name), description))


@given(
    parsers.re(
        r"the store owner has (?P<changed>increased|decreased)"
        rf" the price of {quoted('product')} to {amount('price')}"
    )
)
def a_price_change(mall: Mall, world: World, changed: str, product: str, price: str) -> None:
    owner = world.owner_of_product(product)
    mall.run(owner.change_price(world.product_id(product), price, increase=changed == "increased"))


@when(
    parsers.re(
        r"the store owner (?P<changes>increases|decreases)"
        rf" the price of {quoted('product')} to {amount('price')}"
    )
)
def change_a_price(mall: Mall, world: World, changes: str, product: str, price: str) -> None:
    owner = world.owner_of_product(product)
    world.attempt(mall, owner.change_price(world.product_id(product), price, increase=changes == "increases"))


@given(parsers.re(rf"the store owner has removed the product {quoted('product')}"))
@when(parsers.re(rf"the store owner removes the product {quoted('product')}"))
def remove_a_product(mall: Mall, world: World, product: str) -> None:
    world.attempt(mall, world.owner_of_product(product).remove_product(world.product_id(product)))


# ---- what the mall shows ------------------------------------------------------------------------------------


@then(
    parsers.re(
        rf"the store {quoted('store')} is listed(?: as {quoted('name')})? at {quoted('location')}"
        r" and is (?P<participation>participating|not participating)"
    )
)
def the_store_is_listed(
    mall: Mall, world: World, store: str, name: str | None, location: str, participation: str
) -> None:
    listed = {s["id"]: s for s in mall.run(world.owner_of(store).get_stores())}
    shown = listed[world.store_id(store)]
    assert (shown["name"], shown["location"]) == (world.unique(name or store), location)
    assert shown["participating"] is (participation == "participating")


@then(parsers.re(rf"no store {quoted('name')} is listed"))
def no_such_store(mall: Mall, world: World, name: str) -> None:
    names = [s["name"] for s in mall.run(world.store_owner().get_stores())]
    assert world.unique(name) not in names


@then(parsers.re(rf"the store {quoted('store')} is (?P<participation>participating|not participating)"))
def the_store_participates(mall: Mall, world: World, store: str, participation: str) -> None:
    shown = mall.run(world.owner_of(store).get_store(world.store_id(store)))
    assert shown["participating"] is (participation == "participating")


@then(parsers.re(rf"the store {quoted('store')} is (?P<among>among|not among) the participating stores"))
def among_the_participants(mall: Mall, world: World, store: str, among: str) -> None:
    participating = {s["id"] for s in mall.run(world.owner_of(store).get_stores(participating=True))}
    assert (world.store_id(store) in participating) is (among == "among")


@then(parsers.re(rf"the store {quoted('store')} is now called {quoted('name')}"))
def the_store_is_called(mall: Mall, world: World, store: str, name: str) -> None:
    assert mall.run(world.owner_of(store).get_store(world.store_id(store)))["name"] == world.unique(name)


@then(parsers.re(rf"the catalogue of {quoted('store')} lists:"))
def the_catalogue_lists(mall: Mall, world: World, store: str, datatable: list[list[str]]) -> None:
    catalogue = mall.run(world.owner_of(store).get_catalog(world.store_id(store)))
    expected = [(world.unique(name), money(price)) for name, price in datatable[1:]]
    assert [(p["name"], money(p["price"])) for p in catalogue] == expected


@then(parsers.re(rf"the catalogue of {quoted('store')} is empty"))
def the_catalogue_is_empty(mall: Mall, world: World, store: str) -> None:
    assert mall.run(world.owner_of(store).get_catalog(world.store_id(store))) == []


@then(
    parsers.re(rf"the product {quoted('product')} is called {quoted('name')} and described as {quoted('description')}")
)
def the_product_is_called(mall: Mall, world: World, product: str, name: str, description: str) -> None:
    shown = mall.run(world.owner_of_product(product).get_product(world.product_id(product)))
    assert (shown["name"], shown["description"]) == (world.unique(name), description)


@then(parsers.re(rf"the price of {quoted('product')} is {amount('price')}"))
def the_price_is(mall: Mall, world: World, product: str, price: str) -> None:
    shown = mall.run(world.owner_of_product(product).get_product(world.product_id(product)))
    assert money(shown["price"]) == money(price)


@then(parsers.re(rf"looking up the product {quoted('product')} answers 404 {quoted('message')}"))
def the_product_is_gone(mall: Mall, world: World, product: str, message: str) -> None:
    try:
        found = mall.run(world.owner_of_product(product).get_product(world.product_id(product)))
    except ApiError as err:
        assert (err.status, err.message) == (404, world.expand(message))
    else:
        raise AssertionError(f"the product is still there: {found}")
