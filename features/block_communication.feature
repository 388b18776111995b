@seed-000
Feature: Block communication through a customer status label (Capillary)
  Source: seeds/000 "Block communication — API coverage".
  "Block communication is a restriction you configure against a customer status label in
  Capillary." The sandbox takes labels from the tenant fixture, as Intouch's UI would.

  Background:
    Given a Capillary tenant with the status labels
      | name      | status    | block_communications |
      | Active    | ACTIVE    | false                |
      | Suspended | SUSPENDED | true                 |
    And the customers
      | name  | id        | mobile       | email           | wechat  | status_label |
      | Gopal | 565039505 | 919353491050 | gcr@example.com | oWX-123 | Suspended    |
      | Tom   | 565039506 | 919988221100 | tom@example.com | oWX-456 | Active       |

  @stmt-000-01 @stmt-000-02 @stmt-000-04
  Scenario Outline: "all outbound communications to that customer are suppressed ... regardless of channel or message type" through <api>
    When "<api>" triggers its communication for "Gopal"
    Then the API answers with its normal success
    And every communication it triggered is SUPPRESSED with reason CUSTOMER_STATUS_BLOCKED
    And it triggered communications on <channels>
    And the decision says "status label 'Suspended' has block communications enabled"

    Examples:
      | api                                                   | channels         |
      | POST /v1.1/request/add (change mobile)                | SMS              |
      | POST /v1.1/request/add (change email)                 | EMAIL            |
      | POST /v1.1/request/add (goodwill)                     | SMS and EMAIL    |
      | POST /v1.1/request/approve (change mobile)            | SMS              |
      | POST /v1.1/request/approve (goodwill)                 | SMS and EMAIL    |
      | POST /v2/customer/{customerId}/changeRequest (mobile) | SMS              |
      | POST /v2/customer/{customerId}/changeRequest (email)  | EMAIL            |
      | PUT /v2/changeRequest/{id}                            | EMAIL            |
      | POST /v2/customer/{customerId}/goodwillRequest        | SMS and EMAIL    |
      | PUT /v2/goodwillRequest/{id}                          | SMS and EMAIL    |
      | POST /v1.1/communications/email                       | EMAIL            |
      | POST /v1.1/communications/sms                         | SMS              |
      | POST /v2/communications/email                         | EMAIL            |
      | POST /v2/communications/sendMessage?channel=sms       | SMS              |
      | POST /v2/communications/sendMessage?channel=email     | EMAIL            |
      | POST /v2/communications/sendMessage?channel=whatsapp  | WHATSAPP         |
      | POST /v2/communications/sendMessage?channel=zalo      | ZALO             |
      | POST /v2/communications/wechat                        | WECHAT           |
      | POST /v1.1/communications/sendMessage?channel=sms     | SMS              |
      | POST /v1.1/communications/sendMessage?channel=email   | EMAIL            |
      | POST /v1.1/communications/sendMessage?channel=whatsapp | WHATSAPP        |
      | POST /v1.1/communications/sendMessage?channel=zalo    | ZALO             |
      | POST /v2/otp/generate (whatsapp)                      | WHATSAPP         |
      | POST /v2/otp/generate (sms and email)                 | SMS and EMAIL    |
      | POST /v2/internal/subscription/configuration          | EMAIL            |

  @stmt-000-04
  Scenario Outline: A customer without a blocking label receives what <api> sends
    When "<api>" triggers its communication for "Tom"
    Then the API answers with its normal success
    And every communication it triggered is DELIVERED with reason none
    And it triggered communications on <channels>

    Examples:
      | api                                                  | channels      |
      | POST /v1.1/request/add (goodwill)                    | SMS and EMAIL |
      | POST /v1.1/request/approve (change mobile)           | SMS           |
      | PUT /v2/goodwillRequest/{id}                         | SMS and EMAIL |
      | POST /v2/communications/sendMessage?channel=whatsapp | WHATSAPP      |
      | POST /v2/communications/wechat                       | WECHAT        |
      | POST /v1.1/communications/sendMessage?channel=email  | EMAIL         |
      | POST /v2/otp/generate (sms and email)                | SMS and EMAIL |
      | POST /v2/internal/subscription/configuration         | EMAIL         |

  @stmt-000-07
  Scenario Outline: "The /v2/otp/validate API does not send an outbound message" (<name>)
    Given "<name>" was sent an OTP by SMS
    When "<name>" validates the OTP with the code it was sent
    Then the answer is HTTP 200
    And the answer has entity = true
    And no communication was triggered

    Examples:
      | name  |
      | Gopal |
      | Tom   |

  @stmt-000-07
  Scenario: A wrong OTP is refused, and its validation sends nothing either
    Given "Tom" was sent an OTP by SMS
    When "Tom" validates the OTP with the code "000000"
    Then the answer is HTTP 400
    And the answer has entity = false
    And no communication was triggered
    When "Tom" validates the OTP with the code it was sent
    Then the answer has entity = true

  @stmt-000-05
  Scenario: "OTPs bypass subscription checks by design"
    Given "Tom" opted out of sms TRANS messages
    And "Tom" opted out of email TRANS messages
    When "Tom" is sent a transactional sms message
    Then the last message to "Tom" is SUPPRESSED with reason SUBSCRIPTION_OPTED_OUT
    When "POST /v2/otp/generate (sms and email)" triggers its communication for "Tom"
    Then every communication it triggered is DELIVERED with reason none
    And the subscription rule answers "bypass"

  @stmt-000-06
  Scenario: "block communication configured against a customer status label does suppress OTP delivery"
    Given "Gopal" opted out of sms TRANS messages
    When "POST /v2/otp/generate (sms and email)" triggers its communication for "Gopal"
    Then every communication it triggered is SUPPRESSED with reason CUSTOMER_STATUS_BLOCKED

  @stmt-000-08
  Scenario Outline: "All communication types are blocked ... There is no exception by message type" (<kind>)
    When "<api>" triggers its communication for "Gopal"
    Then every communication it triggered is SUPPRESSED with reason CUSTOMER_STATUS_BLOCKED

    Examples:
      | kind                      | api                                             |
      | transactional             | POST /v2/communications/sendMessage?channel=sms |
      | OTP                       | POST /v2/otp/generate (whatsapp)                |
      | goodwill notification     | POST /v2/customer/{customerId}/goodwillRequest  |
      | change request            | POST /v1.1/request/add (change email)           |
      | subscription notification | POST /v2/internal/subscription/configuration    |

  @stmt-000-02
  Scenario Outline: A blocked customer's address is theirs however the send writes it (<to>)
    When the client sends POST /capillary/v2/communications/sendMessage?channel=<channel>
      """
      {"<channel>": [{"to": "<to>", "subject": "Order", "body": "Your order has shipped"}]}
      """
    Then the answer is HTTP 200
    And the message is SUPPRESSED with reason CUSTOMER_STATUS_BLOCKED

    Examples:
      | channel | to                          |
      | sms     | 00919353491050              |
      | sms     | 0919353491050               |
      | sms     | 09353491050                 |
      | sms     | +91 93534-91050             |
      | sms     | (+91) 93534.91050           |
      | email   | gcr@example.com.            |
      | email   | Gopal Rao <GCR@Example.com> |
      | email   | <gcr@example.com>           |

  @stmt-000-02
  Scenario Outline: An address with an invisible character is refused, naming it, and nothing is sent (<character>)
    When the client sends POST /capillary/v2/communications/sendMessage?channel=email
      """
      {"email": [{"to": "gcr<escape>@example.com", "subject": "Order", "body": "Your order has shipped"}]}
      """
    Then the answer is HTTP 400
    And the answer has emails[0].errors[0].message mentioning "email[0].to"
    And the answer has emails[0].errors[0].message mentioning "<character>"
    And no communication was triggered

    Examples:
      | escape | character                |
      | \u200b | U+200B (ZERO WIDTH SPACE) |
      | \u200d | U+200D (ZERO WIDTH JOINER) |
      | \ufeff | U+FEFF                   |
      | \u00ad | U+00AD (SOFT HYPHEN)     |
      | \u202e | U+202E                   |

  @stmt-000-09
  Scenario: "A customer can be opted in to all channels and still have all communications suppressed"
    Given "Gopal" is opted in to every channel and priority
    When "POST /v2/communications/sendMessage?channel=sms" triggers its communication for "Gopal"
    Then every communication it triggered is SUPPRESSED with reason CUSTOMER_STATUS_BLOCKED
    And the subscription rule answers "pass"

  @stmt-000-03
  Scenario: "communications appear in interaction history", suppressed ones included
    When "POST /v2/communications/sendMessage?channel=sms" triggers its communication for "Gopal"
    Then the interaction history of "Gopal" counts 1 sms
    And the v2 interaction history of "Gopal" lists the sms as NOT-DELIVERED

  @stmt-000-03
  Scenario: A delivered communication is listed as DELIVERED in the interaction history
    When "POST /v1.1/communications/email" triggers its communication for "Tom"
    Then the interaction history of "Tom" counts 1 email
    And the v2 interaction history of "Tom" lists the email as DELIVERED

  @stmt-000-10
  Scenario: "When a customer is assigned a label that has block communication enabled" the next message is suppressed
    When "Tom" is assigned the status label "Suspended"
    And "POST /v1.1/communications/sms" triggers its communication for "Tom"
    Then every communication it triggered is SUPPRESSED with reason CUSTOMER_STATUS_BLOCKED

  @stmt-000-10
  Scenario: Moving a customer back to a label without the block lets messages through again
    When "Gopal" is assigned the status label "Active"
    And "POST /v1.1/communications/sms" triggers its communication for "Gopal"
    Then every communication it triggered is DELIVERED with reason none

  @stmt-000-10
  Scenario: "Under the label, enable Block communications": a label changed at run time blocks at once
    When the label "Active" is configured to block communications
    And "POST /v2/communications/sendMessage?channel=whatsapp" triggers its communication for "Tom"
    Then every communication it triggered is SUPPRESSED with reason CUSTOMER_STATUS_BLOCKED
