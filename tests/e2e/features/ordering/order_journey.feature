Feature: An order goes from checkout to completion, or is turned down and undone
  As a customer I check out my basket and the mall takes my order through its steps: my account is checked,
  the bots get a shopping list, my payment is reserved, and once the bots are done I pay the invoice.
  When a step turns my order down, whatever was already done for it is undone.

  Background:
    Given a participating store "Waldorf" at "Level 1" selling "Widget" at 19.99 and "Gadget" at 5.00
    And a registered customer "Alice"

  Scenario: An order goes all the way to completed
    Given the customer has a basket with 2 "Widget" and 1 "Gadget"
    When the customer checks out with a payment of 200.00
    Then the order is approved for a total of 44.98
    And the payment is reserved for the order
    And the shopping list is available with these stops:
      | store   | location | product | quantity |
      | Waldorf | Level 1  | Widget  | 2        |
      | Waldorf | Level 1  | Gadget  | 1        |
    When bot "bot-7" takes the shopping list
    Then the shopping list is assigned to "bot-7"
    When the bot completes the shopping list
    Then the order is ready
    And an invoice of 44.98 is pending for the order
    When the customer pays the invoice
    Then the order is completed
    And the invoice is paid
    And the payment is captured
    And the shopping list is completed

  Scenario: The order of a disabled customer is rejected and holds nothing
    Given the customer has a basket with 1 "Widget"
    And the customer has authorized a payment of 100.00
    And an operator has disabled the customer
    When the customer checks out with that payment
    Then the order is rejected because "the customer {customer.id} is disabled"
    And the payment is authorized
    And no shopping list was made for the order

  Scenario: An order the payment does not cover is rejected and undone
    Given the customer has a basket with 5 "Widget"
    When the customer checks out with a payment of 50.00
    Then the order is rejected because "the payment of 50.00 does not cover the order total 99.95"
    And the shopping list is cancelled
    # never reserved by this order, so its compensation leaves the authorization usable
    And the payment is authorized

  Scenario: A customer cannot pay with someone else's payment
    Given another customer "Bob" has authorized a payment of 100.00
    And the customer has a basket with 1 "Gadget"
    When the customer checks out with that payment
    Then the order is rejected because "the payment {payment.id} belongs to another customer"
    And the shopping list is cancelled
    And the payment is authorized

  Scenario: A payment pays for one order only
    Given the customer has an approved order of 1 "Gadget"
    And the customer has a basket with 1 "Widget"
    When the customer checks out with that payment
    Then the order is rejected because "the payment {payment.id} is reserved by order {first order.id}"

  Scenario: A customer cancels an approved order and everything it held is released
    Given the customer has a basket with 1 "Widget"
    And the customer has checked out with a payment of 100.00
    And the order is approved
    When the customer cancels the order
    Then the order is cancelled
    And the shopping list is cancelled
    And the payment is released

  Scenario Outline: An order that is <state> can no longer be cancelled
    Given the customer has a <state> order of 1 "Widget"
    When the customer cancels the order
    Then the request is refused with 409 "the order is <state> and can no longer be cancelled"
    And the order is <state>

    Examples:
      | state     |
      | ready     |
      | completed |
      | rejected  |
      | cancelled |

  Scenario: A customer orders directly, without a basket
    Given the customer has authorized a payment of 100.00
    When the customer orders 3 "Gadget" and 1 "Widget" directly with that payment
    Then the order is approved for a total of 34.99
    And the order lists:
      | product | store   | quantity | price |
      | Gadget  | Waldorf | 3        | 5.00  |
      | Widget  | Waldorf | 1        | 19.99 |

  Scenario: A direct order for a product nobody sells is rejected
    Given the customer has authorized a payment of 100.00
    When the customer orders 1 "Nonesuch" directly with that payment
    Then the order is rejected because "the product {Nonesuch.id} does not exist"
    And the payment is authorized

  Scenario: A direct order for a product of a store that left the mall is rejected
    Given the store owner has withdrawn "Waldorf" from the mall
    And the customer has authorized a payment of 100.00
    When the customer orders 1 "Widget" directly with that payment
    Then the order is rejected because "the store {Waldorf} is not participating in the mall"
    And the payment is authorized

  Scenario: A basket item whose product was removed since is turned down at checkout
    Given the customer has a basket with 1 "Widget"
    And the store owner has removed the product "Widget"
    When the customer checks out with a payment of 100.00
    Then the order is rejected because "the product {Widget.id} does not exist"
    And the payment is authorized

  Scenario: A basket item whose store left the mall since is turned down at checkout
    Given the customer has a basket with 1 "Widget"
    And the store owner has withdrawn "Waldorf" from the mall
    When the customer checks out with a payment of 100.00
    Then the order is rejected because "the store {Waldorf} is not participating in the mall"
    And the payment is authorized

  Scenario: An order that does not exist cannot be cancelled
    When the customer cancels an order that does not exist
    Then the request is refused with 404 "the order {order.id} does not exist"
