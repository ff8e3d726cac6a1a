Feature: Customers authorize payments and pay the invoices of their ready orders
  As a customer I authorize a payment before I check out; when the bots have picked my order I pay its
  invoice, which captures the payment I authorized.

  Background:
    Given a participating store "Waldorf" selling "Widget" at 19.99
    And a registered customer "Alice"

  Scenario: A customer authorizes a payment
    When the customer authorizes a payment of 150.00
    Then the payment is authorized for 150.00

  Scenario Outline: A payment must be for an amount greater than zero
    When the customer authorizes a payment of <amount>
    Then the request is refused with 400 "the payment amount must be greater than zero"

    Examples:
      | amount |
      | 0      |
      | 0.00   |
      | -5.00  |

  Scenario: A payment in fractions of a cent is refused, not rounded
    When the customer authorizes a payment of 0.001
    Then the request is refused with 400 mentioning "payment amount"

  Scenario: A payment needs a registered customer
    When a payment of 10.00 is authorized for a customer who never registered
    Then the request is refused with 404 "the customer {Ghost.id} is not registered"

  Scenario: A disabled customer cannot authorize a payment
    Given an operator has disabled the customer
    When the customer authorizes a payment of 10.00
    Then the request is refused with 409 "the customer {customer.id} is disabled"

  Scenario: A customer pays the invoice of a ready order
    Given the customer has a ready order of 2 "Widget"
    Then an invoice of 39.98 is pending for the order
    And the payment is reserved for the order
    When the customer pays the invoice
    Then the invoice is paid
    And the payment is captured
    And the order is completed

  Scenario: An invoice cannot be paid twice
    Given the customer has a completed order of 1 "Widget"
    When the customer pays the invoice
    Then the request is refused with 409 "the invoice is paid; only a pending invoice can be paid"
    And the invoice is paid
    And the order is completed

  Scenario: An order that is not ready has no invoice to pay
    Given the customer has an approved order of 1 "Widget"
    When the customer pays the invoice
    Then the request is refused with 404 "the invoice {order.id} does not exist"
    And the order is approved
