Feature: A customer fills a basket and checks it out
  As a customer I put products of the mall's stores in a basket, see what it costs, and check it out
  with a payment I authorized, which places my order.

  Background:
    Given a participating store "Waldorf" selling "Widget" at 19.99 and "Gadget" at 5.00
    And a registered customer "Alice"

  Scenario: A customer fills a basket
    When the customer starts a basket
    And the customer adds 2 "Widget" to the basket
    And the customer adds 3 "Gadget" to the basket
    Then the basket is open and holds:
      | product | store   | quantity | price |
      | Widget  | Waldorf | 2        | 19.99 |
      | Gadget  | Waldorf | 3        | 5.00  |
    And the basket total is 54.98

  Scenario: Adding a product again adds to its quantity
    Given the customer has a basket with 1 "Gadget"
    When the customer adds 2 "Gadget" to the basket
    Then the basket is open and holds:
      | product | store   | quantity | price |
      | Gadget  | Waldorf | 3        | 5.00  |
    And the basket total is 15.00

  Scenario: A customer takes items out of the basket
    Given the customer has a basket with 2 "Widget" and 3 "Gadget"
    When the customer removes 1 "Gadget" from the basket
    And the customer removes 2 "Widget" from the basket
    Then the basket is open and holds:
      | product | store   | quantity | price |
      | Gadget  | Waldorf | 2        | 5.00  |
    And the basket total is 10.00

  Scenario: A product that is not in the basket cannot be taken out
    Given the customer has a basket with 1 "Gadget"
    When the customer removes 1 "Widget" from the basket
    Then the request is refused with 404 "the product {Widget.id} is not in the basket"

  Scenario: The price is the one the customer saw when adding the item
    Given the customer has a basket with 1 "Widget"
    And the store owner has increased the price of "Widget" to 25.00
    When the customer adds 1 "Widget" to the basket
    Then the basket total is 39.98
    When the customer starts a basket
    And the customer adds 1 "Widget" to the basket
    Then the basket total is 25.00

  Scenario: A basket needs a registered customer
    When a basket is started for a customer who never registered
    Then the request is refused with 404 "the customer {Ghost.id} is not registered"

  Scenario Outline: A basket refuses items it cannot hold
    Given the customer has a basket with 1 "Gadget"
    When the customer adds <quantity> "<product>" to the basket
    Then the request is refused with <status> "<message>"
    And the basket total is 5.00

    Examples:
      | product  | quantity | status | message                                  |
      | Widget   | 0        | 400    | the quantity must be at least 1          |
      | Widget   | -2       | 400    | the quantity must be at least 1          |
      | Widget   | 1001     | 400    | the quantity cannot be more than 1000    |
      | Nonesuch | 1        | 404    | the product {Nonesuch.id} does not exist |

  Scenario: A removed product cannot be added
    Given the customer has a basket with 1 "Gadget"
    And the store owner has removed the product "Widget"
    When the customer adds 1 "Widget" to the basket
    Then the request is refused with 404 "the product {Widget.id} does not exist"

  Scenario: Products of a store that does not take part in the mall cannot be added
    Given a store "Corner Shop" selling "Trinket" at 2.50
    And the customer has a basket with 1 "Gadget"
    When the customer adds 1 "Trinket" to the basket
    Then the request is refused with 409 "the store {Corner Shop} is not participating in the mall"
    And the basket total is 5.00

  Scenario: A customer cancels a basket and can no longer fill it
    Given the customer has a basket with 1 "Gadget"
    When the customer cancels the basket
    Then the basket is cancelled
    When the customer adds 1 "Widget" to the basket
    Then the request is refused with 409 "the basket is cancelled"

  Scenario: Checking out places the order and closes the basket
    Given the customer has a basket with 2 "Widget"
    And the customer has authorized a payment of 100.00
    When the customer checks out with that payment
    Then the basket is checked out
    And the order of the basket is placed for a total of 39.98
    When the customer adds 1 "Gadget" to the basket
    Then the request is refused with 409 "the basket is checked out"

  Scenario: An empty basket cannot be checked out
    Given the customer has authorized a payment of 100.00
    When the customer starts a basket
    And the customer checks out with that payment
    Then the request is refused with 400 "the basket is empty"
    And the basket is open

  Scenario: A basket cannot be checked out without a payment
    Given the customer has a basket with 1 "Widget"
    When the customer checks out without a payment
    Then the request is refused with 400 "the payment ID cannot be blank"
    And the basket is open

  Scenario: A basket that does not exist is not found
    When the customer adds 1 "Widget" to a basket that does not exist
    Then the request is refused with 404 "the basket {basket.id} does not exist"
