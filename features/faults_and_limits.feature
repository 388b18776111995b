Feature: Faults and rate limits: the errors an integrator's retries must survive
  Source: docs/contract.md section 7 (faults and limits, per tenant) and seeds/003's rate limit,
  "Demo and Testing Clusters: 1,000 requests per minute per API key". A call stopped by a
  fault or a limit changes nothing: it sends no message.

  Background:
    Given a Capillary tenant with the status labels
      | name   | status | block_communications |
      | Active | ACTIVE | false                |
    And the customers
      | name | id        | mobile       | email           | status_label |
      | Tom  | 565039506 | 919988221100 | tom@example.com | Active       |

  @contract
  Scenario: A rate limit of 1,000 requests per minute, as Capillary documents for demo clusters
    Given the Capillary rate limit is 1000 requests per minute
    And the tenant clock is frozen at "2026-11-23T10:00:00Z"
    When the client sends GET /capillary/v1.1/customer/interaction?mobile=919988221100&format=json 1000 times
    Then every answer was HTTP 200
    When the client sends GET /capillary/v1.1/customer/interaction?mobile=919988221100&format=json
    Then the answer is HTTP 429
    And the answer has response.status.code = 429
    And the answer carries the header "Retry-After: 60"
    When the tenant clock advances 60 seconds
    And the client sends GET /capillary/v1.1/customer/interaction?mobile=919988221100&format=json
    Then the answer is HTTP 200

  @contract
  Scenario: A send refused by the rate limit sends nothing, and the next minute it goes out
    Given the Capillary rate limit is 2 requests per minute
    And the tenant clock is frozen at "2026-11-23T10:00:00Z"
    When "Tom" is sent a transactional sms message
    And "Tom" is sent a transactional sms message
    And "Tom" is sent a transactional sms message
    Then the answer is HTTP 429
    And no communication was triggered
    When the tenant clock advances 1 minute
    And "Tom" is sent a transactional sms message
    Then the message is DELIVERED with reason none

  @contract
  Scenario: An injected 503 fails the next call only, and the failed call sends nothing
    Given the operation "sendMessage" fails with HTTP 503 the next 1 time
    When "Tom" is sent a transactional sms message
    Then the answer is HTTP 503
    And the answer has errors[0].code = 503
    And no communication was triggered
    When "Tom" is sent a transactional sms message
    Then the answer is HTTP 200
    And the message is DELIVERED with reason none

  @contract
  Scenario: A dropped connection answers nothing and sends nothing
    Given the operation "sendMessage" drops the connection the next 1 time
    When "Tom" is sent a transactional sms message
    Then the connection was dropped
    And no communication was triggered

  @contract
  Scenario: Faults answer in the vendor's own envelope (Messangi)
    Given the operation "sendSms" fails with HTTP 500 the next 2 times
    When sender "141555549" sends an SMS message to "+525500000001"
    Then the answer is HTTP 500
    And the answer has data = null
    And the answer has meta.explain matching "fault injected into sendSms"
