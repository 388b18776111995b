"""Published Symplify calls, sent as they are written, on today's clock, changed only in
their base URL: seed 004's four example DTOs (all blocking "until February 1, 2020"), the
help centre's signup and batch starter examples, and the reads compost-carma-api makes
(research 8c), each answer checked for the fields compost decodes."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from sandbox.testing import Sandbox

from .helpers import ACCOUNT, FIRST_CONTACT, FIXTURE, GAGA, TOM, Sym

# seed 004's example DTOs, byte for byte as the page shows them
SEED_DTOS = [
    b'{\n"findBy":"ORIGINALID",\n"listId":"-1",\n"searchValue":"111",\n"blockUntil":"2020-02-01"\n}',
    b'{\n"findBy":"ORIGINALID",\n"listId":"42",\n"searchValue":"111",\n"blockUntil":"2020-02-01"\n}',
    b'{\n"findBy":"EMAILADRESS",\n"listId":"-1",\n"searchValue":"lady_gaga@example.com",\n'
    b'"blockUntil":"2020-02-01"\n}',
    b'{\n"findBy":"EMAILADRESS",\n"listId":"42",\n"searchValue":"lady_gaga@example.com",\n'
    b'"blockUntil":"2020-02-01"\n}',
]
SEED_RELEASE = (
    b'{\n"findBy":"EMAILADRESS",\n"listId":"42",\n"searchValue":"lady_gaga@example.com",\n'
    b'"blockUntil":""\n}'
)


@pytest.fixture
def today(sandbox: Sandbox) -> Iterator[Sym]:
    """A tenant on the wall clock: today, years after the seed's 2020-02-01."""
    tenant = sandbox.create_tenant(FIXTURE)
    yield Sym(sandbox.http, tenant)
    tenant.delete()


def raw(sym: Sym, method: str, path: str, body: bytes | None = None) -> httpx.Response:
    headers = {**sym.auth, "Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return sym.http.request(method, f"/symplify/{ACCOUNT}{path}", content=body, headers=headers)


@pytest.mark.parametrize("number", range(4))
def test_each_seed_dto_verbatim_is_taken_today_and_blocks_nothing(today: Sym, number: int) -> None:
    """Its end has passed: the block has already ended (it answered 400 "2020-02-01 is in
    the past" before issue 23), and it reads so everywhere."""
    answer = raw(today, "PUT", "/lists/contacts/tempblock", SEED_DTOS[number])
    assert answer.status_code == 200, answer.text
    status = answer.json()
    assert (status["blocked"], status["blockUntil"]) == (False, None)
    assert status["contacts"] and not any(c["blocked"] for c in status["contacts"])
    assert "blockedUntil" not in raw(today, "GET", "/lists/42/contacts/111").json()
    read = today.status(
        find_by=status["findBy"], list_id=status["listId"], value=status["searchValue"]
    )
    assert read.json()["blocked"] is False
    assert today.delivered(42)[GAGA] == ("DELIVERED", None)
    assert set(today.delivered(43).values()) == {("DELIVERED", None)}  # (Lady_Gaga@...)


def test_the_seeds_release_verbatim_is_taken_today(today: Sym) -> None:
    assert today.block(until="2999-01-01").json()["blocked"] is True
    answer = raw(today, "POST", "/lists/contacts/tempblock", SEED_RELEASE)
    assert answer.status_code == 200, answer.text
    assert answer.json()["blocked"] is False
    assert today.delivered(42)[GAGA] == ("DELIVERED", None)


def test_the_help_centres_signup_checks_then_creates_the_contact(today: Sym) -> None:
    """help.symplify.com "API Usage examples", 1. Signup process."""
    assert raw(today, "GET", "/lists/42/contacts/888").status_code == 404
    created = raw(today, "POST", "/contacts", b'{"listId": 42, "originalId": "888", '
                  b'"emailAddress": "signup@example.com"}')  # fmt: skip
    assert created.status_code == 200, created.text
    assert (
        raw(today, "GET", "/lists/42/contacts/888").json()["emailAddress"] == "signup@example.com"
    )


# --- compost-carma-api's reads, their paths and queries as it builds them -------------------------
# a tenant where each read has something to show: Tom opted out and bounced (dated), Ann's
# mobile number bounced, journey 11 on list 42, and the help centre's batch example's
# contacts "0", "1" and "2" on it
PUBLISHED = copy.deepcopy(FIXTURE)
_ACCOUNT = PUBLISHED["symplify"]["accounts"][0]
_PEOPLE = _ACCOUNT["lists"][0]["contacts"]
_PEOPLE[1].update({"unsubscribed": True, "bounced": True, "invalidated": 1577836800000})
_PEOPLE[2].update({"mobile_bounced": True})
_PEOPLE.extend(
    {"original_id": str(n), "email": f"person{n}@example.com"} for n in range(3)
)  # fmt: skip
_ACCOUNT["journeys"] = [
    {"id": 11, "name": "Welcome", "list_id": 42, "messages": [{"subject": "Hi {{firstname}}"}]}
]
TOM_ID = FIRST_CONTACT + 1


@pytest.fixture
def published(sandbox: Sandbox) -> Iterator[Sym]:
    """The PUBLISHED tenant on the wall clock, with one trigger message sent to each of Lady
    Gaga (111) and Tom (222), so that every read has something to decode."""
    tenant = sandbox.create_tenant(PUBLISHED)
    sym = Sym(sandbox.http, tenant)
    for original_id in ("111", "222"):
        sent = raw(
            sym, "POST", "/triggers/7/messages", f'{{"originalId": "{original_id}"}}'.encode()
        )
        assert sent.status_code == 200, sent.text
    yield sym
    tenant.delete()


# the fields compost-carma-api's models declare (JsonMapper fills what the answer has)
CONTACT_DTO = {"id": int, "listId": int, "originalId": str, "unsubscribed": bool,
               "bounced": bool, "mobileBounced": bool, "active": bool, "dateCreated": int,
               "dateModified": int}  # fmt: skip
MESSAGE_DTO = {"id", "contactId", "deliveryId", "read", "readTimestamp", "sentTimestamp",
               "openInBrowserUrl", "actions", "type", "module", "name", "archived"}  # fmt: skip
MESSAGE_ACTIONS = {"opened", "recieved", "clicked", "converted", "softBounce", "hardBounce",
                   "unsubscribed", "complaint"}  # fmt: skip
BOUNCE_DTO = {"messageId", "bounceType", "recipient", "mta", "vmta", "bncCat", "dsnStatus",
              "dsnMta", "dsnDiagnosis", "dsnStatusCode", "senderAddress", "bounceDate", "domain",
              "remoteMta"}  # fmt: skip
LIST_DTO = {"permissions", "breakdown", "id", "listTypeId", "name", "description",
            "lastImportTime", "unsubscribes", "hardBounces", "contacts", "emailAddresses",
            "mobileNumbers"}  # fmt: skip


def contacts_page(body: Any, wanted: list[str]) -> None:
    """ContactDto[]: these originalIds, each with the fields compost decodes, typed."""
    assert [c["originalId"] for c in body] == wanted
    for contact in body:
        assert {k: type(contact[k]) for k in CONTACT_DTO} == CONTACT_DTO, contact


def messages(body: Any, wanted: list[tuple[int, str]]) -> None:
    """MessageDto[], newest first: (contactId, status) of each, and compost's fields."""
    assert [(m["contactId"], m["status"]) for m in body] == wanted
    for message in body:
        assert message.keys() >= MESSAGE_DTO and set(message["actions"]) == MESSAGE_ACTIONS
        assert isinstance(message["id"], int) and message["type"] == "EMAIL"
        assert message["module"] == "sendTrigger" and message["name"] == "Order confirmation"
        sent = message["status"] == "DELIVERED"
        assert (message["sentTimestamp"] is not None, message["actions"]["recieved"]) == (
            sent,
            sent,
        )


def counted(body: Any, normal: int, trigger: int, auto: int) -> None:
    """compost's MessageCountDto, and the sandbox's count/sent/notSent beside it."""
    total = normal + trigger + auto
    assert (body["normal"], body["trigger"], body["auto"], body["total"]) == (
        normal,
        trigger,
        auto,
        total,
    )
    assert body["count"] == total == body["sent"] + body["notSent"]


def a_list(body: Any, contacts: int) -> None:
    """compost's ListDto: its fields, the permissions and each channel's breakdown."""
    assert body.keys() >= LIST_DTO, body
    assert set(body["permissions"]) == {"read", "write", "execute"}
    for channel in ("email", "mobile"):
        assert set(body["breakdown"][channel]) == {"bounced", "unsubscribed", "contacts"}
    assert body["contacts"] == contacts


COMPOST: list[tuple[str, Callable[[Any], None]]] = [
    # RecipientsListEndpoint::getAll, RecipientListEndpoint::get
    ("/lists?typeId=1", lambda b: [a_list(one, n) for one, n in zip(b, (6, 1), strict=True)]),
    ("/lists/42", lambda b: a_list(b, 6)),
    # RecipientListEndpoint::messages (its defaults: nostat false, 100 messages)
    ("/lists/42/messages?nostat=false&noOfMessages=100",
     lambda b: messages(b, [(TOM_ID, "SUPPRESSED"), (FIRST_CONTACT, "DELIVERED")])),
    # ContactsListEndpoint::getAll (defaults), and its iterator's first page (lastId 0)
    ("/lists/42/contacts/all?pageSize=1000&lastId=-1&includeProperties=true",
     lambda b: contacts_page(b, ["111", "222", "333", "0", "1", "2"])),
    ("/lists/42/contacts/unsubscribed?pageSize=1000&lastId=0&includeProperties=true",
     lambda b: contacts_page(b, ["222"])),
    ("/lists/42/contacts/bounced?pageSize=1000&lastId=0&includeProperties=true",
     lambda b: contacts_page(b, ["222", "333"])),
    # ContactsListUrl's query parameters (channel "mixed" by default)
    ("/lists/42/contacts/unsubscribed?pageSize=1000&channel=mixed&lastId=-1&includeProperties=true",
     lambda b: contacts_page(b, ["222"])),
    # ContactEndpoint: by originalId; ContactIdentifiedByIdEndpoint: by the contact's id
    ("/lists/42/contacts/222/subscriptionstatus",
     lambda b: b == {"status": "UNSUBSCRIBED", "mobileStatus": "SUBSCRIBED"} or pytest.fail(b)),
    ("/lists/42/contacts/222/bouncestatus",
     lambda b: b["status"] == "BOUNCED" or pytest.fail(b)),
    ("/lists/42/contacts/222/messages?nostat=true&noOfMessages=10",
     lambda b: messages(b, [(TOM_ID, "SUPPRESSED")])),
    (f"/lists/42/contacts/{FIRST_CONTACT}/subscriptionstatus",
     lambda b: b == {"status": "SUBSCRIBED", "mobileStatus": "SUBSCRIBED"} or pytest.fail(b)),
    (f"/lists/42/contacts/{FIRST_CONTACT}/messages",
     lambda b: messages(b, [(FIRST_CONTACT, "DELIVERED")])),
    (f"/lists/42/contacts/{FIRST_CONTACT}/messagecount/email", lambda b: counted(b, 0, 1, 0)),
    (f"/lists/42/contacts/{FIRST_CONTACT}/messagecount/sms", lambda b: counted(b, 0, 0, 0)),
    # ContactIdentifiedByIdEndpoint::lastBounce (ByOriginalId reads the contact for its id)
    (f"/lists/42/contacts/{TOM_ID}/lastbounce",
     lambda b: (set(b) >= BOUNCE_DTO and (b["recipient"], b["bounceDate"]) == (TOM, 1577836800000))
     or pytest.fail(b)),
]  # fmt: skip


@pytest.mark.parametrize(("path", "decoded"), COMPOST, ids=[path for path, _ in COMPOST])
def test_compost_carma_apis_reads_answer_what_it_decodes(
    published: Sym, path: str, decoded: Callable[[Any], None]
) -> None:
    answer = raw(published, "GET", path)
    assert answer.status_code == 200, answer.text
    decoded(answer.json())


def test_compost_reads_the_opted_out_contact_and_what_it_was_sent(today: Sym) -> None:
    opted = raw(today, "PUT", "/lists/42/contacts/111/update", b'{"unsubscribed": true}')
    assert opted.status_code == 200, opted.text
    sent = raw(today, "POST", "/triggers/7/messages", b'{"originalId": "111"}')
    assert sent.status_code == 200, sent.text
    [listed] = raw(today, "GET", COMPOST[4][0]).json()
    assert (listed["originalId"], listed["optOutDate"]) == ("111", opted.json()["optOutDate"])
    status = raw(today, "GET", "/lists/42/contacts/111/subscriptionstatus").json()
    assert status == {"status": "UNSUBSCRIBED", "mobileStatus": "SUBSCRIBED"}
    [message] = raw(
        today, "GET", "/lists/42/contacts/111/messages?nostat=true&noOfMessages=10"
    ).json()
    assert (message["status"], message["reason"]) == ("SUPPRESSED", "SUBSCRIPTION_OPTED_OUT")
    assert message["sentTimestamp"] is None
    count = raw(today, "GET", f"/lists/42/contacts/{FIRST_CONTACT}/messagecount/email").json()
    assert (count["count"], count["sent"], count["notSent"]) == (1, 0, 1)


# --- the help centre's batch starter (360014214059) -----------------------------------------
BATCH_START = b'{\n"type": "JOURNEY_COMMENCE",\n"entityId": 11\n}'
# the page's contact file, byte for byte: one JSON object a line
BATCH_FILE = (
    b'{"id": "0", "properties": {"emailAddress": "the_boss@example.com", "firstname": "Bruce", '
    b'"attributeName": "yes"}}\n'
    b'{"id": "1", "properties": {"emailAddress": "aretha.f@example.com", "firstname": "Aretha", '
    b'"attributeName": "yes"}}\n'
    b'{"id": "2", "properties": {"emailAddress": "ladygaga@example.com", "firstname": "Lady", '
    b'"attributeName": "no"}}\n'
)


def test_the_help_centres_batch_starter_enters_its_file_of_contacts(published: Sym) -> None:
    """POST batchtrigger/v2 as the page shows it; then the file PUT to the uploadUrl as given,
    without the API token: each row's contact enters the journey, "2" blocked meanwhile."""
    blocked = raw(published, "PUT", "/lists/contacts/tempblock",
                  b'{"findBy": "ORIGINALID", "listId": "42", "searchValue": "2", '
                  b'"blockUntil": "9999-12-31"}')  # fmt: skip
    assert blocked.status_code == 200, blocked.text
    started = raw(published, "POST", "/batchtrigger/v2", BATCH_START)
    assert started.status_code == 200, started.text
    upload_url = started.json()["uploadUrl"]
    done = published.http.put(upload_url, content=BATCH_FILE)  # (the URL as it is)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["entered"]) == ("FINISHED", 3)
    sent = {m["contact"]: (m["status"], m["subject"])
            for m in published.tenant.outbox(operation="uploadBatchTrigger")}  # fmt: skip
    assert sent == {
        "0": ("DELIVERED", "Hi Bruce"),
        "1": ("DELIVERED", "Hi Aretha"),
        "2": ("SUPPRESSED", "Hi Lady"),
    }
