Feature: Bots pick the shopping lists of approved orders
  As a bot in the depot I take an available shopping list, walk its stops and complete it,
  which makes the customer's order ready. A bot takes a list as itself and completes only the lists it took.
  As an operator I see the lists by status, and may assign a list to a bot I name.

  Background:
    Given a participating store "Waldorf" at "Level 1" selling "Widget" at 19.99
    And a participating store "Astoria" at "Level 3" selling "Gizmo" at 50.00
    And a registered customer "Alice"
    And the customer has an approved order of 2 "Widget" and 1 "Gizmo"

  Scenario: An approved order gives the bots a list with one stop per store
    Then the shopping list is available with these stops:
      | store   | location | product | quantity |
      | Astoria | Level 3  | Gizmo   | 1        |
      | Waldorf | Level 1  | Widget  | 2        |

  Scenario: A bot takes a shopping list and completes it
    When bot "bot-7" takes the shopping list
    Then the shopping list is assigned to "bot-7"
    When the bot completes the shopping list
    Then the shopping list is completed
    And the order is ready

  Scenario: An operator who assigns a list must name the bot
    When an operator assigns the shopping list to bot ""
    Then the request is refused with 400 "the bot ID cannot be blank"
    And the shopping list is available

  Scenario: An operator assigns a list to a bot, which completes it
    When an operator assigns the shopping list to bot "bot-7"
    Then the shopping list is assigned to "bot-7"
    When the bot completes the shopping list
    Then the shopping list is completed
    And the order is ready

  Scenario: A list another bot took cannot be taken
    Given bot "bot-7" has taken the shopping list
    When bot "bot-9" takes the shopping list
    Then the request is refused with 409 "the shopping list is assigned; only an available list can be assigned"
    And the shopping list is assigned to "bot-7"

  Scenario Outline: A list that is <state> cannot be taken
    Given the shopping list is <state>
    When bot "bot-9" takes the shopping list
    Then the request is refused with 409 "the shopping list is <state>; only an available list can be assigned"
    And the shopping list is <state>

    Examples:
      | state     |
      | completed |
      | cancelled |

  Scenario: A list no bot took cannot be completed
    # to a bot, a list that is not its own is not there to complete
    When bot "bot-7" completes the shopping list
    Then the request is refused with 404 "the shopping list {list.id} does not exist"
    When an operator completes the shopping list
    Then the request is refused with 409 "the shopping list is available; only an assigned list can be completed"
    And the shopping list is available
    And the order is approved

  Scenario: An operator lists the shopping lists by status
    When the operator lists the available shopping lists
    Then every list shown is available and the customer's list is among them
    When the operator lists the assigned shopping lists
    Then every list shown is assigned and the customer's list is not among them
    When bot "bot-7" takes the shopping list
    When the operator lists the assigned shopping lists
    Then every list shown is assigned and the customer's list is among them
    When the operator lists the available shopping lists
    Then every list shown is available and the customer's list is not among them

  Scenario: A shopping list that does not exist is not found
    When bot "bot-7" takes a shopping list that does not exist
    Then the request is refused with 404 "the shopping list {list.id} does not exist"
