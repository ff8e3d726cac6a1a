Feature: A request sent again is not a second request
  As a client of the mall's API (a shop front, a bot, the busywork simulator) that is not sure a POST
  arrived, I send it again with the same Idempotency-Key: I get the first answer back, never a second
  entity. A new key is a new request. Keys are mine: each request is sent by its user.

  Background:
    Given a participating store "Waldorf" selling "Widget" at 19.99
    And a registered customer "Alice"
    And the customer has authorized a payment of 500.00

  Scenario Outline: The same request to <action> sent again with its key creates one <entity>
    When the request to <action> is sent twice at once with the same Idempotency-Key
    And that request is sent once more with its key
    Then every answer names the same <entity>
    And the mall holds that one <entity>
    When the request to <action> is sent with another Idempotency-Key
    Then that answer names another <entity>

    Examples:
      | action                           | entity   |
      | open the store "Bazaar"          | store    |
      | add "Doodad" at 2.50 to "Waldorf" | product  |
      | register "Bob" by an operator    | customer |
      | authorize a payment of 20.00     | payment  |
      | start a basket                   | basket   |
      | order 1 "Widget" directly        | order    |

  Scenario: A customer who registers again is the same customer, whatever the key
    When the request to register "Bob" is sent twice at once with the same Idempotency-Key
    And that request is sent once more with its key
    Then every answer names the same customer
    And the mall holds that one customer
    When the request to register "Bob" is sent with another Idempotency-Key
    Then that answer names the same customer
