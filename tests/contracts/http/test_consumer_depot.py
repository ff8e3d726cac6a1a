"""The client's contract with the depot API: the bots' shopping lists."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pact import match

from .pacts import Caller, Case, ConsumerContract, case_id, consumer_contract, error, exactly, injected, path

LIST = "2d4f6a8c-0e1b-4c3d-9e5f-7a9b1c3d5e7f"  # a shopping list's ID is its order's
NO_LIST = "no-such-list"
AT = {"shoppingListId": LIST}
BOT = "bot-7"  # a bot's ID is its token's subject
THE_BOT = injected("botId", BOT)

UNKNOWN_LIST = error(f"the shopping list {NO_LIST} does not exist", r"^the shopping list .+ does not exist$")


def shopping_list(status: object, bot: object = None, *, with_bot: bool = True) -> dict[str, object]:
    """The list of an order of the provider states: one stop, two of one product. ``with_bot=False`` leaves
    ``botId`` out (null or a string: a type matcher cannot say "either")."""
    return {
        "id": match.str(LIST),
        "orderId": match.str(LIST),
        "status": status,
        **({"botId": bot} if with_bot else {}),
        "stops": match.each_like(
            {
                "storeId": match.str("3c1e2a4b-0d5f-4e6a-8b7c-9d0e1f2a3b4c"),
                "storeName": match.str("Contract Store"),
                "storeLocation": match.str("Level 1"),
                "items": match.each_like(
                    {
                        "productId": match.str("7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"),
                        "productName": match.str("Contract Widget"),
                        "quantity": match.integer(2),
                    }
                ),
            }
        ),
    }


CASES = [
    Case(
        "a request to list all shopping lists",
        "GET",
        "/api/depot/shopping",
        lambda c: c.get_shopping_lists(),
        states=["an available shopping list exists"],
        response={
            "shoppingLists": match.each_like(
                shopping_list(
                    match.regex("available", regex=r"^(pending|available|assigned|completed|cancelled)$"),
                    with_bot=False,
                )
            )
        },
        returns=lambda body: body["shoppingLists"],
        caller=Caller.BOT,
    ),
    Case(
        "a request to list the available shopping lists",
        "GET",
        "/api/depot/shopping",
        lambda c: c.get_shopping_lists("available"),
        states=["an available shopping list exists"],
        query={"status": "available"},
        response={"shoppingLists": match.each_like(shopping_list(exactly("available")))},
        returns=lambda body: body["shoppingLists"],
        caller=Caller.BOT,
    ),
    Case(
        "a request to list the shopping lists of a status that does not exist",
        "GET",
        "/api/depot/shopping",
        lambda c: c.get_shopping_lists("lost"),
        status=400,
        states=["a bot exists"],
        query={"status": "lost"},
        response=error(
            "status: Input should be 'pending', 'available', 'assigned', 'completed' or 'cancelled'",
            r"^status: .+$",
        ),
        caller=Caller.BOT,
    ),
    Case(
        "a request to get a shopping list",
        "GET",
        path("/api/depot/shopping/{shoppingListId}", **AT),
        lambda c: c.get_shopping_list(LIST),
        states=["an available shopping list exists"],
        response={"shoppingList": shopping_list("available")},
        returns=lambda body: body["shoppingList"],
        caller=Caller.BOT,
    ),
    Case(
        "a request to get an unknown shopping list",
        "GET",
        f"/api/depot/shopping/{NO_LIST}",
        lambda c: c.get_shopping_list(NO_LIST),
        status=404,
        states=["a bot exists"],
        response=UNKNOWN_LIST,
        caller=Caller.BOT,
    ),
    Case(
        "a request to assign a bot to a shopping list",
        "PUT",
        path("/api/depot/shopping/{shoppingListId}/assign", **AT),
        lambda c: c.assign_bot(LIST, BOT),
        states=["an available shopping list exists"],
        body={"botId": THE_BOT},
        response={"shoppingList": shopping_list("assigned", THE_BOT)},
        returns=lambda body: body["shoppingList"],
        caller=Caller.BOT,
    ),
    Case(
        "a request to assign no bot to a shopping list",
        "PUT",
        path("/api/depot/shopping/{shoppingListId}/assign", **AT),
        lambda c: c.assign_bot(LIST, ""),
        status=400,
        states=["an available shopping list exists"],
        body={"botId": ""},
        response=error("the bot ID cannot be blank"),
        caller=Caller.OPERATOR,
    ),
    Case(
        "a request to assign a bot to an unknown shopping list",
        "PUT",
        f"/api/depot/shopping/{NO_LIST}/assign",
        lambda c: c.assign_bot(NO_LIST, BOT),
        status=404,
        states=["a bot exists"],
        body={"botId": THE_BOT},
        response=UNKNOWN_LIST,
        caller=Caller.BOT,
    ),
    Case(
        "a request to assign a bot to an assigned shopping list",
        "PUT",
        path("/api/depot/shopping/{shoppingListId}/assign", **AT),
        lambda c: c.assign_bot(LIST, "bot-9"),
        status=409,
        states=["an assigned shopping list exists", "another bot exists"],
        body={"botId": injected("otherBotId", "bot-9")},
        response=error("the shopping list is assigned; only an available list can be assigned"),
        caller=Caller.OTHER_BOT,
    ),
    Case(
        "a request to complete a shopping list",
        "PUT",
        path("/api/depot/shopping/{shoppingListId}/complete", **AT),
        lambda c: c.complete_shopping_list(LIST),
        states=["an assigned shopping list exists"],
        response={"shoppingList": shopping_list("completed", THE_BOT)},
        returns=lambda body: body["shoppingList"],
        caller=Caller.BOT,
    ),
    Case(
        "a request to complete an unknown shopping list",
        "PUT",
        f"/api/depot/shopping/{NO_LIST}/complete",
        lambda c: c.complete_shopping_list(NO_LIST),
        status=404,
        states=["a bot exists"],
        response=UNKNOWN_LIST,
        caller=Caller.BOT,
    ),
    Case(
        "a request by an operator to complete a shopping list no bot was assigned to",
        "PUT",
        path("/api/depot/shopping/{shoppingListId}/complete", **AT),
        lambda c: c.complete_shopping_list(LIST),
        status=409,
        states=["an available shopping list exists"],
        response=error("the shopping list is available; only an assigned list can be completed"),
        caller=Caller.OPERATOR,
    ),
    # ---- which bot ----
    Case(
        "a request by a bot to complete a shopping list no bot was assigned to",
        "PUT",
        path("/api/depot/shopping/{shoppingListId}/complete", **AT),
        lambda c: c.complete_shopping_list(LIST),
        status=404,
        states=["an available shopping list exists"],
        response=error(f"the shopping list {LIST} does not exist", r"^the shopping list .+ does not exist$"),
        caller=Caller.BOT,
    ),
    Case(
        "a request by another bot to complete an assigned shopping list",
        "PUT",
        path("/api/depot/shopping/{shoppingListId}/complete", **AT),
        lambda c: c.complete_shopping_list(LIST),
        status=404,
        states=["an assigned shopping list exists", "another bot exists"],
        response=error(f"the shopping list {LIST} does not exist", r"^the shopping list .+ does not exist$"),
        caller=Caller.OTHER_BOT,
    ),
    Case(
        "a request by a bot to assign another bot to a shopping list",
        "PUT",
        path("/api/depot/shopping/{shoppingListId}/assign", **AT),
        lambda c: c.assign_bot(LIST, "bot-9"),
        status=403,
        states=["an available shopping list exists"],
        body={"botId": "bot-9"},
        response=error("a bot acts only as itself: its bot ID is its token's subject"),
        caller=Caller.BOT,
    ),
]


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsumerContract]:
    yield from consumer_contract("depot", CASES, tmp_path_factory)


@pytest.mark.parametrize("case", CASES, ids=case_id)
async def test_the_client_keeps_its_contract_with_the_depot_api(case: Case, contract: ConsumerContract) -> None:
    await contract.check(case)
