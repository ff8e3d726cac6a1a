Feature: Customers register and keep their details up to date
  As a customer I register with my name and SMS number, so that I can shop and be told about my orders.
  As an operator I disable a customer who must not shop for a while, and enable them again.

  Scenario: A customer registers
    When "Alice" registers with the SMS number "+1 555 0100"
    Then "Alice" is registered with the SMS number "+1 555 0100"
    And the customer is enabled

  Scenario Outline: Registration needs a name and a phone number
    When "<name>" registers with the SMS number "<sms>"
    Then the request is refused with 400 "<message>"

    Examples:
      | name  | sms         | message                                        |
      |       | +1 555 0100 | the customer name cannot be blank              |
      | Alice |             | the SMS number cannot be blank                 |
      | Alice | call me     | the SMS number 'call me' is not a phone number |
      | Alice | 12          | the SMS number '12' is not a phone number      |
      | Alice | +1 555 abcd | the SMS number '+1 555 abcd' is not a phone number |

  Scenario: A customer changes the SMS number
    Given a registered customer "Alice" with the SMS number "+1 555 0100"
    When the customer changes the SMS number to "+44 20 7946 0958"
    Then "Alice" is registered with the SMS number "+44 20 7946 0958"

  Scenario: A number that is not a phone number is refused and the old one kept
    Given a registered customer "Alice" with the SMS number "+1 555 0100"
    When the customer changes the SMS number to "not a number"
    Then the request is refused with 400 "the SMS number 'not a number' is not a phone number"
    And "Alice" is registered with the SMS number "+1 555 0100"

  Scenario: An operator disables a customer, who can no longer shop, and enables them again
    Given a registered customer "Alice"
    When an operator disables the customer
    Then the customer is disabled
    When the customer starts a basket
    Then the request is refused with 409 "the customer {customer.id} is disabled"
    When an operator enables the customer
    Then the customer is enabled
    When the customer starts a basket
    Then the customer has an open, empty basket

  Scenario Outline: Disabling or enabling a customer twice is refused
    Given a registered customer "Alice"
    And the customer is <state>
    When an operator <command> the customer
    Then the request is refused with 409 "the customer is already <state>"

    Examples:
      | state    | command  |
      | enabled  | enables  |
      | disabled | disables |

  Scenario: A customer who never registered is not found
    When an operator looks up a customer who never registered
    Then the request is refused with 404 "the customer {Ghost.id} does not exist"
