Feature: Customers and operators find orders
  As a customer I look up my orders by status, store, product and total, a page at a time.
  As an operator I find the orders that went through a store, whoever placed them.
  Search answers newest first.

  Background:
    Given a participating store "Waldorf" selling "Widget" at 19.99 and "Gadget" at 5.00
    And a participating store "Astoria" selling "Gizmo" at 50.00
    And a registered customer "Alice"
    And the customer has placed these orders:
      | order | items               | state     |
      | A     | 1 "Widget"          | completed |
      | B     | 2 "Gadget"          | approved  |
      | C     | 1 "Gizmo"           | approved  |
      | D     | 1 "Widget", 1 "Gizmo" | cancelled |
      | E     | 1 "Gadget"          | rejected  |

  Scenario Outline: A customer finds their orders with <filters>
    When the customer searches their orders with <filters>
    Then the search finds <found>

    Examples:
      | filters                                              | found         |
      | no other filter                                      | E, D, C, B, A |
      | status completed                                     | A             |
      | status approved                                      | C, B          |
      | status cancelled                                     | D             |
      | status rejected                                      | E             |
      | store Astoria                                        | D, C          |
      | store Waldorf                                        | E, D, B, A    |
      | store Waldorf and status approved                    | B             |
      | product Gadget                                       | E, B          |
      | a minimum total of 19.99                             | D, C, A       |
      | a maximum total of 10.00                             | E, B          |
      | a minimum total of 10.00 and a maximum total of 50.00 | C, B, A       |
      | status ready                                         | nothing       |

  Scenario: A customer pages through their orders
    When the customer pages through their orders 2 at a time
    Then the pages hold 2, 2 and 1 orders
    And together the pages hold E, D, C, B, A

  Scenario: An operator finds the orders that went through a store, whoever placed them
    Given a registered customer "Bob"
    And the customer has placed these orders:
      | order | items     | state    |
      | F     | 3 "Gizmo" | approved |
    When an operator searches the orders with store Astoria
    Then the search finds F, D, C
    And order F was placed by "Bob" for 150.00

  Scenario: Search shows today's names of stores and products, the order shows them as sold
    When the store owner rebrands "Astoria" as "Ritz"
    And the store owner rebrands the product "Gizmo" as "Doohickey" described as "Now with more doohick"
    Then search shows order C with "Doohickey" from "Ritz"
    And order C lists "Gizmo" from "Astoria" as sold
