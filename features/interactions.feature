@seed-003
Feature: Capillary customer interactions: what reached a customer, and what was tried
  Source: seeds/003 (GET v1.1/customer/interaction) and the v2 twin GET v2/customers/interaction.
  Every message an API triggered is an interaction, delivered or suppressed (seeds/000).

  Background:
    Given a Capillary tenant with the status labels
      | name      | status    | block_communications |
      | Active    | ACTIVE    | false                |
      | Suspended | SUSPENDED | true                 |
    And the customers
      | name  | id        | mobile       | email             | external_id | status_label |
      | Gopal | 565039505 | 919353491050 | gcr9986@gmail.com | EXT-1       | Suspended    |
      | Tom   | 565039506 | 919988221100 | tom@example.com   | EXT-2       | Active       |

  @stmt-003-01
  Scenario: "This includes SMSs and emails sent to the customer"
    When "POST /v2/communications/sendMessage?channel=sms" triggers its communication for "Tom"
    And "POST /v1.1/communications/email" triggers its communication for "Tom"
    And "POST /v1.1/communications/email" triggers its communication for "Tom"
    Then the interaction history of "Tom" counts 1 sms
    And the interaction history of "Tom" counts 2 email

  @stmt-003-01 @stmt-000-03
  Scenario: Suppressed messages are interactions too, listed NOT-DELIVERED by the v2 API
    When "POST /v2/communications/sendMessage?channel=whatsapp" triggers its communication for "Gopal"
    Then the interaction history of "Gopal" counts 1 whatsapp
    And the v2 interaction history of "Gopal" lists the whatsapp as NOT-DELIVERED

  @stmt-003-02 @stmt-003-03
  Scenario Outline: "Any one of the customer identifiers is required": <form>
    When "POST /v2/communications/sendMessage?channel=sms" triggers its communication for "Tom"
    And the client sends GET /capillary/v1.1/customer/interaction?<query>&format=json
    Then the answer is HTTP 200
    And the answer has response.customer.id = "565039506"
    And the answer has response.customer.interactions.network[0].interaction[7].type = "sms"
    And the answer has response.customer.interactions.network[0].interaction[7].count = 1

    Examples:
      | form                              | query                                                   |
      | identifierName and identifierValue | identifierName=mobile&identifierValue=919988221100      |
      | identifierName email               | identifierName=email&identifierValue=tom%40example.com  |
      | the seed's direct email=           | email=tom%40example.com                                 |
      | mobile=                            | mobile=919988221100                                     |
      | external_id=                       | external_id=EXT-2                                       |
      | id=                                | id=565039506                                            |
      | mobile= with the 00 prefix         | mobile=00919988221100                                   |
      | a national mobile (trunk 0)        | identifierName=mobile&identifierValue=09988221100       |
      | a formatted mobile                 | mobile=%2B91%2099882-21100                              |
      | an e-mail with a name and any case | identifierName=email&identifierValue=Tom%20%3CTOM%40example.com.%3E |

  @stmt-003-02
  Scenario: Without any identifier the request is refused, naming what is missing
    When the client sends GET /capillary/v1.1/customer/interaction?format=json
    Then the answer is HTTP 400
    And the answer has response.status.message mentioning "identifierName"

  @stmt-003-07
  Scenario: The seed's example answer: all eight types of the capillary network, even at zero
    When the client sends GET /capillary/v1.1/customer/interaction?email=gcr9986%40gmail.com&format=json
    Then the answer is HTTP 200
    And the answer has response.status = {"success": "true", "code": 200, "message": "Success"}
    And the answer has response.customer.mobile = "919353491050"
    And the answer has response.customer.interactions.network[0].name = "capillary"
    And the answer has response.customer.interactions.network[0].interaction[0] = {"last_interaction_time": "null", "used_status": false, "count": 0, "type": "survey"}
    And the answer has response.customer.interactions.network[0].interaction[1].type = "whatsapp"
    And the answer has response.customer.interactions.network[0].interaction[2].type = "line"
    And the answer has response.customer.interactions.network[0].interaction[3].type = "zalo"
    And the answer has response.customer.interactions.network[0].interaction[4].type = "phone"
    And the answer has response.customer.interactions.network[0].interaction[5].type = "missed_call"
    And the answer has response.customer.interactions.network[0].interaction[6].type = "email"
    And the answer has response.customer.interactions.network[0].interaction[7].type = "sms"
    And the answer has response.customer.item_status = {"success": "true", "code": 1000, "message": "Customer successfully retrieved"}

  @stmt-003-08
  Scenario: "last_interaction_time ... (format: DD-MM-YYYY HH:mm:ss)", on the tenant's clock
    Given the tenant clock is frozen at "2026-02-01T09:05:03Z"
    When "POST /v1.1/communications/sms" triggers its communication for "Tom"
    And the client sends GET /capillary/v1.1/customer/interaction?mobile=919988221100
    Then the answer has response.customer.interactions.network[0].interaction[7].last_interaction_time = "01-02-2026 09:05:03"
    And the answer has response.customer.interactions.network[0].interaction[6].last_interaction_time = "null"

  @stmt-003-04
  Scenario Outline: "Filter results by communication network": <network>
    When the client sends GET /capillary/v1.1/customer/interaction?mobile=919988221100&network=<network>
    Then the answer is HTTP 200
    And the answer has response.customer.interactions.network = <networks>

    Examples:
      | network  | networks                                                                                   |
      | facebook | []                                                                                         |
      | twitter  | []                                                                                         |

  @stmt-003-04
  Scenario: "Filter results by communication network": the capillary network holds the messages
    Given the tenant clock is frozen at "2026-02-01T09:05:03Z"
    When "POST /v2/communications/sendMessage?channel=sms" triggers its communication for "Tom"
    And the client sends GET /capillary/v1.1/customer/interaction?mobile=919988221100&network=capillary&type=sms
    Then the answer has response.customer.interactions.network[0].name = "capillary"
    And the answer has response.customer.interactions.network[0].interaction = [{"messages": {"message": [{"id": 1000001, "sender": "", "reciever": "919988221100", "subject": "Hello", "status": "DELIVERED", "sent_time": "2026-02-01 09:05:03", "delivered_time": "2026-02-01 09:05:03", "campaign_id": "-1"}]}, "last_interaction_time": "01-02-2026 09:05:03", "used_status": false, "count": 1, "type": "sms"}]
    When the client sends GET /capillary/v1.1/customer/interaction?mobile=919988221100&network=facebook&type=sms
    Then the answer has response.customer.interactions.network = []

  @stmt-003-04
  Scenario: "Filter results by interaction type"
    Given the tenant clock is frozen at "2026-02-01T09:05:03Z"
    When "POST /v2/communications/sendMessage?channel=sms" triggers its communication for "Tom"
    And the client sends GET /capillary/v1.1/customer/interaction?mobile=919988221100&type=sms
    Then the answer has response.customer.interactions.network[0].interaction = [{"messages": {"message": [{"id": 1000001, "sender": "", "reciever": "919988221100", "subject": "Hello", "status": "DELIVERED", "sent_time": "2026-02-01 09:05:03", "delivered_time": "2026-02-01 09:05:03", "campaign_id": "-1"}]}, "last_interaction_time": "01-02-2026 09:05:03", "used_status": false, "count": 1, "type": "sms"}]

  @stmt-003-05
  Scenario: "limit ... offset": paging through the interaction entries
    When the client sends GET /capillary/v1.1/customer/interaction?mobile=919988221100&limit=2&offset=6
    Then the answer has response.customer.interactions.network[0].interaction[0].type = "email"
    And the answer has response.customer.interactions.network[0].interaction[1].type = "sms"

  @stmt-003-09
  Scenario: "500 All requests have failed due to errors. Invalid or unsupported inputs passed" (HTTP 400 here)
    When the client sends GET /capillary/v1.1/customer/interaction?mobile=919000000000
    Then the answer is HTTP 400
    And the answer has response.status.code = 500
    And the answer has response.customer.item_status.code = 1012

  @stmt-003-09
  Scenario: An unsupported filter value is refused, naming the parameter
    When the client sends GET /capillary/v1.1/customer/interaction?mobile=919988221100&network=myspace
    Then the answer is HTTP 400
    And the answer has response.status.message mentioning "network"

  @stmt-003-06
  Scenario: "Authentication: Basic authentication details" are required
    When the client sends GET /capillary/v1.1/customer/interaction?mobile=919988221100 with wrong credentials
    Then the answer is HTTP 401
