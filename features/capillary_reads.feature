@seed-000
Feature: What became of a Capillary message, read back through Capillary's own APIs
  Sources: research 8a (issue 24): Capillary's v1.1 "Retrieve details of SMS / email sent"
  (ReadMe operations get-sms and get-email), its earlier v1.1 page's bodies, get-status-log-1,
  get-customer-details, and the interaction pages. A blocked customer's message is answered
  like a delivered one (seeds/000); what the integrator reads back afterwards tells them apart.

  Background:
    Given a Capillary tenant with the status labels
      | name      | status    | block_communications |
      | Active    | ACTIVE    | false                |
      | Suspended | SUSPENDED | true                 |
    And the customers
      | name  | id        | mobile       | email           | status_label |
      | Gopal | 565039505 | 919353491050 | gcr@example.com | Suspended    |
      | Tom   | 565039506 | 919988221100 | tom@example.com | Active       |

  @stmt-000-02 @ref-capillary-get-sms
  Scenario: A delivered SMS reads "Sent"; a blocked customer's, answered "Sent" too, reads NOT-DELIVERED
    Given the tenant clock is frozen at "2026-11-23T10:00:00Z"
    When the client sends POST /capillary/v1.1/communications/sms?format=json
      """
      {"root": {"sms": [{"to": "919988221100", "body": "Your order has shipped"}]}}
      """
    And the client sends POST /capillary/v1.1/communications/sms?format=json
      """
      {"root": {"sms": [{"to": "919353491050", "body": "Your order has shipped"}]}}
      """
    Then the answer has response.sms.status = "Sent"
    When the client sends GET /capillary/v1.1/communications/sms?id=1000001&format=json
    Then the answer is HTTP 200
    And the answer has response.status = {"success": "true", "code": "200", "message": "success"}
    And the answer has response.sms = {"id": "1000001", "to": "919988221100", "status": "Sent", "scheduled_time": "2026-11-23 10:00:00", "message": "Your order has shipped", "sender": ""}
    When the client sends GET /capillary/v1.1/communications/sms?id=1000002&format=json
    Then the answer has response.sms.status = "NOT-DELIVERED"

  @stmt-000-02 @ref-capillary-get-email
  Scenario: A delivered e-mail reads "Delivered"; a blocked customer's reads NOT-DELIVERED
    When the client sends POST /capillary/v1.1/communications/email
      """
      {"root": {"email": [{"to": "tom@example.com", "subject": "Receipt", "body": "Thanks"}]}}
      """
    And the client sends POST /capillary/v1.1/communications/email
      """
      {"root": {"email": [{"to": "gcr@example.com", "subject": "Receipt", "body": "Thanks"}]}}
      """
    And the client sends GET /capillary/v1.1/communications/email?id=1000001
    Then the answer has response.email.status = "Delivered"
    And the answer has response.email.subject = "Receipt"
    When the client sends GET /capillary/v1.1/communications/email?id=1000002
    Then the answer has response.email.status = "NOT-DELIVERED"

  @contract @ref-capillary-get-sms
  Scenario: An id no SMS has is Capillary's "Unable to find/retrieve SMS", naming it
    When the client sends GET /capillary/v1.1/communications/sms?id=1009999
    Then the answer is HTTP 404
    And the answer has response.status.success = "false"
    And the answer has response.status.message mentioning "Unable to find/retrieve SMS: no SMS has id 1009999"

  @contract @ref-capillary-send-sms
  Scenario: The earlier v1.1 page's body, root.sms as a single object, is sent like the list
    When the client sends POST /capillary/v1.1/communications/sms?format=json
      """
      {"root": {"sms": {"to": "919353491050", "body": "Hi, wish you a happy wedding anniversary!", "scheduled_time": "2012-08-05 22:00:00IST"}}}
      """
    Then the answer is HTTP 200
    And the answer has response.sms.scheduled_time = "2012-08-05 22:00:00IST"
    And the message is SUPPRESSED with reason CUSTOMER_STATUS_BLOCKED

  @contract @ref-capillary-send-email
  Scenario: The earlier v1.1 page's e-mail, an object with attachments {"attachment": {...}}
    When the client sends POST /capillary/v1.1/communications/email?format=json
      """
      {"root": {"email": {"to": "tom@example.com", "from": "store1@store.com", "subject": "Testing email", "body": "Dear Tom", "attachments": {"attachment": {"file_name": "asda.pdf", "file_type": "pdf", "file_data": "YWRzZA=="}}, "scheduled_time": "2016-08-05 22:00:21"}}}
      """
    Then the answer is HTTP 200
    And the answer has response.status = {"success": "true", "code": "200", "message": "success"}
    And the message is DELIVERED with reason none

  @contract @ref-capillary-add-request
  Scenario: request/add answers "" where Capillary's examples show no value, never null
    When the client sends POST /capillary/v1.1/request/add
      """
      {"root": {"request": [{"customer": {"id": "565039506"}, "type": "GOODWILL", "base_type": "POINTS", "points": "200", "reason": "Issue Goodwill points"}]}}
      """
    Then the answer is HTTP 200
    And the answer has response.requests.request[0].old_type = ""
    And the answer has response.requests.request[0].new_type = ""
    And the answer has response.requests.request[0].old_value = ""
    And the answer has response.requests.request[0].new_value = ""
    And the answer has response.requests.request[0].misc_info = null
    And the answer has response.requests.request[0].reference_id = null

  @contract @ref-capillary-get-status-log-1
  Scenario: The status log of an id no customer has is 404 "Specified customer ID doesn't exist"
    When the client sends GET /capillary/v2/customers/565099999/statusLog
    Then the answer is HTTP 404
    And the answer has errors[0].code = 404
    And the answer has errors[0].message mentioning "Specified customer ID doesn't exist"

  @stmt-000-01 @ref-capillary-get-customer-details
  Scenario: customerDetails shows the status label that blocks, and the subscriptions
    When the client sends GET /capillary/v2/customers/lookup/customerDetails?source=INSTORE&identifierName=mobile&identifierValue=919353491050&embed=customerStatus,subscriptions
    Then the answer is HTTP 200
    And the answer has id = 565039505
    And the answer has customerStatus.label = "Suspended"
    And the answer has customerStatus.status = "SUSPENDED"
    And the answer has subscriptionInfo.subscriptions[0].type = "OPTIN"

  @stmt-003-01 @stmt-000-03 @ref-capillary-v2get-customer-interactions
  Scenario: Interaction history lists the messages, a suppressed one NOT-DELIVERED
    Given the tenant clock is frozen at "2026-11-23T10:00:00Z"
    When "POST /v1.1/communications/sms" triggers its communication for "Gopal"
    And the client sends GET /capillary/v2/customers/interaction?identifierName=mobile&identifierValue=919353491050&type=sms
    Then the answer has interaction[0].count = 1
    And the answer has interaction[0].messageList[0].status = "NOT-DELIVERED"
    And the answer has interaction[0].messageList[0].campaignId = -1
    When the client sends GET /capillary/v1.1/customer/interaction?mobile=919353491050&type=sms
    Then the answer has response.customer.interactions.network[0].interaction[0].messages.message[0].status = "NOT-DELIVERED"
    And the answer has response.customer.interactions.network[0].interaction[0].messages.message[0].sent_time = "2026-11-23 10:00:00"
