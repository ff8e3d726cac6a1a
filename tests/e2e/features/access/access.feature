Feature: Everyone acts as who they are
  As a customer I see and change only what is mine, and act only for myself; as a store owner I run only
  the stores I opened; as a bot I complete only the lists I took, and take them as myself. What is someone
  else's answers as if it did not exist, what my role may not do at all is forbidden, and without a valid
  token the mall does nothing for me.

  Background:
    Given a participating store "Waldorf" selling "Widget" at 10.00
    And a registered customer "Alice"

  Scenario: A customer cannot cancel another customer's order
    Given the customer has an approved order of 1 "Widget"
    And a registered customer "Bob"
    When "Bob" cancels the order of "Alice"
    Then the request is refused with 404 "the order {order.id} does not exist"
    And the order is approved

  Scenario: A customer cannot pay another customer's invoice
    Given the customer has a ready order of 1 "Widget"
    And a registered customer "Bob"
    When "Bob" pays the invoice of "Alice"
    Then the request is refused with 404 "the invoice {order.id} does not exist"
    And the invoice is pending

  Scenario: A customer cannot change another customer's SMS number
    Given a registered customer "Bob"
    When "Bob" changes the SMS number of "Alice" to "+1 555 0199"
    Then the request is refused with 404 "the customer {Alice.id} does not exist"
    And "Alice" is registered with the SMS number "+1 555 0100"

  Scenario Outline: A customer cannot see another customer's <thing>
    Given the customer has a ready order of 1 "Widget"
    And a registered customer "Bob"
    When "Bob" looks up the <thing> of "Alice"
    Then the request is refused with 404 "<message>"

    Examples:
      | thing        | message                                |
      | order        | the order {order.id} does not exist    |
      | basket       | the basket {basket.id} does not exist  |
      | payment      | the payment {payment.id} does not exist |
      | invoice      | the invoice {order.id} does not exist  |
      | details      | the customer {Alice.id} does not exist |
      | search entry | the order {order.id} does not exist    |
      | messages     | the customer {Alice.id} does not exist |

  Scenario Outline: A customer acts only for itself: it cannot <action> for another customer
    Given a registered customer "Bob"
    When "Bob" tries to <action> for "Alice"
    Then the request is refused with 403 "a customer acts only for itself; the body names another customer"

    Examples:
      | action                      |
      | start a basket              |
      | authorize a payment         |
      | order 1 "Widget" directly   |
      | search the orders           |

  Scenario: A store owner cannot change another store owner's products
    When store owner "Eve" increases the price of "Widget" to 12.00
    Then the request is refused with 404 "the product {Widget.id} does not exist"
    When store owner "Eve" removes the product "Widget"
    Then the request is refused with 404 "the product {Widget.id} does not exist"
    And the price of "Widget" is 10.00

  Scenario: A store owner cannot run another store owner's store
    When store owner "Eve" rebrands "Waldorf" as "Eve's Emporium"
    Then the request is refused with 404 "the store {Waldorf.id} does not exist"
    When store owner "Eve" withdraws "Waldorf" from the mall
    Then the request is refused with 404 "the store {Waldorf.id} does not exist"
    When store owner "Eve" adds "Knockoff" at 1.00 to the catalogue of "Waldorf"
    Then the request is refused with 404 "the store {Waldorf.id} does not exist"
    And the store "Waldorf" is listed at "Level 1" and is participating
    And the catalogue of "Waldorf" lists:
      | product | price |
      | Widget  | 10.00 |

  Scenario Outline: A <role> may not <action>
    When a <role> tries to <action>
    Then the request is refused with 403 "this needs the role <allowed>; the token has <has>"

    Examples:
      | role        | action                          | allowed                 | has         |
      | customer    | disable a customer              | operator                | customer    |
      | customer    | enable a customer               | operator                | customer    |
      | customer    | open a store                    | operator or store_owner | customer    |
      | customer    | take a shopping list            | bot or operator         | customer    |
      | customer    | list the shopping lists         | bot or operator         | customer    |
      | customer    | cancel a shopping list by hand  | operator                | customer    |
      | store owner | register as a customer          | customer or operator    | store_owner |
      | store owner | start a basket                  | customer or operator    | store_owner |
      | store owner | disable a customer              | operator                | store_owner |
      | bot         | cancel an order                 | customer or operator    | bot         |
      | bot         | pay an invoice                  | customer or operator    | bot         |
      | bot         | rebrand a store                 | operator or store_owner | bot         |
      | bot         | cancel a shopping list by hand  | operator                | bot         |
      | bot         | search the orders               | customer or operator    | bot         |

  Scenario: Only an operator cancels a shopping list by hand
    Given the customer has an approved order of 1 "Widget"
    When a bot tries to cancel the shopping list by hand
    Then the request is refused with 403 "this needs the role operator; the token has bot"
    And the shopping list is available
    When an operator cancels the shopping list by hand
    Then the shopping list is cancelled

  Scenario: A bot completes only the shopping list it took
    Given the customer has an approved order of 1 "Widget"
    And bot "bot-7" has taken the shopping list
    When bot "bot-9" completes the shopping list
    Then the request is refused with 404 "the shopping list {list.id} does not exist"
    And the shopping list is assigned to "bot-7"
    When bot "bot-7" completes the shopping list
    Then the shopping list is completed
    And the order is ready

  Scenario: A bot takes a shopping list only as itself
    Given the customer has an approved order of 1 "Widget"
    When bot "bot-7" takes the shopping list for bot "bot-9"
    Then the request is refused with 403 "a bot acts only as itself: its bot ID is its token's subject"
    And the shopping list is available

  Scenario Outline: A request with <token> is refused
    When someone lists the stores with <token>
    Then the request is refused with 401 "<message>"

    Examples:
      | token                          | message                                               |
      | no token                       | a bearer token is required                            |
      | a token that has expired       | the token has expired                                 |
      | a token signed by another key  | the token is not valid: Signature verification failed |
      | a token for another API        | the token is not for this API (audience)              |

  Scenario: Something that is not a token is refused
    When someone lists the stores with something that is not a token
    Then the request is refused with 401 mentioning "the token is not valid"
