@seed-002
Feature: Capillary subscriptions: opt-in and opt-out per channel and priority
  Source: seeds/002 (POST v1.1/customer/subscriptions, POST v2/customers/{userId}/subscriptions),
  with the subscription sentences of seeds/000. An opt-out suppresses that channel and
  priority (SUBSCRIPTION_OPTED_OUT); OTPs bypass it; the status-label block overrides it.

  Background:
    Given a Capillary tenant with the status labels
      | name      | status    | block_communications |
      | Active    | ACTIVE    | false                |
      | Suspended | SUSPENDED | true                 |
    And the customers
      | name  | id        | mobile       | email           | external_id | status_label |
      | Gopal | 565039505 | 919353491050 | gcr@example.com | EXT-1       | Suspended    |
      | Tom   | 565039506 | 919988221100 | tom@example.com | EXT-2       | Active       |

  @stmt-002-01 @stmt-002-05
  Scenario Outline: "Provide any of the customer identifiers to update subscription details" (<identifier>)
    When the client sends POST /capillary/v1.1/customer/subscriptions?format=json
      """
      {"root": {"subscription": [
        {"<identifier>": "<value>", "priority": "bulk", "scope": "all", "channel": "sms", "is_subscribed": "0"}
      ]}}
      """
    Then the answer is HTTP 200
    And the answer has response.subscriptions.subscription[0].item_status.code = 1000
    And the answer has response.subscriptions.subscription[0].user_id = "565039506"
    When "Tom" is sent a promotional SMS message
    Then the last message to "Tom" is SUPPRESSED with reason SUBSCRIPTION_OPTED_OUT

    Examples:
      | identifier  | value           |
      | mobile      | 919988221100    |
      | email       | tom@example.com |
      | external_id | EXT-2           |
      | id          | 565039506       |

  @stmt-002-02
  Scenario: "BULK for campaign or promotional messages": a BULK opt-out stops promotions only
    Given "Tom" opted out of sms BULK messages
    When "Tom" is sent a promotional SMS message
    Then the last message to "Tom" is SUPPRESSED with reason SUBSCRIPTION_OPTED_OUT
    And the decision says "customer opted out of MOBILE BULK messages"
    When "Tom" is sent a transactional SMS message
    Then the last message to "Tom" is DELIVERED with reason none

  @stmt-002-02
  Scenario: "TRANS for personalized messages": a TRANS opt-out stops personalised messages
    Given "Tom" opted out of email TRANS messages
    When "Tom" is sent a transactional email message
    Then the last message to "Tom" is SUPPRESSED with reason SUBSCRIPTION_OPTED_OUT
    When "Tom" is sent a promotional email message
    Then the last message to "Tom" is DELIVERED with reason none

  @stmt-002-04
  Scenario: "Pass the communication channel that you want to update": an e-mail opt-out leaves SMS alone
    Given "Tom" opted out of email BULK messages
    When "Tom" is sent a promotional SMS message
    Then the last message to "Tom" is DELIVERED with reason none
    When "Tom" is sent a promotional email message
    Then the last message to "Tom" is SUPPRESSED with reason SUBSCRIPTION_OPTED_OUT

  @stmt-002-05
  Scenario: "Specify 0 to unsubscribe, 1 to subscribe": subscribing again lets messages through
    Given "Tom" opted out of sms BULK messages
    When the client sends POST /capillary/v1.1/customer/subscriptions
      """
      {"root": {"subscription": [
        {"mobile": "919988221100", "priority": "BULK", "scope": "all", "channel": "sms", "is_subscribed": "1"}
      ]}}
      """
    Then the answer has response.subscriptions.subscription[0].is_subscribed = "1"
    When "Tom" is sent a promotional SMS message
    Then the last message to "Tom" is DELIVERED with reason none

  @stmt-002-06
  Scenario: The answer reports each item with its status, as the seed's field table lists
    When the client sends POST /capillary/v1.1/customer/subscriptions?format=json
      """
      {"root": {"subscription": [
        {"email": "tom@example.com", "priority": "bulk", "scope": "all", "channel": "email", "is_subscribed": "1"},
        {"email": "tom@example.com", "priority": "bulk", "scope": "all", "channel": "sms", "is_subscribed": "0"}
      ]}}
      """
    Then the answer is HTTP 200
    And the answer has response.status.code = 200
    And the answer has response.status.total = "2"
    And the answer has response.status.success_count = "2"
    And the answer has response.subscriptions.subscription[1].channel = "SMS"
    And the answer has response.subscriptions.subscription[1].priority = "BULK"
    And the answer has response.subscriptions.subscription[1].scope = "ALL"
    And the answer has response.subscriptions.subscription[1].item_status.message = "Subscription successfully updated"

  @stmt-002-03 @stmt-002-04 @stmt-002-05 @stmt-002-07
  Scenario Outline: "201 Some requests have failed due to errors": a bad item (<problem>) fails alone
    When the client sends POST /capillary/v1.1/customer/subscriptions
      """
      {"root": {"subscription": [
        {"mobile": "919988221100", "priority": "bulk", "scope": "all", "channel": "sms", "is_subscribed": "0"},
        <bad item>
      ]}}
      """
    Then the answer is HTTP 201
    And the answer has response.status.code = 201
    And the answer has response.subscriptions.subscription[0].item_status.code = 1000
    And the answer has response.subscriptions.subscription[1].item_status.code = <code>
    When "Tom" is sent a promotional SMS message
    Then the last message to "Tom" is SUPPRESSED with reason SUBSCRIPTION_OPTED_OUT

    Examples:
      | problem          | code | bad item                                                                                              |
      | scope not all    | 1103 | {"mobile": "919988221100", "priority": "bulk", "scope": "store", "channel": "sms", "is_subscribed": "0"} |
      | unknown channel  | 1101 | {"mobile": "919988221100", "priority": "bulk", "scope": "all", "channel": "fax", "is_subscribed": "0"}   |
      | unknown priority | 1102 | {"mobile": "919988221100", "priority": "TANS", "scope": "all", "channel": "sms", "is_subscribed": "0"}   |
      | bad status       | 1106 | {"mobile": "919988221100", "priority": "bulk", "scope": "all", "channel": "sms", "is_subscribed": "2"}   |
      | no identifier    | 1104 | {"priority": "bulk", "scope": "all", "channel": "sms", "is_subscribed": "0"}                           |
      | unknown customer | 1012 | {"mobile": "919000000000", "priority": "bulk", "scope": "all", "channel": "sms", "is_subscribed": "0"}   |

  @stmt-002-09
  Scenario: "400 Bad Request. The request is malformed or missing required parameters"
    When the client sends POST /capillary/v1.1/customer/subscriptions
      """
      {"root": {"subscription": []}}
      """
    Then the answer is HTTP 400
    And the answer has response.status.message mentioning "root.subscription"

  @stmt-002-09
  Scenario: Every item failing is "All requests have failed due to errors" (the sandbox answers HTTP 400, not 500)
    When the client sends POST /capillary/v1.1/customer/subscriptions
      """
      {"root": {"subscription": [
        {"mobile": "919988221100", "priority": "bulk", "scope": "all", "channel": "fax", "is_subscribed": "0"}
      ]}}
      """
    Then the answer is HTTP 400
    And the answer has response.status.code = 500
    And the answer has response.status.message = "All requests have failed due to errors"

  @stmt-002-08
  Scenario: "401 Unauthorized. Authentication failed"
    When the client sends POST /capillary/v1.1/customer/subscriptions with wrong credentials
      """
      {"root": {"subscription": [
        {"mobile": "919988221100", "priority": "bulk", "scope": "all", "channel": "sms", "is_subscribed": "0"}
      ]}}
      """
    Then the answer is HTTP 401
    When "Tom" is sent a promotional SMS message
    Then the last message to "Tom" is DELIVERED with reason none

  @stmt-002-10
  Scenario: The v2 API opts in and out per channel and priority
    When the client sends POST /capillary/v2/customers/565039506/subscriptions?format=json
      """
      {"communicationId": -1, "campaignId": -1, "reason": "This is V2 subscription api",
       "scope": {"scope": "USER", "subScope": "NONE"},
       "subscriptions": [
         {"channel": "EMAIL", "priority": "BULK", "type": "OPTOUT", "orgUnitId": 200031782, "sourceName": "FACEBOOK", "accountId": "01"},
         {"channel": "MOBILE", "accountId": "01", "priority": "BULK", "type": "OPTIN", "orgUnitId": 200031782, "sourceName": "FACEBOOK"},
         {"channel": "EMAIL", "accountId": "01", "priority": "TRANS", "type": "OPTIN", "orgUnitId": 200031782, "sourceName": "FACEBOOK"}
       ]}
      """
    Then the answer is HTTP 200
    And the answer has subscriptions[0].type = "OPTOUT"
    When "Tom" is sent a promotional email message
    Then the last message to "Tom" is SUPPRESSED with reason SUBSCRIPTION_OPTED_OUT
    When "Tom" is sent a promotional SMS message
    Then the last message to "Tom" is DELIVERED with reason none

  @stmt-002-11
  Scenario: The seed's own v2 example has priority "TANS": it is refused and changes nothing
    When the client sends POST /capillary/v2/customers/565039506/subscriptions?format=json
      """
      {"communicationId": -1, "campaignId": -1, "reason": "This is V2 subscription api",
       "scope": {"scope": "USER", "subScope": "NONE"},
       "subscriptions": [
         {"channel": "EMAIL", "priority": "BULK", "type": "OPTOUT", "orgUnitId": 200031782, "sourceName": "FACEBOOK", "accountId": "01"},
         {"channel": "MOBILE", "accountId": "01", "priority": "BULK", "type": "OPTIN", "orgUnitId": 200031782, "sourceName": "FACEBOOK"},
         {"channel": "EMAIL", "accountId": "01", "priority": "TRANS", "type": "OPTIN", "orgUnitId": 200031782, "sourceName": "FACEBOOK"},
         {"channel": "MOBILE", "accountId": "01", "priority": "TANS", "type": "OPTOUT", "orgUnitId": 200031782, "sourceName": "FACEBOOK"}
       ]}
      """
    Then the answer is HTTP 400
    And the answer has errors[0].code = 1102
    And the answer has errors[0].message mentioning "subscriptions[3].priority"
    And the answer has errors[0].message mentioning "allowed values"
    And the answer has errors[0].message mentioning "BULK"
    And the answer has errors[0].message mentioning "TRANS"
    When "Tom" is sent a promotional email message
    Then the last message to "Tom" is DELIVERED with reason none

  @stmt-000-05 @stmt-002-02
  Scenario: "OTPs bypass subscription checks by design", even a TRANS opt-out
    Given "Tom" opted out of sms TRANS messages
    When "POST /v2/otp/generate (sms and email)" triggers its communication for "Tom"
    Then every communication it triggered is DELIVERED with reason none
    And the subscription rule answers "bypass"

  @stmt-000-09
  Scenario: "Block communication operates independently of a customer's subscription preferences"
    When the client sends POST /capillary/v1.1/customer/subscriptions
      """
      {"root": {"subscription": [
        {"id": "565039505", "priority": "bulk", "scope": "all", "channel": "sms", "is_subscribed": "1"},
        {"id": "565039505", "priority": "trans", "scope": "all", "channel": "sms", "is_subscribed": "1"}
      ]}}
      """
    Then the answer is HTTP 200
    When "Gopal" is sent a promotional SMS message
    Then the last message to "Gopal" is SUPPRESSED with reason CUSTOMER_STATUS_BLOCKED

  @contract @ref-capdocs-update-subscription-details
  Scenario: The documented channel list: a whatsapp opt-out is recorded and read back, and decides no send
    When the client sends POST /capillary/v2/customers/565039506/subscriptions?format=json
      """
      {"subscriptions": [
        {"channel": "whatsapp", "priority": "BULK", "type": "OPTOUT", "orgUnitId": 200031782, "sourceName": "FACEBOOK", "accountId": "01"}
      ]}
      """
    Then the answer is HTTP 200
    And the answer has subscriptions[0].channel = "whatsapp"
    When the client sends GET /capillary/v2/customers/565039506/subscriptions
    Then the answer has subscriptions[-1] = {"channel": "whatsapp", "priority": "BULK", "type": "OPTOUT"}
    When the client sends POST /capillary/v2/communications/sendMessage?channel=whatsapp
      """
      {"whatsappMessage": [{"receiver": "919988221100", "template": "Your weekly offers", "priority": "BULK"}]}
      """
    Then the message is DELIVERED with reason none

  @contract @ref-capdocs-update-subscription-details
  Scenario: A batch whose every entry fails answers "All requests have failed due to errors" and changes nothing
    When the client sends POST /capillary/v2/customers/565039506/subscriptions?format=json
      """
      {"subscriptions": [
        {"channel": "fax", "priority": "BULK", "type": "OPTOUT"},
        {"channel": "EMAIL", "priority": "PROMO", "type": "OPTOUT"}
      ]}
      """
    Then the answer is HTTP 400
    And the answer has warnings = []
    And the answer has errors[0] = {"status": false, "message": "All requests have failed due to errors", "code": 500}
    And the answer has errors[1].message mentioning "subscriptions[0].channel"
    And the answer has errors[2].message mentioning "subscriptions[1].priority"
    When the client sends GET /capillary/v2/customers/565039506/subscriptionStatusChangeLog
    Then the answer has data = []
    When "Tom" is sent a promotional email message
    Then the last message to "Tom" is DELIVERED with reason none

  @contract @ref-capdocs-get-customer-subscription-log
  Scenario: The subscription change log lists every opt-in and opt-out, whatever API made it, oldest first
    When the client sends POST /capillary/v1.1/customer/subscriptions
      """
      {"root": {"subscription": [
        {"mobile": "919988221100", "priority": "bulk", "scope": "all", "channel": "sms", "is_subscribed": "0"}
      ]}}
      """
    And the client sends POST /capillary/v2/customers/565039506/subscriptions
      """
      {"reason": "asked at the till", "subscriptions": [{"channel": "EMAIL", "priority": "TRANS", "type": "OPTOUT"}]}
      """
    And the client sends POST /capillary/v2/internal/subscription/configuration
      """
      {"userId": 565039506, "channel": "MOBILE", "priority": "BULK", "type": "OPTIN"}
      """
    And the client sends GET /capillary/v2/customers/565039506/subscriptionStatusChangeLog
    Then the answer is HTTP 200
    And the answer has data[0].commChannelType = "mobile"
    And the answer has data[0].priority = "BULK"
    And the answer has data[0].status = false
    And the answer has data[1].commChannelType = "email"
    And the answer has data[1].status = false
    And the answer has data[1].reason = "asked at the till"
    And the answer has data[2].commChannelType = "mobile"
    And the answer has data[2].status = true
    And the answer has data[-1].reason = "Direct"

  @contract @ref-capdocs-get-customer-subscription-log
  Scenario: A refused subscription change writes no log entry, and an unknown customer's log is not found
    When the client sends POST /capillary/v1.1/customer/subscriptions
      """
      {"root": {"subscription": [
        {"mobile": "919988221100", "priority": "TANS", "scope": "all", "channel": "sms", "is_subscribed": "0"}
      ]}}
      """
    Then the answer is HTTP 400
    When the client sends GET /capillary/v2/customers/565039506/subscriptionStatusChangeLog
    Then the answer has data = []
    When the client sends GET /capillary/v2/customers/565099999/subscriptionStatusChangeLog
    Then the answer is HTTP 404
    And the answer has errors[0].code = 404
    And the answer has errors[0].message mentioning "565099999"
