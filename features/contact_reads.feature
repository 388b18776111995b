@seed-004
Feature: Symplify read back: who is opted out, and what became of a contact's messages
  Sources: research 8c. compost-carma-api (a PHP client of Symplify's REST API, formerly Carma)
  lists a list's contacts by mode (ContactsListEndpoint: all, unsubscribed, bounced, paged by
  lastId) and reads a contact's subscription status, bounce status, last bounce and messages
  (ContactIdentifiedEndpoint), a list's messages (RecipientListEndpoint) and its counts
  (models/Recipients.php ListDto); help.symplify.com "API Usage examples" creates a contact with
  POST /{customerid}/contacts. Seed 004's example DTOs all block "until February 1, 2020". The
  sandbox delivers nothing, so a bounce is what the tenant's document declares.

  Background:
    Given the Symplify account "1234" with the contacts
      | list | original_id | email                 | mobile       | bounced | invalidated   | mobile_bounced |
      | 42   | 111         | lady_gaga@example.com |              |         |               |                |
      | 42   | 222         | tom@example.com       |              |         |               |                |
      | 42   | 444         | ann@example.com       |              | true    | 1577836800000 |                |
      | 42   | 555         |                       | +46701234567 |         |               | true           |
      | 43   | 111         | lady_gaga@example.com |              |         |               |                |
    And the Symplify account "1234" has the EMAIL trigger 7 "Order confirmation" on list 42
    And the tenant clock is frozen at "2020-01-15T09:00:00Z"

  @contract @ref-compost-carma-api-ContactsListEndpoint
  Scenario: The unsubscribed listing pages a list's opted-out contacts by lastId, in id order
    When the client sends PUT /symplify/1234/lists/42/contacts/222/update
      """
      {"unsubscribed": true}
      """
    And the client sends PUT /symplify/1234/lists/42/contacts/111/update
      """
      {"unsubscribed": true}
      """
    And the client sends GET /symplify/1234/lists/42/contacts/unsubscribed?pageSize=1&lastId=0&includeProperties=true
    Then the answer is HTTP 200
    And the answer has [0].originalId = "111"
    And the answer has [0].optOutDate = 1579078800000
    When the client sends GET /symplify/1234/lists/42/contacts/unsubscribed?pageSize=1&lastId=2047800001
    Then the answer has [0].originalId = "222"
    When the client sends GET /symplify/1234/lists/42
    Then the answer has unsubscribes = 2
    And the answer has breakdown.email.unsubscribed = 2

  @contract @ref-compost-carma-api-ContactsListEndpoint
  Scenario: A bad page size is a 400 naming it, not a contact called "unsubscribed"
    When the client sends GET /symplify/1234/lists/42/contacts/unsubscribed?pageSize=0
    Then the answer is HTTP 400
    And the answer has field = "pageSize"

  @stmt-004-02 @ref-compost-carma-api-ContactIdentifiedEndpoint
  Scenario: A contact's messages show the one its block stopped as not sent
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "42", "searchValue": "111", "blockUntil": "2020-02-01"}
      """
    And a message is sent to list 42 of account "1234"
    And the client sends GET /symplify/1234/lists/42/contacts/111/messages?nostat=true&noOfMessages=10
    Then the answer is HTTP 200
    And the answer has [0].status = "SUPPRESSED"
    And the answer has [0].reason = "CONTACT_TEMP_BLOCKED"
    And the answer has [0].sentTimestamp = null
    When the client sends GET /symplify/1234/lists/42/contacts/111/messagecount/email
    Then the answer has notSent = 1
    And the answer has sent = 0

  @contract @ref-compost-carma-api-ContactIdentifiedEndpoint @ref-carmaclient-SendTrigger
  Scenario: A trigger's optOut unsubscribes the contact, dated by the server, and reads back so
    When the client sends POST /symplify/1234/triggers/7/messages
      """
      {"originalId": "222", "optOut": true}
      """
    And the client sends GET /symplify/1234/lists/42/contacts/222/subscriptionstatus
    Then the answer has status = "UNSUBSCRIBED"
    And the answer has mobileStatus = "SUBSCRIBED"
    When the client sends GET /symplify/1234/lists/42/contacts/222
    Then the answer has optOutDate = 1579078800000

  @contract @ref-compost-carma-api-ContactsListEndpoint
  Scenario: The bounced listing lists the contacts the document declares bounced, per channel
    When the client sends GET /symplify/1234/lists/42/contacts/bounced?pageSize=1000&lastId=0&includeProperties=true
    Then the answer is HTTP 200
    And the answer has [0].originalId = "444"
    And the answer has [0].bounced = true
    And the answer has [0].dateOfInvalidation = 1577836800000
    And the answer has [1].originalId = "555"
    And the answer has [1].mobileBounced = true
    When the client sends GET /symplify/1234/lists/42/contacts/bounced?channel=SMS
    Then the answer has [0].originalId = "555"
    When the client sends GET /symplify/1234/lists/42
    Then the answer has hardBounces = 2
    And the answer has breakdown.email.bounced = 1
    And the answer has breakdown.mobile.bounced = 1

  @contract @ref-compost-carma-api-ContactIdentifiedEndpoint
  Scenario: A contact's bounce status and last bounce read the bounce its document declares
    When the client sends GET /symplify/1234/lists/42/contacts/444/bouncestatus
    Then the answer is HTTP 200
    And the answer has status = "BOUNCED"
    And the answer has mobileStatus = "NOT_BOUNCED"
    When the client sends GET /symplify/1234/lists/42/contacts/555/bouncestatus
    Then the answer has status = "NOT_BOUNCED"
    And the answer has mobileStatus = "BOUNCED"
    When the client sends GET /symplify/1234/lists/42/contacts/2047800003/lastbounce
    Then the answer is HTTP 200
    And the answer has recipient = "ann@example.com"
    And the answer has bounceDate = 1577836800000
    And the answer has bounceType = "HARD"
    When the client sends GET /symplify/1234/lists/42/contacts/111/lastbounce
    Then the answer is HTTP 404
    And the answer has field = "originalId"

  @stmt-004-02 @ref-compost-carma-api-RecipientListEndpoint
  Scenario: A list's messages, newest first, show the one a block stopped as not sent
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "42", "searchValue": "222", "blockUntil": "2020-02-01"}
      """
    And a message is sent to list 42 of account "1234"
    And the client sends GET /symplify/1234/lists/42/messages?nostat=false&noOfMessages=100
    Then the answer is HTTP 200
    And the answer has [0].contactId = 2047800003
    And the answer has [1].contactId = 2047800002
    And the answer has [1].status = "SUPPRESSED"
    And the answer has [1].reason = "CONTACT_TEMP_BLOCKED"
    And the answer has [1].sentTimestamp = null
    And the answer has [2].status = "DELIVERED"

  @contract @ref-compost-carma-api-Recipients
  Scenario: A list's counts per channel, its permissions and the time of its last import
    When the client sends GET /symplify/1234/lists/42
    Then the answer has breakdown.email.contacts = 3
    And the answer has breakdown.mobile.contacts = 1
    And the answer has permissions.write = true
    And the answer has lastImportTime = null
    When the client sends POST /symplify/1234/lists/42/imports
      """
      {"delimiter": "44", "encoding": "UTF8", "type": "ADD", "identityColumn": "originalId"}
      """
    And the client sends POST /symplify/1234/lists/42/recipients/1 as text/csv
      """
      originalId,emailAddress
      666,new@example.com
      """
    And the client sends GET /symplify/1234/lists/42
    Then the answer has lastImportTime = 1579078800000
    And the answer has breakdown.email.contacts = 4

  @contract @ref-help-symplify-API-Usage-examples
  Scenario: Signup: check whether the contact exists, then create it with POST /{customerid}/contacts
    When the client sends GET /symplify/1234/lists/42/contacts/888
    Then the answer is HTTP 404
    When the client sends POST /symplify/1234/contacts
      """
      {"listId": 42, "originalId": "888", "emailAddress": "signup@example.com"}
      """
    Then the answer is HTTP 200
    When the client sends GET /symplify/1234/lists/42/contacts/888
    Then the answer has emailAddress = "signup@example.com"

  @stmt-004-09 @stmt-004-10 @stmt-004-11 @stmt-004-12
  Scenario Outline: Seed 004's example DTO <number> sent as written years later: the block has already ended
    Given the tenant clock is frozen at "2026-12-06T09:00:00Z"
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {
      "findBy":"<findBy>",
      "listId":"<listId>",
      "searchValue":"<searchValue>",
      "blockUntil":"2020-02-01"
      }
      """
    Then the answer is HTTP 200
    And the answer has blocked = false
    And the answer has blockUntil = null
    When a message is sent to list 42 of account "1234"
    Then the message to "lady_gaga@example.com" is DELIVERED with reason none

    Examples:
      | number | findBy      | listId | searchValue           |
      | 1      | ORIGINALID  | -1     | 111                   |
      | 2      | ORIGINALID  | 42     | 111                   |
      | 3      | EMAILADRESS | -1     | lady_gaga@example.com |
      | 4      | EMAILADRESS | 42     | lady_gaga@example.com |
