"""The rules of shopping lists (domain/depot/model.py) and their events (domain/depot/events.py), table-driven."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from domain.depot import model as rules
from domain.depot.events import ShoppingListEvent, shopping_list_event
from domain.depot.model import (
    DepotProduct,
    DepotStore,
    ListItem,
    ShoppingList,
    ShoppingListStatus,
    Stop,
    Wanted,
)
from domain.shared.errors import Conflict, DomainError, ErrorKind, InvalidArgument, NotFound

BLANKS = ["", " ", "   ", "\t", "\n", " \t\r\n "]
NOON = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

STORES = {
    "s-1": DepotStore(id="s-1", name="Corner Shop", location="Level 1", participating=True),
    "s-2": DepotStore(id="s-2", name="Anchor Books", location="Level 2", participating=True),
    "s-3": DepotStore(id="s-3", name="Zed's", location="Level 3", participating=True),
    "s-off": DepotStore(id="s-off", name="Closed Shop", location="Basement", participating=False),
}

PRODUCTS = {
    "p-1": DepotProduct(id="p-1", store_id="s-1", name="Widget"),
    "p-2": DepotProduct(id="p-2", store_id="s-1", name="Gadget"),
    "p-3": DepotProduct(id="p-3", store_id="s-2", name="Novel"),
    "p-4": DepotProduct(id="p-4", store_id="s-3", name="Zither"),
    "p-gone": DepotProduct(id="p-gone", store_id="s-1", name="Old Thing", removed=True),
    "p-off": DepotProduct(id="p-off", store_id="s-off", name="Dusty", removed=False),
    "p-orphan": DepotProduct(id="p-orphan", store_id="s-unknown", name="Orphan"),
}


def want(product_id: str, store_id: str, quantity: int = 1) -> Wanted:
    return Wanted(product_id=product_id, store_id=store_id, quantity=quantity)


def a_list(status: ShoppingListStatus = ShoppingListStatus.PENDING, bot_id: str | None = None) -> ShoppingList:
    return ShoppingList(
        id="list-1",
        order_id="o-1",
        stops=(
            Stop(
                store_id="s-1",
                store_name="Corner Shop",
                store_location="Level 1",
                items=(ListItem(product_id="p-1", product_name="Widget", quantity=2),),
            ),
        ),
        status=status,
        bot_id=bot_id,
    )


# --- creating a list ----------------------------------------------------------------------------------


def test_a_list_of_one_line_has_one_stop_and_is_pending() -> None:
    shopping_list = rules.create_shopping_list("list-1", "o-1", [want("p-1", "s-1", 2)], STORES, PRODUCTS)
    assert shopping_list == a_list()
    assert shopping_list.status is ShoppingListStatus.PENDING
    assert shopping_list.bot_id is None


def test_lines_are_grouped_one_stop_per_store_ordered_by_store_name() -> None:
    wanted = [want("p-4", "s-3", 1), want("p-1", "s-1", 2), want("p-3", "s-2", 3), want("p-2", "s-1", 4)]
    shopping_list = rules.create_shopping_list("list-1", "o-1", wanted, STORES, PRODUCTS)
    assert shopping_list.stops == (
        Stop(
            store_id="s-2",
            store_name="Anchor Books",
            store_location="Level 2",
            items=(ListItem(product_id="p-3", product_name="Novel", quantity=3),),
        ),
        Stop(
            store_id="s-1",
            store_name="Corner Shop",
            store_location="Level 1",
            items=(
                ListItem(product_id="p-1", product_name="Widget", quantity=2),
                ListItem(product_id="p-2", product_name="Gadget", quantity=4),
            ),
        ),
        Stop(
            store_id="s-3",
            store_name="Zed's",
            store_location="Level 3",
            items=(ListItem(product_id="p-4", product_name="Zither", quantity=1),),
        ),
    )


def test_stores_with_the_same_name_keep_the_order_they_were_first_wanted_in() -> None:
    stores = {
        "s-a": DepotStore(id="s-a", name="Twin", location="East", participating=True),
        "s-b": DepotStore(id="s-b", name="Twin", location="West", participating=True),
    }
    products = {
        "p-a": DepotProduct(id="p-a", store_id="s-a", name="A"),
        "p-b": DepotProduct(id="p-b", store_id="s-b", name="B"),
    }
    first_b = rules.create_shopping_list("l", "o", [want("p-b", "s-b"), want("p-a", "s-a")], stores, products)
    first_a = rules.create_shopping_list("l", "o", [want("p-a", "s-a"), want("p-b", "s-b")], stores, products)
    assert [s.store_location for s in first_b.stops] == ["West", "East"]
    assert [s.store_location for s in first_a.stops] == ["East", "West"]


def test_the_same_product_wanted_twice_is_listed_twice() -> None:
    shopping_list = rules.create_shopping_list(
        "list-1", "o-1", [want("p-1", "s-1", 1), want("p-1", "s-1", 2)], STORES, PRODUCTS
    )
    assert shopping_list.stops[0].items == (
        ListItem(product_id="p-1", product_name="Widget", quantity=1),
        ListItem(product_id="p-1", product_name="Widget", quantity=2),
    )


@pytest.mark.parametrize(("quantity", "message"), [(0, "at least 1"), (-1, "at least 1"), (1001, "more than 1000")])
def test_a_line_quantity_out_of_bounds_is_refused(quantity: int, message: str) -> None:
    # an operator opens lists by hand too (POST /api/depot/shopping): depot checks what it is given
    with pytest.raises(InvalidArgument, match=message):
        rules.create_shopping_list("list-1", "o-1", [want("p-1", "s-1", quantity)], STORES, PRODUCTS)


@pytest.mark.parametrize(
    ("wanted", "error", "message"),
    [
        ([], InvalidArgument, "the shopping list has no items"),
        ([want("p-9", "s-1")], NotFound, "the product p-9 does not exist"),
        ([want("p-gone", "s-1")], NotFound, "the product p-gone does not exist"),
        ([want("p-1", "s-2")], InvalidArgument, "the product p-1 is not sold by store s-2"),
        ([want("p-1", "")], InvalidArgument, "the product p-1 is not sold by store "),
        ([want("p-orphan", "s-unknown")], NotFound, "the store s-unknown does not exist"),
        ([want("p-off", "s-off")], Conflict, "the store Closed Shop is not participating in the mall"),
        # lines are checked in turn: the first bad one is reported
        ([want("p-1", "s-1"), want("p-9", "s-1"), want("p-off", "s-off")], NotFound, "the product p-9 does not exist"),
        (
            [want("p-1", "s-1"), want("p-off", "s-off"), want("p-9", "s-1")],
            Conflict,
            "the store Closed Shop is not participating in the mall",
        ),
        # within a line: existence, then the store it is sold by, then that store's presence and participation
        ([want("p-gone", "s-2")], NotFound, "the product p-gone does not exist"),
        ([want("p-off", "s-1")], InvalidArgument, "the product p-off is not sold by store s-1"),
        ([want("p-orphan", "s-1")], InvalidArgument, "the product p-orphan is not sold by store s-1"),
    ],
    ids=[
        "no lines",
        "unknown product",
        "removed product",
        "product of another store",
        "blank store",
        "unknown store",
        "store not participating",
        "first bad line wins (unknown)",
        "first bad line wins (not participating)",
        "removed before store mismatch",
        "mismatch before participation",
        "mismatch before unknown store",
    ],
)
def test_a_list_that_cannot_be_shopped_is_refused(wanted: list[Wanted], error: type[DomainError], message: str) -> None:
    with pytest.raises(error) as caught:
        rules.create_shopping_list("list-1", "o-1", wanted, STORES, PRODUCTS)
    assert type(caught.value) is error
    assert caught.value.message == message


# --- transitions --------------------------------------------------------------------------------------


def test_a_pending_list_is_made_available() -> None:
    assert rules.initiate(a_list(ShoppingListStatus.PENDING)) == a_list(ShoppingListStatus.AVAILABLE)


def test_making_an_available_list_available_again_changes_nothing() -> None:
    available = a_list(ShoppingListStatus.AVAILABLE)
    assert rules.initiate(available) is available


def test_an_available_list_is_assigned_to_the_bot() -> None:
    assigned = rules.assign(a_list(ShoppingListStatus.AVAILABLE), "bot-1")
    assert assigned == a_list(ShoppingListStatus.ASSIGNED, bot_id="bot-1")


@pytest.mark.parametrize("bot_id", ["  bot-1 ", "bot 1", "bot\x001", "b" * 65])
def test_a_malformed_bot_id_is_refused(bot_id: str) -> None:
    with pytest.raises(InvalidArgument, match=r"^the bot ID is not a valid ID$"):
        rules.assign(a_list(ShoppingListStatus.AVAILABLE), bot_id)


@pytest.mark.parametrize("status", list(ShoppingListStatus))
@pytest.mark.parametrize("blank", BLANKS)
def test_a_blank_bot_id_is_invalid_in_any_status(blank: str, status: ShoppingListStatus) -> None:
    with pytest.raises(InvalidArgument) as caught:
        rules.assign(a_list(status), blank)
    assert caught.value.message == "the bot ID cannot be blank"


def test_an_assigned_list_is_completed_keeping_its_bot() -> None:
    completed = rules.complete(a_list(ShoppingListStatus.ASSIGNED, bot_id="bot-1"))
    assert completed == a_list(ShoppingListStatus.COMPLETED, bot_id="bot-1")


@pytest.mark.parametrize(
    ("status", "bot_id"),
    [
        (ShoppingListStatus.PENDING, None),
        (ShoppingListStatus.AVAILABLE, None),
        (ShoppingListStatus.ASSIGNED, "bot-1"),
    ],
)
def test_a_list_not_yet_completed_is_cancelled_keeping_its_bot(status: ShoppingListStatus, bot_id: str | None) -> None:
    assert rules.cancel(a_list(status, bot_id)) == a_list(ShoppingListStatus.CANCELLED, bot_id)


def test_the_whole_happy_path() -> None:
    shopping_list = rules.create_shopping_list("list-1", "o-1", [want("p-1", "s-1", 2)], STORES, PRODUCTS)
    shopping_list = rules.complete(rules.assign(rules.initiate(shopping_list), "bot-7"))
    assert shopping_list == a_list(ShoppingListStatus.COMPLETED, bot_id="bot-7")


# --- the lifecycle: every status x every command ------------------------------------------------------

S = ShoppingListStatus
COMMANDS: dict[str, Callable[[ShoppingList], ShoppingList]] = {
    "initiate": rules.initiate,
    "assign": lambda sl: rules.assign(sl, "bot-2"),
    "complete": rules.complete,
    "cancel": rules.cancel,
}

# status -> command -> the resulting status, or the conflict message
OUTCOMES: dict[ShoppingListStatus, dict[str, ShoppingListStatus | str]] = {
    S.PENDING: {
        "initiate": S.AVAILABLE,
        "assign": "the shopping list is pending; only an available list can be assigned",
        "complete": "the shopping list is pending; only an assigned list can be completed",
        "cancel": S.CANCELLED,
    },
    S.AVAILABLE: {
        "initiate": S.AVAILABLE,
        "assign": S.ASSIGNED,
        "complete": "the shopping list is available; only an assigned list can be completed",
        "cancel": S.CANCELLED,
    },
    S.ASSIGNED: {
        "initiate": "the shopping list is assigned; only an pending list can be made available",
        "assign": "the shopping list is assigned; only an available list can be assigned",
        "complete": S.COMPLETED,
        "cancel": S.CANCELLED,
    },
    S.COMPLETED: {
        "initiate": "the shopping list is completed; only an pending list can be made available",
        "assign": "the shopping list is completed; only an available list can be assigned",
        "complete": "the shopping list is completed; only an assigned list can be completed",
        "cancel": "the shopping list is already completed",
    },
    S.CANCELLED: {
        "initiate": "the shopping list is cancelled; only an pending list can be made available",
        "assign": "the shopping list is cancelled; only an available list can be assigned",
        "complete": "the shopping list is cancelled; only an assigned list can be completed",
        "cancel": "the shopping list is already cancelled",
    },
}

LIFECYCLE = [(status, command) for status in ShoppingListStatus for command in COMMANDS]


def test_the_lifecycle_table_covers_every_status_and_command() -> None:
    assert set(OUTCOMES) == set(ShoppingListStatus)
    assert all(set(row) == set(COMMANDS) for row in OUTCOMES.values())


@pytest.mark.parametrize(("status", "command"), LIFECYCLE, ids=[f"{s.value}-{c}" for s, c in LIFECYCLE])
def test_every_command_in_every_status_is_either_applied_or_a_conflict(
    status: ShoppingListStatus, command: str
) -> None:
    bot_id = "bot-1" if status in (S.ASSIGNED, S.COMPLETED) else None
    shopping_list = a_list(status, bot_id)
    outcome = OUTCOMES[status][command]
    if isinstance(outcome, ShoppingListStatus):
        moved = COMMANDS[command](shopping_list)
        assert moved.status is outcome
        assert moved.stops == shopping_list.stops
        assert moved.order_id == "o-1"
        assert moved.bot_id == ("bot-2" if command == "assign" else bot_id)
    else:
        with pytest.raises(Conflict) as caught:
            COMMANDS[command](shopping_list)
        assert caught.value.message == outcome
        assert caught.value.kind is ErrorKind.CONFLICT


def test_shopping_list_state_is_immutable() -> None:
    shopping_list = a_list()
    rules.initiate(shopping_list)
    rules.cancel(shopping_list)
    assert shopping_list == a_list()
    with pytest.raises(ValidationError, match="frozen"):
        shopping_list.status = S.CANCELLED  # type: ignore[misc]


# --- events -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "depot.ShoppingListCreated",
        "depot.ShoppingListAvailable",
        "depot.ShoppingListAssigned",
        "depot.ShoppingListCompleted",
        "depot.ShoppingListCancelled",
    ],
)
def test_a_shopping_list_event_carries_the_full_snapshot_under_the_list_id(name: str) -> None:
    shopping_list = a_list(S.ASSIGNED, "bot-1")
    event = shopping_list_event(name, 4, NOON, shopping_list)
    assert (event.name, event.aggregate_id, event.number, event.occurred_at) == (name, "list-1", 4, NOON)
    assert event.shopping_list == shopping_list
    assert ShoppingListEvent.model_validate_json(event.model_dump_json()) == event


@pytest.mark.parametrize("name", ["", "depot.ShoppingListDeleted", "ordering.OrderCreated"])
def test_a_shopping_list_event_with_an_unknown_name_cannot_be_built(name: str) -> None:
    with pytest.raises(ValidationError, match="name"):
        shopping_list_event(name, 1, NOON, a_list())
