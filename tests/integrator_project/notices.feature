Feature: The plugin brings the Gherkin steps
  Scenario: A suspended customer gets no shipping SMS
    Given a Capillary tenant with the status labels
      | name      | status    | block_communications |
      | Suspended | SUSPENDED | true                 |
    And the customers
      | name  | id        | mobile       | status_label |
      | Gopal | 565039505 | 919353491050 | Suspended    |
    When the client sends POST /capillary/v2/communications/sendMessage?channel=sms
      """
      {"sms": [{"to": "919353491050", "body": "Your order has shipped"}]}
      """
    Then the answer is HTTP 200
    And the message is SUPPRESSED with reason CUSTOMER_STATUS_BLOCKED
