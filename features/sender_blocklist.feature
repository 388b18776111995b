@seed-001
Feature: Messangi per-sender blocklist (Blocklisted Subscriber API)
  Source: seeds/001 (docs.messangi.com/docs/blocklisted-subscriber). Statements:
    001-01 "a Blocklist is a list of numbers and emails that is tied to a specific sender"
    001-02 "All messages sent using any API credentials from this account are passed through
           this list. If the number is in the list, the message is not sent."
    001-03 "It applies both to API calls and messages sent from the platform" (the sandbox
           has no platform UI: every send API is covered)
    001-04 "You can blocklist subscribers based on the delivery channel"
    001-05 "This endpoint allows you to add a subscriber to the blocklist" (POST /subscribers)
    001-06 "the subscriber can be added to the blocklist with its corresponding Sender"
    001-07 blocked on "528811", "they can still receive messages from the 141555549" (the seed
           then names the sender "52881": the sandbox keeps the two distinct)
    001-08 "each sender has its own blocklist"
    001-09 `to`: a phone number for SMS, WhatsApp or RCS; an e-mail address for Email
    001-10 `to`, `reason`, `type`, `from` are required; `listType` is not
    001-11 the response: meta.timestamp, meta.transactionId, data.id, data.to, data.reason, data.date
    001-12 GET /subscribers: "get a subscriber from a blocklist that belongs to a specific
           sender", with the required parameters type, from, listType, to
    001-13 "from the response body, you can get the unique identifier (data.id)"
  Vendor references (research, vendor_facts section 8b), tagged ref-...:
    ref-messangi-SmsStatus: docs.messangi.com "SMS Status", what a message's status reads:
           BLACKLISTED "when the recipient phone number is on a blocklist"; SENT "after Messangi
           dispatches the message to the mobile operator" (a send answers ACCEPTED: the
           sandbox's contract)
    ref-ClaudeCodeUsageMonitor-send_sms: CodeZeno/Claude-Code-Usage-Monitor, src/notifier.rs:
           POST /oberyn/v2/notification {"channel": "SMS", "request": {"to", "shortcode", "body"}}

  Background:
    Given the Messangi blocklist
      | to            | from      | type | reason       |
      | +525500000000 | 141555549 | SMS  | UNSUBSCRIBED |

  @stmt-001-01 @stmt-001-02 @ref-messangi-SmsStatus
  Scenario: "If the number is in the list, the message is not sent": accepted, then BLACKLISTED
    When sender "141555549" sends an SMS message to "+525500000000"
    Then the answer is HTTP 200
    And the answer has data.status = "ACCEPTED"
    And the message is SUPPRESSED with reason SENDER_BLOCKLISTED
    And the decision says "+525500000000 is on the SMS blocklist of sender 141555549"
    And Messangi reports the message status BLACKLISTED

  @stmt-001-02
  Scenario: "All messages sent using any API credentials from this account": a login key too
    When sender "141555549" sends an SMS message to "+525500000000" with a login key
    Then the answer is HTTP 200
    And the message is SUPPRESSED with reason SENDER_BLOCKLISTED

  @stmt-001-01 @stmt-001-02 @ref-messangi-SmsStatus
  Scenario: A number that is not in the list receives the message: accepted, then SENT
    When sender "141555549" sends an SMS message to "+525511111111"
    Then the answer has data.status = "ACCEPTED"
    And the message is DELIVERED with reason none
    And the decision says "+525511111111 is not on the SMS blocklist of sender 141555549"
    And Messangi reports the message status SENT

  @stmt-001-02 @stmt-001-08 @ref-ClaudeCodeUsageMonitor-send_sms
  Scenario: The notification API's shortcode is the sender whose blocklist applies
    When the client sends POST /messangi/oberyn/v2/notification
      """
      {"channel": "SMS", "request": {"to": "+525500000000", "shortcode": "141555549", "body": "Claude Code session crossed 80% (now 85%)"}}
      """
    Then the answer is HTTP 200
    And the answer has data.status = "ACCEPTED"
    And the answer has data.from = "141555549"
    And the message is SUPPRESSED with reason SENDER_BLOCKLISTED
    And the decision says "+525500000000 is on the SMS blocklist of sender 141555549"
    And Messangi reports the message status BLACKLISTED
    When the client sends POST /messangi/oberyn/v2/notification
      """
      {"channel": "SMS", "request": {"to": "+525500000000", "shortcode": "528811", "body": "Claude Code session crossed 80% (now 85%)"}}
      """
    Then the answer is HTTP 200
    And the message is DELIVERED with reason none
    And Messangi reports the message status SENT

  @contract @ref-ClaudeCodeUsageMonitor-send_sms
  Scenario: A notification without its shortcode is refused naming it, and sends nothing
    When the client sends POST /messangi/oberyn/v2/notification
      """
      {"channel": "SMS", "request": {"to": "+525511111111", "body": "Hello"}}
      """
    Then the answer is HTTP 400
    And the answer has data = null
    And the answer has meta.explain mentioning "request.shortcode"
    And no message to "+525511111111" is in the outbox

  @stmt-001-03 @stmt-001-04
  Scenario Outline: "based on the delivery channel": a <type> blocklist stops <type> sends only
    Given "<to>" is blocklisted on sender "<sender>" for <type>
    When sender "<sender>" sends a <type> message to "<to>"
    Then the answer is HTTP 200
    And the answer has data.status = "ACCEPTED"
    And the message is SUPPRESSED with reason SENDER_BLOCKLISTED
    When sender "<sender>" sends a <other> message to "<other_to>"
    Then the message is DELIVERED with reason none

    Examples:
      | type     | sender            | to                | other    | other_to          |
      | SMS      | 528811            | +525511111111     | WHATSAPP | +525511111111     |
      | RCS      | acme-agent        | +525511111111     | SMS      | +525511111111     |
      | WHATSAPP | acme-waba         | +525511111111     | RCS      | +525511111111     |
      | EMAIL    | news@example.com  | ann@example.com   | EMAIL    | bob@example.com   |

  @stmt-001-05 @stmt-001-11 @stmt-001-13
  Scenario: The seed's add request and its response
    Given the tenant clock is frozen at "2023-08-09T18:26:03.384Z"
    When the client sends POST /messangi/subscribers
      """
      {"to": "+525511111111", "reason": "UNSUBSCRIBED", "type": "SMS", "from": "141555549", "listType": "BLACK"}
      """
    Then the answer is HTTP 200
    And the answer has meta.timestamp = 1691605563384
    And the answer has meta.transactionId matching "^[0-9a-f-]{36}$"
    And the answer has data.id matching "^[0-9a-f]{24}$"
    And the answer has data.to = "+525511111111"
    And the answer has data.reason = "UNSUBSCRIBED"
    And the answer has data.date = "2023-08-09T18:26:03.384000000Z"
    When sender "141555549" sends an SMS message to "+525511111111"
    Then the message is SUPPRESSED with reason SENDER_BLOCKLISTED

  @stmt-001-05
  Scenario: Adding an entry twice answers the existing entry
    When the client sends POST /messangi/subscribers
      """
      {"to": "+52 55 0000 0000", "reason": "COMPLAINED", "type": "SMS", "from": "141555549"}
      """
    Then the answer is HTTP 200
    And the answer has data.id = "000000000000000000000001"
    And the answer has data.to = "+525500000000"
    And the answer has data.reason = "UNSUBSCRIBED"

  @stmt-001-06 @stmt-001-07
  Scenario: "unsubscribe ... from the 528811 sender": they still receive from 141555549
    When the client sends POST /messangi/subscribers
      """
      {"to": "+525511111111", "reason": "UNSUBSCRIBED", "type": "SMS", "from": "528811"}
      """
    Then the answer is HTTP 200
    When sender "528811" sends an SMS message to "+525511111111"
    Then the message is SUPPRESSED with reason SENDER_BLOCKLISTED
    When sender "141555549" sends an SMS message to "+525511111111"
    Then the message is DELIVERED with reason none

  @stmt-001-07
  Scenario: The seed's "528811" and "52881" are two different senders
    Given "+525511111111" is blocklisted on sender "528811" for SMS
    When sender "52881" sends an SMS message to "+525511111111"
    Then the message is DELIVERED with reason none
    And the decision says "+525511111111 is not on the SMS blocklist of sender 52881"

  @stmt-001-08
  Scenario: "if the subscriber is added to different senders ... each sender has its own blocklist"
    Given "+525511111111" is blocklisted on sender "528811" for SMS
    And "+525511111111" is blocklisted on sender "acme-waba" for WHATSAPP
    When sender "141555549" sends an SMS message to "+525511111111"
    Then the message is DELIVERED with reason none
    When sender "528811" sends a WHATSAPP message to "+525511111111"
    Then the message is DELIVERED with reason none
    When sender "acme-waba" sends a WHATSAPP message to "+525511111111"
    Then the message is SUPPRESSED with reason SENDER_BLOCKLISTED

  @stmt-001-09
  Scenario Outline: A number is the same subscriber however it is written (<written>)
    When sender "141555549" sends an SMS message to "<written>"
    Then the answer has data.to = "+525500000000"
    And the message is SUPPRESSED with reason SENDER_BLOCKLISTED

    Examples:
      | written           |
      | 525500000000      |
      | +52 55 0000 0000  |
      | +52 (55) 0000-0000 |
      | 00525500000000    |
      | 0052 55 0000-0000 |
      | +52.55.0000.0000  |

  @stmt-001-08
  Scenario: A sender is the same sender with blanks around it
    When sender "  141555549 " sends an SMS message to "+525500000000"
    Then the answer has data.from = "141555549"
    And the message is SUPPRESSED with reason SENDER_BLOCKLISTED

  @stmt-001-09
  Scenario Outline: An e-mail address is the same subscriber however it is written (<written>)
    Given "Ann.Lee@Example.com" is blocklisted on sender "news@example.com" for EMAIL
    When sender "news@example.com" sends an EMAIL message to "<written>"
    Then the message is SUPPRESSED with reason SENDER_BLOCKLISTED

    Examples:
      | written                    |
      | ann.lee@example.com        |
      | ANN.LEE@EXAMPLE.COM.       |
      | Ann Lee <ann.lee@example.com> |
      | <Ann.Lee@Example.com>      |

  @stmt-001-09
  Scenario Outline: "phone number ... via SMS, WhatsApp or RCS ... email address ... via Email" (<type> with <to>)
    When the client sends POST /messangi/subscribers
      """
      {"to": "<to>", "reason": "UNSUBSCRIBED", "type": "<type>", "from": "141555549"}
      """
    Then the answer is HTTP 400
    And the answer has data = null
    And the answer has meta.explain mentioning "to:"

    Examples:
      | type     | to              |
      | EMAIL    | +525511111111   |
      | SMS      | ann@example.com |
      | WHATSAPP | ann@example.com |
      | RCS      | ann@example.com |

  @stmt-001-10
  Scenario Outline: "<field>" is required
    When the client sends POST /messangi/subscribers
      """
      <body>
      """
    Then the answer is HTTP 400
    And the answer has meta.explain mentioning "<field>"
    When sender "528811" sends an SMS message to "+525511111111"
    Then the message is DELIVERED with reason none

    Examples:
      | field  | body                                                                    |
      | to     | {"reason": "UNSUBSCRIBED", "type": "SMS", "from": "528811"}             |
      | reason | {"to": "+525511111111", "type": "SMS", "from": "528811"}                |
      | type   | {"to": "+525511111111", "reason": "UNSUBSCRIBED", "from": "528811"}     |
      | from   | {"to": "+525511111111", "reason": "UNSUBSCRIBED", "type": "SMS"}        |

  @stmt-001-10
  Scenario: "listType" is optional, and BLACK is its only value
    When the client sends POST /messangi/subscribers
      """
      {"to": "+525511111111", "reason": "UNSUBSCRIBED", "type": "SMS", "from": "528811", "listType": "WHITE"}
      """
    Then the answer is HTTP 400
    And the answer has meta.explain mentioning "listType"
    When the client sends POST /messangi/subscribers
      """
      {"to": "+525511111111", "reason": "UNSUBSCRIBED", "type": "SMS", "from": "528811"}
      """
    Then the answer is HTTP 200

  @stmt-001-12 @stmt-001-13
  Scenario: "get a subscriber from a blocklist that belongs to a specific sender"
    When the client sends GET /messangi/subscribers?type=SMS&from=141555549&listType=BLACK&to=%2B525500000000
    Then the answer is HTTP 200
    And the answer has data.id = "000000000000000000000001"
    And the answer has data.to = "+525500000000"
    When the client sends GET /messangi/subscribers?type=SMS&from=528811&listType=BLACK&to=%2B525500000000
    Then the answer is HTTP 404
    And the answer has meta.explain mentioning "not on the SMS blocklist of sender 528811"

  @stmt-001-12
  Scenario Outline: "you need to provide the following required parameters" (<missing> missing)
    When the client sends GET /messangi/subscribers?<query>
    Then the answer is HTTP 400
    And the answer has meta.explain mentioning "<missing>"

    Examples:
      | missing  | query                                              |
      | type     | from=141555549&listType=BLACK&to=%2B525500000000   |
      | from     | type=SMS&listType=BLACK&to=%2B525500000000         |
      | listType | type=SMS&from=141555549&to=%2B525500000000         |
      | to       | type=SMS&from=141555549&listType=BLACK             |

  @contract
  Scenario: Removing an entry (DELETE /subscribers/{id}, assumed) lets messages through again
    When the client sends DELETE /messangi/subscribers/000000000000000000000001
    Then the answer is HTTP 200
    When sender "141555549" sends an SMS message to "+525500000000"
    Then the message is DELIVERED with reason none

  @contract
  Scenario Outline: A login with <wrong> is refused 401 in Messangi's envelope, with no key
    When the client logs in to Messangi with <wrong>
    Then the answer is HTTP 401
    And the answer has data = null
    And the answer has meta.explain mentioning "<field>"
    When the client logs in to Messangi with its credentials
    Then the answer is HTTP 200

    Examples:
      | wrong               | field    |
      | a wrong password    | password |
      | an unknown username | username |

  @contract
  Scenario: Wrong credentials: 401 in Messangi's envelope, nothing stored
    When the client sends POST /messangi/subscribers with wrong credentials
      """
      {"to": "+525511111111", "reason": "UNSUBSCRIBED", "type": "SMS", "from": "528811"}
      """
    Then the answer is HTTP 401
    And the answer has data = null
    When sender "528811" sends an SMS message to "+525511111111"
    Then the message is DELIVERED with reason none
