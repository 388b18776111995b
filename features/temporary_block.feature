@seed-004
Feature: Symplify temporary contact blocking, on the tenant's clock
  Source: seeds/004 (help.symplify.com, "Temporary contact blocking"). Statements:
    004-01 "If you want to temporary block a contact from receiving messages you can do so by
           using the blocking feature managed by our API"
    004-02 "When you block a contact you'll set an end date and until that date, no messages
           will be sent"
    004-03 "You can release a block if necessary"
    004-04 "You can also use the Event Hub for blocking contacts" (not emulated: no Event Hub)
    004-05 "To block a contact use the following method: PUT /{customerid}/lists/contacts/tempblock"
    004-06 "You can find a contact by: ORIGINALID, EMAILADDRESS" (the examples spell EMAILADRESS)
    004-07 "specify where the contact is be stored: <listId> (a specific list), -1 (any list)"
    004-08 "add the unique search value (the contact's original ID or email address) and the end
           date for the block"
    004-09..004-12 Example DTOs 1 to 4
    004-13 "To release a block you simply POST one of the DTOs above and leave blockUntil empty"
    004-14 "To get information about the blocked status of a contact ... GET
           /{customerid}/lists/contacts/tempblock and one of the above DTOs but remove blockUntil"
  The seed's dates are in 2020: scenarios freeze the tenant clock before them.

  Background:
    Given the Symplify account "1234" with the contacts
      | list | original_id | email                 |
      | 42   | 111         | lady_gaga@example.com |
      | 42   | 222         | tom@example.com       |
      | 43   | 111         | lady_gaga@example.com |
    And the Symplify account "1234" has the EMAIL trigger 7 "Order confirmation" on list 42
    And the tenant clock is frozen at "2020-01-15T09:00:00Z"

  @stmt-004-01 @stmt-004-02 @stmt-004-05 @stmt-004-10
  Scenario: Example DTO 2: "until that date, no messages will be sent" to the contact on list 42
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "42", "searchValue": "111", "blockUntil": "2020-02-01"}
      """
    Then the answer is HTTP 200
    And the answer has blocked = true
    And the answer has blockUntil = "2020-02-01"
    When a message is sent to list 42 of account "1234"
    Then the message to "lady_gaga@example.com" is SUPPRESSED with reason CONTACT_TEMP_BLOCKED
    And the message to "tom@example.com" is DELIVERED with reason none
    And the decision says "contact is blocked until the end of 2020-02-01 (list 42)"

  @stmt-004-02
  Scenario: The block lasts through its last day and ends by itself when the clock passes it
    Given the tenant clock is frozen at "2020-01-31T12:00:00Z"
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "42", "searchValue": "111", "blockUntil": "2020-02-01"}
      """
    And the tenant clock advances 1 day
    And a message is sent to list 42 of account "1234"
    Then the message to "lady_gaga@example.com" is SUPPRESSED with reason CONTACT_TEMP_BLOCKED
    When the tenant clock advances 1 day
    And a message is sent to list 42 of account "1234"
    Then the message to "lady_gaga@example.com" is DELIVERED with reason none
    And the decision says "temporary block ended at 2020-02-02T00:00Z"

  @stmt-004-07
  Scenario: A block on one list does not affect the contact on another list
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "42", "searchValue": "111", "blockUntil": "2020-02-01"}
      """
    Then the answer is HTTP 200
    And the answer has contacts[0].blocked = true
    When a message is sent to list 42 of account "1234"
    Then the message to "lady_gaga@example.com" is SUPPRESSED with reason CONTACT_TEMP_BLOCKED
    When a message is sent to list 43 of account "1234"
    Then the message to "lady_gaga@example.com" is DELIVERED with reason none

  @stmt-004-07 @stmt-004-09
  Scenario: Example DTO 1: "-1 (any list)" blocks the contact on every list
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "-1", "searchValue": "111", "blockUntil": "2020-02-01"}
      """
    Then the answer is HTTP 200
    And the answer has contacts[0].blocked = true
    And the answer has contacts[1].blocked = true
    When a message is sent to list 42 of account "1234"
    Then the message to "lady_gaga@example.com" is SUPPRESSED with reason CONTACT_TEMP_BLOCKED
    And the decision says "contact is blocked until the end of 2020-02-01 (all lists)"
    When a message is sent to list 43 of account "1234"
    Then the message to "lady_gaga@example.com" is SUPPRESSED with reason CONTACT_TEMP_BLOCKED

  @stmt-004-06 @stmt-004-11 @stmt-004-12
  Scenario Outline: Example DTOs 3 and 4: find by e-mail address (<findBy>, list <listId>)
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "<findBy>", "listId": "<listId>", "searchValue": "lady_gaga@example.com", "blockUntil": "2020-02-01"}
      """
    Then the answer is HTTP 200
    When a message is sent to list 42 of account "1234"
    Then the message to "lady_gaga@example.com" is SUPPRESSED with reason CONTACT_TEMP_BLOCKED
    And the message to "tom@example.com" is DELIVERED with reason none
    When a message is sent to list 43 of account "1234"
    Then the message to "lady_gaga@example.com" is <on_43> with reason <reason_43>

    Examples:
      | findBy       | listId | on_43      | reason_43            |
      | EMAILADRESS  | -1     | SUPPRESSED | CONTACT_TEMP_BLOCKED |
      | EMAILADRESS  | 42     | DELIVERED  | none                 |
      | EMAILADDRESS | -1     | SUPPRESSED | CONTACT_TEMP_BLOCKED |
      | EMAILADDRESS | 42     | DELIVERED  | none                 |

  @stmt-004-06 @stmt-004-08
  Scenario Outline: The e-mail address is found however it is written (<written>)
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "EMAILADRESS", "listId": "42", "searchValue": "<written>", "blockUntil": "2020-02-01"}
      """
    Then the answer is HTTP 200
    And the answer has contacts[0].originalId = "111"

    Examples:
      | written                             |
      | Lady_Gaga@Example.com               |
      |  lady_gaga@example.com.             |
      | Lady Gaga <lady_gaga@example.com>   |
      | <LADY_GAGA@EXAMPLE.COM>             |

  @stmt-004-06 @stmt-004-08
  Scenario: An e-mail address with an invisible character is refused, naming searchValue, and blocks nobody
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "EMAILADRESS", "listId": "42", "searchValue": "lady_gaga\u200b@example.com", "blockUntil": "2020-02-01"}
      """
    Then the answer is HTTP 400
    And the answer has field = "searchValue"
    And the answer has error mentioning "U+200B (ZERO WIDTH SPACE)"
    When a message is sent to list 42 of account "1234"
    Then the message to "lady_gaga@example.com" is DELIVERED with reason none

  @stmt-004-02 @stmt-004-08
  Scenario Outline: An end date already past is taken and blocks nobody (<blockUntil>)
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "42", "searchValue": "111", "blockUntil": "<blockUntil>"}
      """
    Then the answer is HTTP 200
    And the answer has blocked = false
    When a message is sent to list 42 of account "1234"
    Then the message to "lady_gaga@example.com" is DELIVERED with reason none

    Examples:
      | blockUntil |
      | 2020-01-14 |
      | 0001-01-01 |

  @stmt-004-08
  Scenario Outline: A bad DTO is refused, naming its field, and blocks nobody (<case>)
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "<findBy>", "listId": "42", "searchValue": "111", "blockUntil": "<blockUntil>"}
      """
    Then the answer is HTTP 400
    And the answer has field = "<field>"
    When a message is sent to list 42 of account "1234"
    Then the message to "lady_gaga@example.com" is DELIVERED with reason none

    Examples:
      | case                 | findBy     | blockUntil | field      |
      | unknown findBy       | PHONE      | 2020-02-01 | findBy     |
      | not YYYY-MM-DD       | ORIGINALID | 01/02/2020 | blockUntil |
      | not a real date      | ORIGINALID | 2020-02-30 | blockUntil |
      | basic date form      | ORIGINALID | 20200201   | blockUntil |
      | ISO week date        | ORIGINALID | 2020-W05-6 | blockUntil |
      | no end date to block | ORIGINALID |            | blockUntil |

  @stmt-004-08
  Scenario: Blocking a contact nobody has, or on a list the account does not have, is a 404
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "-1", "searchValue": "999", "blockUntil": "2020-02-01"}
      """
    Then the answer is HTTP 404
    And the answer has field = "searchValue"
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "77", "searchValue": "111", "blockUntil": "2020-02-01"}
      """
    Then the answer is HTTP 404
    And the answer has field = "listId"

  @stmt-004-08
  Scenario: The last day of the block may be today
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "42", "searchValue": "111", "blockUntil": "2020-01-15"}
      """
    Then the answer is HTTP 200
    When a message is sent to list 42 of account "1234"
    Then the message to "lady_gaga@example.com" is SUPPRESSED with reason CONTACT_TEMP_BLOCKED

  @stmt-004-03 @stmt-004-13
  Scenario: "To release a block you simply POST one of the DTOs above and leave blockUntil empty"
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "EMAILADRESS", "listId": "42", "searchValue": "lady_gaga@example.com", "blockUntil": "2020-02-01"}
      """
    Then the answer is HTTP 200
    And the answer has blocked = true
    When a message is sent to list 42 of account "1234"
    Then the message to "lady_gaga@example.com" is SUPPRESSED with reason CONTACT_TEMP_BLOCKED
    When the client sends POST /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "EMAILADRESS", "listId": "42", "searchValue": "lady_gaga@example.com", "blockUntil": ""}
      """
    Then the answer is HTTP 200
    And the answer has blocked = false
    When a message is sent to list 42 of account "1234"
    Then the message to "lady_gaga@example.com" is DELIVERED with reason none

  @stmt-004-13
  Scenario: A POST with an end date is not a release, and changes nothing
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "42", "searchValue": "111", "blockUntil": "2020-02-01"}
      """
    Then the answer is HTTP 200
    And the answer has blocked = true
    When the client sends POST /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "42", "searchValue": "111", "blockUntil": "2020-03-01"}
      """
    Then the answer is HTTP 400
    And the answer has field = "blockUntil"
    When a message is sent to list 42 of account "1234"
    Then the message to "lady_gaga@example.com" is SUPPRESSED with reason CONTACT_TEMP_BLOCKED

  @stmt-004-14
  Scenario: "Get a blocked status" with the DTO without blockUntil, as the body of the GET
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "EMAILADRESS", "listId": "42", "searchValue": "lady_gaga@example.com", "blockUntil": "2020-02-01"}
      """
    And the client sends GET /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "EMAILADRESS", "listId": "42", "searchValue": "lady_gaga@example.com"}
      """
    Then the answer is HTTP 200
    And the answer has blocked = true
    And the answer has blockUntil = "2020-02-01"
    And the answer has contacts[0].blockedUntil = 1580601599999
    When the tenant clock advances 18 days
    And the client sends GET /symplify/1234/lists/contacts/tempblock?findBy=EMAILADRESS&listId=42&searchValue=lady_gaga%40example.com
    Then the answer is HTTP 200
    And the answer has blocked = false

  @stmt-004-14
  Scenario: The seed's GET example ends with a trailing comma, which is not JSON
    When the client sends GET /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "EMAILADRESS", "listId": "42", "searchValue": "lady_gaga@example.com", }
      """
    Then the answer is HTTP 400
    And the answer has field = "body"

  @stmt-004-14
  Scenario: A GET with no DTO at all names the first missing field
    When the client sends GET /symplify/1234/lists/contacts/tempblock
    Then the answer is HTTP 400
    And the answer has field = "findBy"

  @contract
  Scenario: A list send answers the same whoever is blocked
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "42", "searchValue": "111", "blockUntil": "2020-02-01"}
      """
    And a message is sent to list 42 of account "1234"
    Then the answer has recipients = 2
    And the answer has message = "Message queued for 2 contacts"

  @contract
  Scenario: Wrong token: 401 in Symplify's body; another account's customerid: 403
    When the client sends GET /symplify/1234/lists with wrong credentials
    Then the answer is HTTP 401
    And the answer has field = "X-Carma-Authentication-Token"
    When the client sends GET /symplify/9999/lists
    Then the answer is HTTP 403
    And the answer has field = "customerid"

  @contract
  Scenario: A list and a contact made through the API are blocked and sent to like the fixture's
    When the client sends POST /symplify/1234/lists
      """
      {"name": "VIP"}
      """
    Then the answer has id = 100
    When the client sends POST /symplify/1234/lists/100/contacts
      """
      {"originalId": "777", "emailAddress": "vip@example.com"}
      """
    Then the answer is HTTP 200
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "100", "searchValue": "777", "blockUntil": "2020-01-20"}
      """
    And the client sends GET /symplify/1234/lists/100/contacts/777
    Then the answer has blockedUntil = 1579564799999
    When the client sends GET /symplify/1234/lists
    Then the answer has [2].contacts = 1
    When the client sends GET /symplify/1234/lists/100
    Then the answer has name = "VIP"
    When the client sends GET /symplify/1234/lists/100/contacts/all
    Then the answer has [0].originalId = "777"
    When a message is sent to list 100 of account "1234"
    Then the message to "vip@example.com" is SUPPRESSED with reason CONTACT_TEMP_BLOCKED

  @stmt-004-02 @ref-carmaclient-SendTrigger
  Scenario: "until that date, no messages will be sent" through a trigger, Symplify's transactional send
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "42", "searchValue": "111", "blockUntil": "2020-02-01"}
      """
    And the client sends POST /symplify/1234/triggers/7/messages
      """
      {"originalId": "111", "properties": {"orderId": "A-1001"}}
      """
    Then the answer is HTTP 200
    And the message to "lady_gaga@example.com" is SUPPRESSED with reason CONTACT_TEMP_BLOCKED
    When the client sends POST /symplify/1234/triggers/7/messages
      """
      {"originalId": "222"}
      """
    Then the answer is HTTP 200
    And the message to "tom@example.com" is DELIVERED with reason none

  @stmt-004-02 @ref-carmaclient-SendTrigger
  Scenario: A trigger scheduled inside a block is decided when it is due, on the tenant clock
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "42", "searchValue": "111", "blockUntil": "2020-01-16"}
      """
    And the client sends POST /symplify/1234/triggers/7/messages
      """
      {"originalId": "111", "deliveryTime": "2020-01-16T12:00:00+0100"}
      """
    Then the answer is HTTP 200
    And no message to "lady_gaga@example.com" is in the outbox
    When the tenant clock advances 2 days
    Then the newest message to "lady_gaga@example.com" is SUPPRESSED with reason CONTACT_TEMP_BLOCKED

  @stmt-004-02 @ref-sbcommons-SymplifyClient
  Scenario: Contacts imported from a CSV, as sbcommons fills a list, are blocked and opted out like any other
    When the client sends POST /symplify/1234/lists/42/imports
      """
      {"delimiter": "124", "encoding": "UTF8", "type": "ADD", "identityColumn": "originalId"}
      """
    Then the answer is HTTP 200
    And the answer has id = 1
    When the client sends POST /symplify/1234/lists/42/recipients/1 as text/csv
      """
      originalId|emailAddress|unsubscribed
      555|opted.out@example.com|true
      556|blocked@example.com|false
      """
    Then the answer is HTTP 200
    And the answer has batchId = 1
    When the client sends GET /symplify/1234/batches/1
    Then the answer has status = "FINISHED"
    And the answer has added = 2
    When the client sends PUT /symplify/1234/lists/contacts/tempblock
      """
      {"findBy": "ORIGINALID", "listId": "42", "searchValue": "556", "blockUntil": "2020-02-01"}
      """
    And a message is sent to list 42 of account "1234"
    Then the message to "blocked@example.com" is SUPPRESSED with reason CONTACT_TEMP_BLOCKED
    And the message to "opted.out@example.com" is SUPPRESSED with reason SUBSCRIPTION_OPTED_OUT
    And the message to "tom@example.com" is DELIVERED with reason none

  @contract @ref-sbcommons-SymplifyClient
  Scenario: A CSV with a bad row: the batch reports the row and the good rows land
    When the client sends POST /symplify/1234/lists/42/imports
      """
      {"delimiter": "44", "encoding": "UTF8", "type": "ADD", "identityColumn": "originalId"}
      """
    And the client sends POST /symplify/1234/lists/42/recipients/1 as text/csv
      """
      originalId,emailAddress
      701,good@example.com
      702,not-an-address
      """
    And the client sends GET /symplify/1234/batches/1
    Then the answer is HTTP 200
    And the answer has status = "FINISHED"
    And the answer has failed = 1
    And the answer has errors[0].line = 3
    And the answer has errors[0].column = "emailAddress"
    When the client sends GET /symplify/1234/lists/42/contacts/701
    Then the answer is HTTP 200
    When the client sends GET /symplify/1234/lists/42/contacts/702
    Then the answer is HTTP 404
