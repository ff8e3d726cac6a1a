Feature: A store owner runs a store in the mall
  As a store owner I open my store, fill its catalogue and decide when it takes part in the mall,
  so that customers can buy my products and the bots can pick them.

  Scenario: A store owner opens a store and fills its catalogue
    When the store owner opens a store "Waldorf" at "Level 1"
    And the store owner adds "Widget" at 19.99 to the catalogue of "Waldorf"
    And the store owner adds "Gadget" at 5.00 to the catalogue of "Waldorf"
    Then the store "Waldorf" is listed at "Level 1" and is not participating
    And the catalogue of "Waldorf" lists:
      | product | price |
      | Gadget  | 5.00  |
      | Widget  | 19.99 |

  Scenario Outline: A store needs a name and a location
    When the store owner opens a store "<name>" at "<location>"
    Then the request is refused with 400 "<message>"
    And no store "<name>" is listed

    Examples:
      | name    | location | message                                |
      |         | Level 1  | the store name cannot be blank         |
      | Waldorf |          | the store location cannot be blank     |

  Scenario Outline: A product needs a name and a price that is not negative
    Given a store "Waldorf"
    When the store owner adds "<product>" at <price> to the catalogue of "Waldorf"
    Then the request is refused with 400 "<message>"
    And the catalogue of "Waldorf" is empty

    Examples:
      | product | price      | message                                            |
      |         | 1.00       | the product name cannot be blank                   |
      | Widget  | -0.01      | the product price cannot be negative               |
      | Widget  | 1000000.01 | the product price cannot be more than 1000000.00   |

  Scenario: A price in fractions of a cent is refused, not rounded
    Given a store "Waldorf"
    When the store owner adds "Widget" at 19.999 to the catalogue of "Waldorf"
    Then the request is refused with 400 mentioning "product price"
    And the catalogue of "Waldorf" is empty

  Scenario: A product cannot be added to a store that does not exist
    When the store owner adds "Widget" at 1.00 to the catalogue of a store that does not exist
    Then the request is refused with 404 "the store {Nowhere.id} does not exist"

  Scenario: A store owner enables participation and the store joins the mall
    Given a store "Waldorf"
    When the store owner enables the participation of "Waldorf"
    Then the store "Waldorf" is participating
    And the store "Waldorf" is among the participating stores

  Scenario: Enabling participation twice is refused
    Given a participating store "Waldorf"
    When the store owner enables the participation of "Waldorf"
    Then the request is refused with 409 "the store is already participating"
    And the store "Waldorf" is participating

  Scenario: A store owner withdraws the store from the mall
    Given a participating store "Waldorf" selling "Widget" at 19.99
    When the store owner disables the participation of "Waldorf"
    Then the store "Waldorf" is not participating
    And the store "Waldorf" is not among the participating stores

  Scenario: A store that does not participate cannot be withdrawn
    Given a store "Waldorf"
    When the store owner disables the participation of "Waldorf"
    Then the request is refused with 409 "the store is not participating"

  Scenario: A store owner rebrands the store
    Given a participating store "Waldorf" at "Level 2"
    When the store owner rebrands "Waldorf" as "Astoria"
    Then the store "Waldorf" is now called "Astoria"
    And the store "Waldorf" is listed as "Astoria" at "Level 2" and is participating

  Scenario: A store cannot be rebranded to a blank name
    Given a store "Waldorf"
    When the store owner rebrands "Waldorf" as ""
    Then the request is refused with 400 "the store name cannot be blank"
    And the store "Waldorf" is now called "Waldorf"

  Scenario: A product cannot be rebranded to a blank name
    Given a store "Waldorf" selling "Widget" at 19.99
    When the store owner rebrands the product "Widget" as "" described as "Nameless"
    Then the request is refused with 400 "the product name cannot be blank"
    And the product "Widget" is called "Widget" and described as ""

  Scenario: A store owner rebrands a product
    Given a store "Waldorf" selling "Widget" at 19.99
    When the store owner rebrands the product "Widget" as "Sprocket" described as "Shiny and new"
    Then the product "Widget" is called "Sprocket" and described as "Shiny and new"
    And the catalogue of "Waldorf" lists:
      | product  | price |
      | Sprocket | 19.99 |

  Scenario Outline: A store owner changes a price
    Given a store "Waldorf" selling "Widget" at 10.00
    When the store owner <changes> the price of "Widget" to <price>
    Then the price of "Widget" is <price>

    Examples:
      | changes   | price  |
      | increases | 10.01  |
      | increases | 250.00 |
      | decreases | 9.99   |
      | decreases | 0.00   |

  Scenario Outline: A price change must go the way it says
    Given a store "Waldorf" selling "Widget" at 10.00
    When the store owner <changes> the price of "Widget" to <price>
    Then the request is refused with 400 "<message>"
    And the price of "Widget" is 10.00

    Examples:
      | changes   | price | message                                                    |
      | increases | 10.00 | the new price must be higher than the current price 10.00 |
      | increases | 9.99  | the new price must be higher than the current price 10.00 |
      | decreases | 10.00 | the new price must be lower than the current price 10.00  |
      | decreases | 10.01 | the new price must be lower than the current price 10.00  |
      | decreases | -1.00 | the product price cannot be negative                       |

  Scenario: A store owner removes a product
    Given a store "Waldorf" selling "Widget" at 19.99 and "Gadget" at 5.00
    When the store owner removes the product "Widget"
    Then the catalogue of "Waldorf" lists:
      | product | price |
      | Gadget  | 5.00  |
    And looking up the product "Widget" answers 404 "the product {Widget.id} does not exist"

  Scenario: A removed product can no longer be changed
    Given a store "Waldorf" selling "Widget" at 19.99
    And the store owner has removed the product "Widget"
    When the store owner increases the price of "Widget" to 29.99
    Then the request is refused with 404 "the product {Widget.id} does not exist"
