@seed-004 @ref-symplify-help-journey-starters
Feature: Symplify journeys commenced for a contact honour its temporary block
  Sources: seeds/004 (help.symplify.com, "Temporary contact blocking") and the help centre's
  "API Usage examples" (360011444099: "POST /{customerid}/journeys/{id}/commence") and
  "Journey starters" (360011112560): "Contacts that are temporarily blocked will enter a
  journey when matching the starter criteria but will not receive any communication as long
  as they are blocked." A journey is declared in the tenant's fixture with its list and the
  messages it sends; the single request's body is the sandbox's (assumed): the batch starter's
  contact row, {"id": "<originalId>", "properties": {...}}. The batch starter (360014214059,
  "API starter - multiple contacts"): POST /{customerid}/batchtrigger/v2 {"type":
  "JOURNEY_COMMENCE", "entityId": ...} answers an uploadUrl, and a file of such rows PUT there
  enters each contact.

  Background:
    Given the Symplify account "1234" with the contacts
      | list | original_id | email                 | mobile       |
      | 42   | 111         | lady_gaga@example.com | +46709999999 |
      | 42   | 222         | tom@example.com       |              |
    And the Symplify account "1234" has the journey 11 "Welcome" on list 42 sending EMAIL, SMS
    And the tenant clock is frozen at "2020-01-15T09:00:00Z"

  @stmt-004-02 @stmt-004-10
  Scenario: A temporarily blocked contact enters the journey and receives none of its messages
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "42", "searchValue": "111", "blockUntil": "2020-02-01"}
      """
    Then the answer is HTTP 200
    When the client sends POST /symplify/1234/journeys/11/commence
      """
      {"id": "111"}
      """
    Then the answer is HTTP 200
    And the answer has message = "Contact 111 entered journey 11"
    And it triggered communications on EMAIL, SMS
    And every communication it triggered is SUPPRESSED with reason CONTACT_TEMP_BLOCKED
    And the decision says "contact is blocked until the end of 2020-02-01 (list 42)"
    When the client sends POST /symplify/1234/journeys/11/commence
      """
      {"id": "222"}
      """
    Then the answer is HTTP 200
    And the message to "tom@example.com" is DELIVERED with reason none
    When the client sends GET /symplify/1234/lists/42/contacts/111/messagecount/sms
    Then the answer has notSent = 1
    And the answer has sent = 0
    When the client sends GET /symplify/1234/lists/42/contacts/222/messagecount/email
    Then the answer has sent = 1

  @stmt-004-02
  Scenario: "as long as they are blocked": once the block's last day has passed, the journey reaches the contact
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "-1", "searchValue": "111", "blockUntil": "2020-01-15"}
      """
    And the client sends POST /symplify/1234/journeys/11/commence
      """
      {"id": "111"}
      """
    Then every communication it triggered is SUPPRESSED with reason CONTACT_TEMP_BLOCKED
    And the decision says "contact is blocked until the end of 2020-01-15 (all lists)"
    When the tenant clock advances 1 day
    And the client sends POST /symplify/1234/journeys/11/commence
      """
      {"id": "111"}
      """
    Then the answer is HTTP 200
    And every communication it triggered is DELIVERED with reason none
    And the decision says "temporary block ended at 2020-01-16T00:00Z"

  @stmt-004-03 @stmt-004-13
  Scenario: A released contact receives the journey's messages
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "EMAILADRESS", "listId": "42", "searchValue": "lady_gaga@example.com", "blockUntil": "2020-02-01"}
      """
    And the client sends POST /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "EMAILADRESS", "listId": "42", "searchValue": "lady_gaga@example.com", "blockUntil": ""}
      """
    And the client sends POST /symplify/1234/journeys/11/commence
      """
      {"id": "111"}
      """
    Then the answer is HTTP 200
    And it triggered communications on EMAIL, SMS
    And every communication it triggered is DELIVERED with reason none

  @stmt-004-02 @stmt-004-09
  Scenario: Seed 004's Example DTO 1, verbatim on today's clock, blocks nothing: the journey reaches the contact
    Given the tenant clock is frozen at "2026-12-06T09:00:00Z"
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "-1", "searchValue": "111", "blockUntil": "2020-02-01"}
      """
    Then the answer is HTTP 200
    And the answer has blocked = false
    When the client sends POST /symplify/1234/journeys/11/commence
      """
      {"id": "111"}
      """
    Then every communication it triggered is DELIVERED with reason none

  @stmt-004-02 @ref-symplify-help-API-starter-multiple-contacts
  Scenario: A journey started for many contacts at once: the blocked one enters and receives nothing
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "42", "searchValue": "111", "blockUntil": "2020-02-01"}
      """
    And the client sends POST /symplify/1234/batchtrigger/v2
      """
      {"type": "JOURNEY_COMMENCE", "entityId": 11}
      """
    Then the answer is HTTP 200
    When the client sends PUT to the answer's uploadUrl as application/x-ndjson
      """
      {"id": "111", "properties": {"firstname": "Lady"}}
      {"id": "222"}
      """
    Then the answer is HTTP 200
    And the answer has entered = 2
    And the answer has status = "FINISHED"
    And the message to "lady_gaga@example.com" is SUPPRESSED with reason CONTACT_TEMP_BLOCKED
    And the message to "+46709999999" is SUPPRESSED with reason CONTACT_TEMP_BLOCKED
    And the message to "tom@example.com" is DELIVERED with reason none
    And the decision says "contact is blocked until the end of 2020-02-01 (list 42)"

  @contract
  Scenario: A contact opted out of e-mail still gets the journey's SMS
    When the client sends PUT /symplify/1234/lists/42/contacts/111/update
      """
      {"unsubscribed": true}
      """
    And the client sends POST /symplify/1234/journeys/11/commence
      """
      {"id": "111"}
      """
    Then the answer is HTTP 200
    And the message to "lady_gaga@example.com" is SUPPRESSED with reason SUBSCRIPTION_OPTED_OUT
    And the message to "+46709999999" is DELIVERED with reason none

  @contract
  Scenario: An unknown journey or contact is a 404 naming it, and nothing is sent
    When the client sends POST /symplify/1234/journeys/99/commence
      """
      {"id": "111"}
      """
    Then the answer is HTTP 404
    And the answer has field = "journeyId"
    And no communication was triggered
    When the client sends POST /symplify/1234/journeys/11/commence
      """
      {"id": "999"}
      """
    Then the answer is HTTP 404
    And the answer has field = "id"
    And the answer has error mentioning "'999'"
    And no communication was triggered
