Feature: Customers are told by SMS how their orders are doing
  As a customer I get an SMS when the mall receives my order, when it is ready to pay, when it is complete,
  and, with the reason, when it could not be placed or was cancelled.

  Background:
    Given a participating store "Waldorf" selling "Widget" at 19.99
    And a registered customer "Alice" with the SMS number "+1 555 0100"

  Scenario: A customer is told about every step of a completed order
    Given the customer has a completed order of 2 "Widget"
    Then the customer has received these messages about the order, newest first:
      | event                   | message                                                                      |
      | ordering.OrderCompleted | Hi {Alice}, your order {order.ref} is paid and complete. Thank you!          |
      | ordering.OrderReadied   | Hi {Alice}, your order {order.ref} is ready. Please pay the invoice of 39.98. |
      | ordering.OrderCreated   | Hi {Alice}, we received your order {order.ref} for 39.98.                    |
    And every message about the order went to "+1 555 0100"

  Scenario: A customer is told why an order could not be placed
    Given the customer has a basket with 1 "Widget"
    When the customer checks out with a payment of 10.00
    Then the order is rejected
    And the customer has received these messages about the order, newest first:
      | event                  | message                                                                                                    |
      | ordering.OrderRejected | Hi {Alice}, your order {order.ref} could not be placed: the payment of 10.00 does not cover the order total 19.99. |
      | ordering.OrderCreated  | Hi {Alice}, we received your order {order.ref} for 19.99.                                                  |

  Scenario: A disabled customer is told why the order could not be placed
    Given the customer has a basket with 1 "Widget"
    And the customer has authorized a payment of 100.00
    And an operator has disabled the customer
    When the customer checks out with that payment
    Then the order is rejected
    And the customer has received these messages about the order, newest first:
      | event                  | message                                                                                |
      | ordering.OrderRejected | Hi {Alice}, your order {order.ref} could not be placed: the customer {customer.id} is disabled. |
      | ordering.OrderCreated  | Hi {Alice}, we received your order {order.ref} for 19.99.                              |

  Scenario: A customer is told that a cancelled order cost nothing
    Given the customer has an approved order of 1 "Widget"
    When the customer cancels the order
    Then the order is cancelled
    And the customer has received these messages about the order, newest first:
      | event                   | message                                                                  |
      | ordering.OrderCancelled | Hi {Alice}, your order {order.ref} has been cancelled; nothing was charged. |
      | ordering.OrderCreated   | Hi {Alice}, we received your order {order.ref} for 19.99.                |

  Scenario: Messages go to the number the customer gave last
    Given the customer has changed the SMS number to "+44 20 7946 0958"
    And the customer has a ready order of 1 "Widget"
    Then every message about the order went to "+44 20 7946 0958"

  Scenario: A customer who has ordered nothing has received nothing
    Then the customer has received no messages

  Scenario: Notifications are listed per customer
    When the notifications are asked for without a customer
    Then the request is refused with 400 "the customer ID cannot be blank"
