Feature: A search the mall cannot answer is refused
  As a client of the search API I am told plainly what is wrong with my search.

  Scenario Outline: A search with <search> is refused
    Given a registered customer "Alice"
    When the customer searches their orders with <search>
    Then the request is refused with 400 "<message>"

    Examples:
      | search                                                                       | message                                    |
      | a limit of 0                                                                 | limit must be between 1 and 100            |
      | a limit of 101                                                               | limit must be between 1 and 100            |
      | the page token "not-a-cursor"                                                | next is not a cursor this API gave out     |
      | a minimum total of 10.00 and a maximum total of 5.00                         | minTotal cannot be more than maxTotal      |
      | a minimum total of -1.00                                                     | minTotal and maxTotal must be zero or more |
      | created after 2026-01-02T00:00:00Z and created before 2026-01-01T00:00:00Z   | after must be earlier than before          |
      | created after 2026-01-02T00:00:00                                            | after and before need a time zone (e.g. 2026-11-28T10:00:00Z) |

  Scenario: An order that does not exist is not found by search
    When an operator looks up an order that does not exist in search
    Then the request is refused with 404 "the order {order.id} does not exist"
