"""Issue 24, Symplify: what an integrator reads back (research 8c): the list's contacts by
listing (all, unsubscribed, bounced) paged by lastId, a contact's subscription and bounce
status, the messages sent to it and their counts (a suppressed send reads as not sent), the
opt-out dates the server sets, a ListDTO's counts, and POST /{customerid}/contacts."""

from __future__ import annotations

import copy
import datetime
import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import orjson
import pytest

from sandbox.store import TenantData
from sandbox.testing import Sandbox
from sandbox.vendors.symplify import contacts, flags
from sandbox.vendors.symplify.collections import CONTACTS

from .helpers import ACCOUNT, ANN, FIRST_CONTACT, FIXTURE, GAGA, TOM, Sym, dto, error

NOW_MS = 1579078800000  # 2020-01-15T09:00Z, the tenant clock of `sym`
LIST = f"/{ACCOUNT}/lists/42"


def listing(sym: Sym, mode: str, list_id: int = 42, **query: Any) -> list[dict[str, Any]]:
    response = sym.call("GET", f"/{ACCOUNT}/lists/{list_id}/contacts/{mode}", **query)
    assert response.status_code == 200, response.text
    page: list[dict[str, Any]] = response.json()
    return page


def ids(page: list[dict[str, Any]]) -> list[str]:
    return [contact["originalId"] for contact in page]


def update(sym: Sym, original_id: str, **fields: Any) -> dict[str, Any]:
    response = sym.call("PUT", f"{LIST}/contacts/{original_id}/update", fields)
    assert response.status_code == 200, response.text
    contact: dict[str, Any] = response.json()
    return contact


# --- the listings -----------------------------------------------------------------------------
def test_unsubscribed_and_bounced_are_listings_not_contacts_named_so(sym: Sym) -> None:
    """They answered 404 "no contact 'unsubscribed' on list 42"."""
    assert listing(sym, "unsubscribed") == []
    assert listing(sym, "bounced") == []
    update(sym, "222", unsubscribed=True)
    assert ids(listing(sym, "unsubscribed")) == ["222"]
    assert ids(listing(sym, "all")) == ["111", "222", "333"]


def test_the_unsubscribed_listing_follows_every_call_that_opts_out_or_back_in(sym: Sym) -> None:
    update(sym, "333", mobileUnsubscribed=True)
    sent = sym.call(
        "POST", f"/{ACCOUNT}/triggers/7/messages", {"originalId": "222", "optOut": True}
    )
    assert sent.status_code == 200, sent.text
    added = sym.call(
        "POST",
        f"{LIST}/contacts",
        {"originalId": "444", "emailAddress": "x@example.com", "unsubscribed": True},
    )
    assert added.status_code == 200, added.text
    assert ids(listing(sym, "unsubscribed")) == ["222", "333", "444"]
    assert ids(listing(sym, "unsubscribed", channel="EMAIL")) == ["222", "444"]
    assert ids(listing(sym, "unsubscribed", channel="sms")) == ["333"]
    update(sym, "222", unsubscribed=False)
    assert ids(listing(sym, "unsubscribed")) == ["333", "444"]
    assert ids(listing(sym, "unsubscribed", list_id=43)) == []  # each list its own


def test_a_listing_pages_by_last_id_in_id_order_whoever_opted_out_first(sym: Sym) -> None:
    """A contact that opts out late still comes at its id's place, so paging by lastId sees
    every contact once."""
    for original_id in ("333", "111", "222"):
        update(sym, original_id, unsubscribed=True)
    seen: list[str] = []
    last = -1
    while page := listing(sym, "unsubscribed", pageSize=2, lastId=last):
        seen.extend(ids(page))
        last = page[-1]["id"]
    assert seen == ["111", "222", "333"]
    assert ids(listing(sym, "unsubscribed", lastId=0)) == seen  # compost's first page
    assert ids(listing(sym, "unsubscribed", lastId=FIRST_CONTACT)) == ["222", "333"]


def test_all_lists_every_contact_whatever_the_channel(sym: Sym) -> None:
    for channel in ("EMAIL", "sms", "mixed"):
        assert ids(listing(sym, "all", channel=channel)) == ["111", "222", "333"]


def test_a_listing_by_email_address_however_written(sym: Sym) -> None:
    update(sym, "111", unsubscribed=True)
    assert ids(listing(sym, "all", email=" Lady_Gaga@Example.com ")) == ["111"]
    assert ids(listing(sym, "unsubscribed", email=GAGA)) == ["111"]
    assert listing(sym, "unsubscribed", email=TOM) == []
    assert ids(listing(sym, "all", list_id=43, email=GAGA)) == ["111"]
    assert error(sym.call("GET", f"{LIST}/contacts/all", email="not an address"), 400) == "email"


def test_include_properties_false_leaves_them_out(sandbox: Sandbox) -> None:
    document = copy.deepcopy(FIXTURE)
    document["symplify"]["accounts"][0]["lists"][0]["contacts"][0]["properties"] = {"tier": "gold"}
    with tenant_of(sandbox, document) as sym:
        assert listing(sym, "all")[0]["properties"] == {"tier": "gold"}
        assert "properties" not in listing(sym, "all", includeProperties="false")[0]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"pageSize": 0}, "pageSize"),
        ({"pageSize": 1001}, "pageSize"),
        ({"pageSize": "ten"}, "pageSize"),
        ({"lastId": -2}, "lastId"),
        ({"lastId": "last"}, "lastId"),
        ({"channel": "FAX"}, "channel"),
    ],
)
@pytest.mark.parametrize("mode", ["all", "unsubscribed", "bounced"])
def test_a_bad_page_size_last_id_or_channel_is_a_400_naming_it(
    sym: Sym, mode: str, query: dict[str, Any], field: str
) -> None:
    assert error(sym.call("GET", f"{LIST}/contacts/{mode}", **query), 400) == field


def test_a_listing_of_an_unknown_list_is_a_404(sym: Sym) -> None:
    assert error(sym.call("GET", f"/{ACCOUNT}/lists/77/contacts/unsubscribed"), 404) == "listId"


# --- bounces: declared by the tenant's document ----------------------------------------------
BOUNCED = copy.deepcopy(FIXTURE)
_PEOPLE = BOUNCED["symplify"]["accounts"][0]["lists"][0]["contacts"]
_PEOPLE[1].update({"bounced": True, "invalidated": 1577836800000})  # Tom, 2020-01-01
_PEOPLE[2].update({"mobile_bounced": True, "mobile_unsubscribed": True})  # Ann


@pytest.fixture
def bounced(sandbox: Sandbox) -> Iterator[Sym]:
    with tenant_of(sandbox, BOUNCED) as sym:
        yield sym


def test_bounced_contacts_are_listed_and_read_with_their_date(bounced: Sym) -> None:
    assert ids(listing(bounced, "bounced")) == ["222", "333"]
    assert ids(listing(bounced, "bounced", channel="EMAIL")) == ["222"]
    assert ids(listing(bounced, "bounced", channel="SMS")) == ["333"]
    tom = bounced.call("GET", f"{LIST}/contacts/222").json()
    assert (tom["bounced"], tom["dateOfInvalidation"]) == (True, 1577836800000)
    ann = bounced.call("GET", f"{LIST}/contacts/333").json()
    assert (ann["mobileBounced"], ann["bounced"]) == (True, False)
    assert "dateOfInvalidation" not in ann
    status = bounced.call("GET", f"{LIST}/contacts/222/bouncestatus")
    assert status.json() == {"status": "BOUNCED", "mobileStatus": "NOT_BOUNCED"}
    status = bounced.call("GET", f"{LIST}/contacts/111/bouncestatus")
    assert status.json() == {"status": "NOT_BOUNCED", "mobileStatus": "NOT_BOUNCED"}


def test_the_last_bounce_is_the_declared_one_with_its_address_and_day(bounced: Sym) -> None:
    """compost-carma-api's lastBounce: by the contact's id (its ById endpoint) or originalId."""
    tom = bounced.call("GET", f"{LIST}/contacts/{FIRST_CONTACT + 1}/lastbounce")
    assert tom.status_code == 200, tom.text
    assert tom.json() == {
        **dict.fromkeys(["messageId", "mta", "vmta", "bncCat", "dsnStatus", "dsnMta",
                         "dsnDiagnosis", "dsnStatusCode", "senderAddress", "remoteMta"]),
        "bounceType": "HARD",
        "recipient": TOM,
        "bounceDate": 1577836800000,
        "domain": "example.com",
        "channel": "EMAIL",
    }  # fmt: skip
    ann = bounced.call("GET", f"{LIST}/contacts/333/lastbounce").json()
    assert (ann["recipient"], ann["channel"], ann["domain"]) == (ANN, "SMS", None)
    assert isinstance(ann["bounceDate"], int)
    before = bounced.tenant.snapshot()
    assert error(bounced.call("GET", f"{LIST}/contacts/111/lastbounce"), 404) == "originalId"
    assert error(bounced.call("GET", f"{LIST}/contacts/999/lastbounce"), 404) == "originalId"
    assert bounced.tenant.snapshot() == before


def test_the_last_of_two_bounces_is_the_later_one(sandbox: Sandbox) -> None:
    document = copy.deepcopy(BOUNCED)
    document["symplify"]["accounts"][0]["lists"][0]["contacts"][2].update(
        {"email": "ann@example.com", "bounced": True, "invalidated": 1577836800000,
         "mobile_invalidated": 1578000000000}
    )  # fmt: skip
    with tenant_of(sandbox, document) as sym:
        later = sym.call("GET", f"{LIST}/contacts/333/lastbounce").json()
        assert (later["channel"], later["bounceDate"]) == ("SMS", 1578000000000)


def test_a_date_without_its_flag_is_refused_naming_it(sandbox: Sandbox) -> None:
    document = copy.deepcopy(FIXTURE)
    document["symplify"]["accounts"][0]["lists"][0]["contacts"][0]["opt_out_date"] = 1
    answer = sandbox.http.put("/_sandbox/tenants/sym-dated", json=document)
    assert answer.status_code == 400, answer.text
    where = "symplify.accounts[0].lists[0].contacts[0].opt_out_date"
    assert answer.json()["error"]["field"] == where


def test_opt_outs_bounces_and_their_dates_survive_a_snapshot(
    bounced: Sym, sandbox: Sandbox
) -> None:
    update(bounced, "111", unsubscribed=True)
    copied = sandbox.create_tenant(bounced.tenant.snapshot())
    try:
        again = Sym(bounced.http, copied)
        assert ids(listing(again, "bounced")) == ["222", "333"]
        assert ids(listing(again, "unsubscribed")) == ["111", "333"]
        assert listing(again, "all")[0]["optOutDate"] == NOW_MS
        assert listing(again, "all")[1]["dateOfInvalidation"] == 1577836800000
    finally:
        copied.delete()


# each opt-out and bounce as a tenant document declares it (its flag and date), the ContactDTO
# shows it (its name, its date's name: None, none is published), the channel and listing it
# puts the contact in, and how the recipients page reads it
EVERY_FLAG = [
    ("unsubscribed", "opt_out_date", "unsubscribed", "optOutDate", "EMAIL", "unsubscribed",
     "opted out of e-mail"),
    ("mobile_unsubscribed", "opt_out_mobile_date", "mobileUnsubscribed", "optOutMobileDate",
     "SMS", "unsubscribed", "opted out of SMS"),
    ("bounced", "invalidated", "bounced", "dateOfInvalidation", "EMAIL", "bounced",
     "e-mail bounced"),
    ("mobile_bounced", "mobile_invalidated", "mobileBounced", None, "SMS", "bounced",
     "SMS bounced"),
]  # fmt: skip
STATUS_READ = {"unsubscribed": "subscriptionstatus", "bounced": "bouncestatus"}


def test_the_flag_table_is_the_one_these_tests_check() -> None:
    table = [
        (f.stored, f.dated, f.dto, f.dto_date, f.channel, f.listing, f.label) for f in flags.FLAGS
    ]
    assert table == EVERY_FLAG


@pytest.mark.parametrize("row", EVERY_FLAG, ids=[row[0] for row in EVERY_FLAG])
def test_each_flag_a_document_declares_reads_back_everywhere_with_its_day(
    sandbox: Sandbox, row: tuple[str, str, str, str | None, str, str, str]
) -> None:
    """The ContactDTO, the listing of its channel (and MIXED), the status read, the web
    outbox (with its day: a mobile bounce had none) and a snapshot each show the flag."""
    stored, dated, name, date_name, channel, mode, label = row
    document = copy.deepcopy(FIXTURE)
    [ann] = [c for c in document["symplify"]["accounts"][0]["lists"][0]["contacts"]
             if c["original_id"] == "333"]  # fmt: skip
    ann.update({"email": "ann@example.com", stored: True, dated: 1577836800000})  # 2020-01-01
    with tenant_of(sandbox, document) as declared:
        read = declared.call("GET", f"{LIST}/contacts/333").json()
        assert read[name] is True
        if date_name is not None:
            assert read[date_name] == 1577836800000
        assert ids(listing(declared, mode, channel=channel)) == ["333"]
        assert ids(listing(declared, mode)) == ["333"]
        other = "SMS" if channel == "EMAIL" else "EMAIL"
        assert listing(declared, mode, channel=other) == []
        status = declared.call("GET", f"{LIST}/contacts/333/{STATUS_READ[mode]}").json()
        assert status["status" if channel == "EMAIL" else "mobileStatus"] in {
            "UNSUBSCRIBED",
            "BOUNCED",
        }
        page = declared.http.get(f"/_sandbox/ui/tenants/{declared.tenant.name}/recipients")
        assert f"{label} on 2020-01-01" in page.text
        snapshot = declared.tenant.snapshot()
        [kept] = [c for c in snapshot["symplify"]["accounts"][0]["lists"][0]["contacts"]
                  if c["original_id"] == "333"]  # fmt: skip
        assert (kept[stored], kept[dated]) == (True, 1577836800000)


def test_a_mobile_bounce_without_its_day_is_dated_when_the_document_is_loaded(
    bounced: Sym,
) -> None:
    [ann] = [c for c in bounced.tenant.snapshot()["symplify"]["accounts"][0]["lists"][0][
        "contacts"] if c["original_id"] == "333"]  # fmt: skip
    assert ann["mobile_bounced"] is True and isinstance(ann["mobile_invalidated"], int)


# --- opt-out dates --------------------------------------------------------------------------
def test_the_server_dates_an_opt_out_and_keeps_the_date_while_it_lasts(sym: Sym) -> None:
    fresh = sym.call("GET", f"{LIST}/contacts/111").json()
    assert "optOutDate" not in fresh and "optOutMobileDate" not in fresh
    assert update(sym, "111", unsubscribed=True)["optOutDate"] == NOW_MS
    sym.tenant.advance_clock(3600)
    again = update(sym, "111", unsubscribed=True, firstName="Lady", optOutDate=0)
    assert again["optOutDate"] == NOW_MS  # still the first opt-out's; a client's is ignored
    assert again["dateModified"] == NOW_MS + 3_600_000
    back = update(sym, "111", unsubscribed=False)
    assert "optOutDate" not in back
    assert update(sym, "333", mobileUnsubscribed=True)["optOutMobileDate"] == NOW_MS + 3_600_000


def test_a_trigger_opt_out_dates_it_at_the_send(sym: Sym) -> None:
    sym.tenant.advance_clock(60)
    body = {"originalId": "333", "optOut": True, "properties": {"code": "1"}}
    assert sym.call("POST", f"/{ACCOUNT}/triggers/8/messages", body).status_code == 200
    ann = sym.call("GET", f"{LIST}/contacts/333").json()
    assert (ann["mobileUnsubscribed"], ann["optOutMobileDate"]) == (True, NOW_MS + 60_000)


def test_an_import_dates_the_opt_outs_it_makes(sym: Sym) -> None:
    created = sym.call("POST", f"{LIST}/imports", {"type": "ADD"}).json()
    csv = "originalId,unsubscribed\n222,true\n555,1\n"
    posted = sym.http.post(
        f"/symplify{LIST}/recipients/{created['id']}",
        content=csv.encode(),
        headers={**sym.auth, "Content-Type": "text/csv"},
    )
    assert posted.status_code == 200, posted.text
    dates = {c["originalId"]: c.get("optOutDate") for c in listing(sym, "unsubscribed")}
    assert dates == {"222": NOW_MS, "555": NOW_MS}


# --- subscription status ----------------------------------------------------------------------
def test_the_subscription_status_of_each_channel(sym: Sym) -> None:
    path = f"{LIST}/contacts/333/subscriptionstatus"
    assert sym.call("GET", path).json() == {"status": "SUBSCRIBED", "mobileStatus": "SUBSCRIBED"}
    update(sym, "333", mobileUnsubscribed=True)
    assert sym.call("GET", path).json() == {"status": "SUBSCRIBED", "mobileStatus": "UNSUBSCRIBED"}


def test_the_update_names_the_contact_as_the_reads_do(sym: Sym) -> None:
    """By its originalId, or else by its ContactDTO id (one lookup for every call naming a
    contact: the update had its own, by originalId only, and answered 404 here)."""
    answer = sym.call(
        "PUT",
        f"{LIST}/contacts/{FIRST_CONTACT + 1}/update",
        {"originalId": "222", "firstName": "T"},
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["originalId"], answer.json()["firstName"]) == ("222", "T")
    before = sym.tenant.snapshot()
    moved = sym.call("PUT", f"{LIST}/contacts/{FIRST_CONTACT + 1}/update", {"originalId": "999"})
    assert "'222'" in moved.json()["error"] and error(moved, 400) == "originalId"
    assert error(sym.call("PUT", f"{LIST}/contacts/777/update", {}), 404) == "originalId"
    assert sym.tenant.snapshot() == before


def test_a_contact_is_named_by_its_original_id_or_else_by_its_id(sym: Sym) -> None:
    """compost-carma-api's ContactIdentifiedByIdEndpoint puts the contact's id where the
    originalId goes."""
    by_id = sym.call("GET", f"{LIST}/contacts/{FIRST_CONTACT + 1}")
    assert by_id.status_code == 200 and by_id.json()["originalId"] == "222"
    status = sym.call("GET", f"{LIST}/contacts/{FIRST_CONTACT}/subscriptionstatus")
    assert status.status_code == 200
    # the contact of that id is on list 42, not 43
    assert (
        error(sym.call("GET", f"/{ACCOUNT}/lists/43/contacts/{FIRST_CONTACT}"), 404) == "originalId"
    )


@pytest.mark.parametrize(
    "tail", ["subscriptionstatus", "bouncestatus", "messages", "messagecount/email"]
)
def test_an_unknown_contact_is_a_404_naming_it(sym: Sym, tail: str) -> None:
    assert error(sym.call("GET", f"{LIST}/contacts/999/{tail}"), 404) == "originalId"
    assert error(sym.call("GET", f"/{ACCOUNT}/lists/77/contacts/111/{tail}"), 404) == "listId"
    assert error(sym.call("GET", f"/999/lists/42/contacts/111/{tail}"), 403) == "customerid"


# --- a contact's messages -----------------------------------------------------------------------
def test_a_contacts_messages_newest_first_with_the_suppressed_one_as_not_sent(sym: Sym) -> None:
    assert (
        sym.call("POST", f"/{ACCOUNT}/triggers/7/messages", {"originalId": "111"}).status_code
        == 200
    )
    assert sym.block(value="111").status_code == 200
    sym.tenant.advance_clock(60)
    assert sym.delivered(42)[GAGA] == ("SUPPRESSED", "CONTACT_TEMP_BLOCKED")
    messages = sym.call("GET", f"{LIST}/contacts/111/messages", noOfMessages=10).json()
    assert [(m["module"], m["status"], m["reason"]) for m in messages] == [
        ("sendToList", "SUPPRESSED", "CONTACT_TEMP_BLOCKED"),
        ("sendTrigger", "DELIVERED", None),
    ]
    blocked, sent = messages
    assert blocked["sentTimestamp"] is None and blocked["actions"]["recieved"] is False
    assert blocked["dateCreated"] == NOW_MS + 60_000
    assert sent["sentTimestamp"] == NOW_MS and sent["actions"]["recieved"] is True
    assert sent["name"] == "Order confirmation" and sent["type"] == "EMAIL"
    assert {m["contactId"] for m in messages} == {FIRST_CONTACT}
    # the same person on list 43 is another contact, with messages of its own
    assert sym.call("GET", f"/{ACCOUNT}/lists/43/contacts/111/messages").json() == []
    newest = sym.call("GET", f"{LIST}/contacts/111/messages", noOfMessages=1, nostat="true")
    assert [m["id"] for m in newest.json()] == [blocked["id"]]


def test_message_counts_per_channel_tell_sent_from_not_sent(sym: Sym) -> None:
    for _ in range(2):
        sym.call("POST", f"/{ACCOUNT}/triggers/8/messages", {"originalId": "333"})
    update(sym, "333", mobileUnsubscribed=True)
    assert sym.delivered(42, channel="SMS")[ANN] == ("SUPPRESSED", "SUBSCRIPTION_OPTED_OUT")
    sms = sym.call("GET", f"{LIST}/contacts/333/messagecount/sms").json()
    assert sms == {
        **{"normal": 1, "trigger": 2, "auto": 0, "total": 3},  # compost's MessageCountDto
        **{"channel": "SMS", "count": 3, "sent": 2, "notSent": 1},
    }
    email = sym.call("GET", f"{LIST}/contacts/333/messagecount/EMAIL").json()
    assert email == {"normal": 0, "trigger": 0, "auto": 0, "total": 0, "channel": "EMAIL",
                     "count": 0, "sent": 0, "notSent": 0}  # fmt: skip
    assert error(sym.call("GET", f"{LIST}/contacts/333/messagecount/fax"), 400) == "channel"


def test_a_bad_number_of_messages_is_a_400_naming_it(sym: Sym) -> None:
    for bad in (0, 1001, "all"):
        path = f"{LIST}/contacts/111/messages"
        assert error(sym.call("GET", path, noOfMessages=bad), 400) == "noOfMessages"


def test_messages_the_outbox_let_go_are_gone_from_the_contacts_reads(sym: Sym) -> None:
    settings = sym.http.put(f"{sym.tenant.control}/settings", json={"outbox_retention": 2})
    assert settings.status_code == 200, settings.text
    for _ in range(3):
        sym.call("POST", f"/{ACCOUNT}/triggers/7/messages", {"originalId": "111"})
    assert len(sym.call("GET", f"{LIST}/contacts/111/messages").json()) == 2
    count = sym.call("GET", f"{LIST}/contacts/111/messagecount/email").json()
    assert (count["count"], count["sent"]) == (2, 2)


def _import(sym: Sym, kind: str, csv: str) -> None:
    created = sym.call("POST", f"{LIST}/imports", {"type": kind}).json()
    posted = sym.http.post(
        f"/symplify{LIST}/recipients/{created['id']}",
        content=csv.encode(),
        headers={**sym.auth, "Content-Type": "text/csv"},
    )
    assert posted.status_code == 200, posted.text


def test_a_contact_removed_and_added_again_keeps_its_messages(sym: Sym) -> None:
    """A REPLACE import removes Tom; an import adds him back, a new record: the messages to
    his originalId on the list are still his (they were read by his old record's id, and
    were gone), each naming the record it went to."""
    sent = sym.call("POST", f"/{ACCOUNT}/triggers/7/messages", {"originalId": "222"})
    assert sent.status_code == 200, sent.text
    _import(sym, "REPLACE", "originalId,emailAddress\n111,lady_gaga@example.com\n")
    assert "222" not in ids(listing(sym, "all"))
    _import(sym, "ADD", "originalId,emailAddress\n222,tom@example.com\n")
    again = sym.call("GET", f"{LIST}/contacts/222").json()
    assert again["id"] != FIRST_CONTACT + 1
    [message] = sym.call("GET", f"{LIST}/contacts/222/messages").json()
    assert (message["contactId"], message["module"]) == (FIRST_CONTACT + 1, "sendTrigger")
    assert sym.call("GET", f"{LIST}/contacts/222/messagecount/email").json()["total"] == 1


# --- a list's messages --------------------------------------------------------------------------
def test_a_lists_messages_newest_first_whoever_they_went_to(sym: Sym) -> None:
    """compost-carma-api's RecipientListEndpoint::messages: every send to the list's
    contacts, the suppressed ones as not sent; another list's are not there."""
    assert sym.call("GET", f"{LIST}/messages").json() == []
    sym.block(value="222")
    assert sym.delivered(42)[TOM] == ("SUPPRESSED", "CONTACT_TEMP_BLOCKED")
    assert (
        sym.call("POST", f"/{ACCOUNT}/triggers/7/messages", {"originalId": "111"}).status_code
        == 200
    )
    sym.delivered(43)
    page = sym.call("GET", f"{LIST}/messages", nostat="true", noOfMessages=100)
    assert page.status_code == 200, page.text
    found = page.json()
    assert [(m["contactId"], m["module"]) for m in found] == [
        (FIRST_CONTACT, "sendTrigger"),
        (FIRST_CONTACT + 1, "sendToList"),
        (FIRST_CONTACT, "sendToList"),
    ]
    assert [m["id"] for m in found] == sorted((m["id"] for m in found), reverse=True)
    tom = found[1]
    assert (tom["status"], tom["reason"], tom["sentTimestamp"]) == (
        "SUPPRESSED",
        "CONTACT_TEMP_BLOCKED",
        None,
    )
    assert found[0]["sentTimestamp"] == NOW_MS and found[0]["actions"]["recieved"] is True
    [only] = sym.call("GET", f"{LIST}/messages", noOfMessages=1).json()
    assert only == found[0]
    other = sym.call("GET", f"/{ACCOUNT}/lists/43/messages").json()
    assert [m["contactId"] for m in other] == [FIRST_CONTACT + 3]


@pytest.mark.parametrize(
    ("path", "query", "status", "field"),
    [
        ("/lists/77/messages", {}, 404, "listId"),
        ("/lists/42/messages", {"noOfMessages": 0}, 400, "noOfMessages"),
        ("/lists/42/messages", {"noOfMessages": 1001}, 400, "noOfMessages"),
        ("/lists/42/messages", {"nostat": "maybe"}, 400, "nostat"),
    ],
)
def test_a_bad_list_messages_read_is_refused_naming_it(
    sym: Sym, path: str, query: dict[str, Any], status: int, field: str
) -> None:
    assert error(sym.call("GET", f"/{ACCOUNT}{path}", **query), status) == field


# --- ListDTO counts -----------------------------------------------------------------------------
def test_the_list_counts_opt_outs_and_bounces_as_they_change(bounced: Sym) -> None:
    update(bounced, "111", unsubscribed=True)
    listed = bounced.call("GET", LIST).json()
    assert listed["breakdown"] == {
        "email": {"contacts": 2, "unsubscribed": 1, "bounced": 1},
        "mobile": {"contacts": 1, "unsubscribed": 1, "bounced": 1},
    }
    assert (listed["unsubscribes"], listed["hardBounces"], listed["contacts"]) == (2, 2, 3)
    update(bounced, "111", unsubscribed=False)
    listed = bounced.call("GET", LIST).json()
    assert listed["breakdown"]["email"] == {"contacts": 2, "unsubscribed": 0, "bounced": 1}
    assert (listed["unsubscribes"], listed["hardBounces"]) == (1, 2)


def test_the_list_counts_contacts_per_channel_and_dates_its_last_import(sym: Sym) -> None:
    """compost-carma-api's ListDto: `breakdown.*.contacts` (with an address on the channel,
    as every change of an address moves it), `lastImportTime` (the last finished batch's)."""
    assert sym.call("GET", LIST).json()["lastImportTime"] is None
    update(sym, "111", mobileNumber="+46700000001")
    update(sym, "222", emailAddress=None)
    listed = sym.call("GET", LIST).json()
    assert (listed["breakdown"]["email"]["contacts"], listed["emailAddresses"]) == (1, 1)
    assert (listed["breakdown"]["mobile"]["contacts"], listed["mobileNumbers"]) == (2, 2)
    sym.tenant.advance_clock(60)
    _import(sym, "ADD", "originalId,emailAddress\n444,new@example.com\n")
    listed = sym.call("GET", LIST).json()
    assert (listed["lastImportTime"], listed["breakdown"]["email"]["contacts"]) == (
        NOW_MS + 60_000,
        2,
    )
    failed = sym.call("POST", f"{LIST}/imports", {"type": "ADD"}).json()
    sym.tenant.advance_clock(60)
    bad = sym.http.post(
        f"/symplify{LIST}/recipients/{failed['id']}",
        content=b"originalId,emailAddress\n555,not-an-address\n",
        headers={**sym.auth, "Content-Type": "text/csv"},
    )
    assert (
        bad.status_code == 200
        and sym.call("GET", f"/{ACCOUNT}/batches/{bad.json()['batchId']}").json()["status"]
        == "ERROR"
    )
    assert sym.call("GET", LIST).json()["lastImportTime"] == NOW_MS + 60_000  # (imported nothing)
    assert sym.call("GET", f"/{ACCOUNT}/lists/43").json()["lastImportTime"] is None


# --- POST /{customerid}/contacts ----------------------------------------------------------------
def test_save_creates_a_contact_then_updates_it(sym: Sym) -> None:
    body = {"listId": 42, "originalId": "777", "emailAddress": "new@example.com"}
    created = sym.call("POST", f"/{ACCOUNT}/contacts", body)
    assert created.status_code == 200, created.text
    contact = created.json()
    assert (contact["listId"], contact["emailAddress"]) == (42, "new@example.com")
    assert sym.call("GET", f"{LIST}/contacts/777").json() == contact
    changed = sym.call(
        "POST", f"/{ACCOUNT}/contacts", {"listId": "42", "originalId": "777", "unsubscribed": True}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["id"] == contact["id"]  # the same contact, changed
    assert changed.json()["emailAddress"] == "new@example.com"
    assert changed.json()["optOutDate"] == NOW_MS
    assert ids(listing(sym, "unsubscribed")) == ["777"]
    assert sym.call("GET", LIST).json()["contacts"] == 4


def test_save_without_a_list_takes_the_accounts_only_list(sym: Sym) -> None:
    saved = sym.call("POST", "/5678/contacts", {"originalId": "1", "mobileNumber": "+46700000001"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["listId"] == 42
    response = sym.call("POST", f"/{ACCOUNT}/contacts", {"originalId": "1"})
    assert error(response, 400) == "listId"  # account 1234 has lists 42 and 43


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"listId": 77, "originalId": "1"}, 404, "listId"),
        ({"listId": "x", "originalId": "1"}, 400, "listId"),
        ({"listId": 42}, 400, "originalId"),
        ({"listId": 42, "originalId": "1", "emailAddress": "no-at"}, 400, "emailAddress"),
        ({"listId": 42, "originalId": "111", "mobileNumber": "abc"}, 400, "mobileNumber"),
    ],
)
def test_a_bad_save_names_its_field_and_changes_nothing(
    sym: Sym, body: dict[str, Any], status: int, field: str
) -> None:
    before = sym.tenant.snapshot()
    assert error(sym.call("POST", f"/{ACCOUNT}/contacts", body), status) == field
    assert sym.tenant.snapshot() == before


@contextmanager
def tenant_of(sandbox: Sandbox, document: dict[str, Any]) -> Iterator[Sym]:
    """A Sym over a fresh tenant made from `document`, its clock as `sym`'s."""
    tenant = sandbox.create_tenant(document)
    tenant.set_clock(now="2020-01-15T09:00:00Z", frozen=True)
    try:
        yield Sym(sandbox.http, tenant)
    finally:
        tenant.delete()


# --- the web outbox's recipients page -----------------------------------------------------------
def test_the_recipients_page_shows_opt_outs_bounces_their_days_and_the_counts(bounced: Sym) -> None:
    update(bounced, "111", unsubscribed=True)
    page = bounced.http.get(f"/_sandbox/ui/tenants/{bounced.tenant.name}/recipients")
    assert page.status_code == 200, page.text
    text = page.text
    assert "opted out of e-mail on 2020-01-15" in text
    assert "e-mail bounced on 2020-01-01" in text
    assert "opted out of SMS" in text and "SMS bounced" in text
    assert "3 contacts, 2 opted out, 2 bounced" in text


# --- encoded ContactDTOs, made once per stored document ------------------------------------------
def stored_in(data: TenantData, contact: dict[str, Any]) -> dict[str, Any]:
    data[CONTACTS.name].put(contact)
    return contact


def encoded(data: TenantData, contact: dict[str, Any], today: datetime.date) -> Any:
    return contacts.encoded_dto(data, contact, today)


def decoded(fragment: Any) -> Any:
    return orjson.loads(orjson.dumps(fragment))


def test_a_contacts_dto_is_encoded_once_until_the_contact_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = TenantData("encoded", [CONTACTS])
    today = datetime.date(2020, 1, 15)
    stored = stored_in(data, contacts.new_contact(7, "1234", 42, {"original_id": "7"}, 1))
    made: list[int] = []
    dto_of = contacts.contact_dto

    def counted(contact: dict[str, Any], *args: Any) -> dict[str, Any]:
        made.append(contact["id"])
        return dto_of(contact, *args)

    monkeypatch.setattr(contacts, "contact_dto", counted)
    first = encoded(data, stored, today)
    assert decoded(encoded(data, stored, today)) == decoded(first) == dto_of(stored, today)
    assert made == [7]  # made once
    changed = stored_in(data, contacts.stamped({**stored, "unsubscribed": True}, 2))
    assert decoded(encoded(data, changed, today))["optOutDate"] == 2
    with_props = stored_in(data, {**stored, "properties": {"tier": "gold"}})
    assert decoded(encoded(data, with_props, today))["properties"] == {"tier": "gold"}
    [bare] = decoded(contacts.encoded_page(data, [7], today, properties=False))
    assert "properties" not in bare
    assert decoded(encoded(data, with_props, today))["properties"] == {"tier": "gold"}
    blocked = stored_in(data, {**stored, "block": {"until": "2020-01-16", "all": False}})
    assert "blockedUntil" in decoded(encoded(data, blocked, today))
    later = today + datetime.timedelta(days=2)  # a block's DTO follows the day
    assert "blockedUntil" not in decoded(encoded(data, blocked, later))


def test_a_page_is_the_array_of_its_contacts_dtos_in_the_order_asked() -> None:
    data = TenantData("encoded", [CONTACTS])
    today = datetime.date(2020, 1, 15)
    made = [
        stored_in(data, contacts.new_contact(n, "1234", 42, {"original_id": str(n)}, 1))
        for n in (1, 2, 3)
    ]
    assert decoded(contacts.encoded_page(data, [], today)) == []
    encoded(data, made[1], today)  # one kept already, the others made now
    page = decoded(contacts.encoded_page(data, [3, 2, 1], today))
    assert page == [contacts.contact_dto(c, today) for c in reversed(made)]
    assert decoded(contacts.encoded_page(data, [2], today)) == [page[1]]


def test_an_encoded_dto_is_one_tenants_own() -> None:
    today = datetime.date(2020, 1, 15)
    mine, theirs = TenantData("mine", [CONTACTS]), TenantData("theirs", [CONTACTS])
    stored_in(mine, contacts.new_contact(7, "1234", 42, {"original_id": "7"}, 1))
    other = stored_in(theirs, contacts.new_contact(7, "1234", 42, {"original_id": "x"}, 1))
    assert decoded(encoded(mine, other, today))["originalId"] == "7"
    assert decoded(encoded(theirs, other, today))["originalId"] == "x"


def test_past_their_number_the_encoded_dtos_are_let_go(
    sym: Sym, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(contacts._KEPT, "MAX", 2)
    monkeypatch.setattr(contacts._KEPT, "held", 0)
    assert ids(listing(sym, "all")) == ["111", "222", "333"]
    assert contacts._KEPT.held == 1  # (emptied when the third came)
    update(sym, "111", firstName="Lady")
    assert listing(sym, "all")[0]["firstName"] == "Lady"


MARKED = copy.deepcopy(FIXTURE)
MARKED["symplify"]["accounts"][0]["lists"][0]["contacts"].append(
    {"original_id": "held-only-by-its-tenant", "email": "marked@example.com",
     "properties": {"mark": "1"}}
)  # fmt: skip


def _held(original_id: str) -> list[Any]:
    """The stored contacts with this originalId that anything still holds (a contact with
    properties is a container the collector tracks)."""
    gc.collect()
    return [
        o
        for o in gc.get_objects()
        if type(o) is dict and o.get("original_id") == original_id and "account" in o
    ]


@pytest.mark.parametrize("gone", ["deleted", "reset"])
def test_a_tenant_deleted_or_reset_leaves_none_of_its_contacts_held(
    sandbox: Sandbox, gone: str
) -> None:
    """Its encoded DTOs went with it: they held its documents until 20,000 more were made."""
    tenant = sandbox.create_tenant(MARKED)
    try:
        sym = Sym(sandbox.http, tenant)
        assert "held-only-by-its-tenant" in ids(listing(sym, "all"))
        assert sym.call("GET", f"{LIST}/contacts/held-only-by-its-tenant").status_code == 200
        assert _held("held-only-by-its-tenant")
        if gone == "reset":
            tenant.reset()
            for _ in range(100):  # the new one, loaded again, alone
                if len(_held("held-only-by-its-tenant")) == 1:
                    break
                time.sleep(0.02)
            assert len(_held("held-only-by-its-tenant")) == 1
            return
    finally:
        tenant.delete()
    # (the server's thread may still be finishing the request that answered: a moment)
    for _ in range(100):
        if not _held("held-only-by-its-tenant"):
            break
        time.sleep(0.02)
    assert _held("held-only-by-its-tenant") == []


# every call that changes a stored contact, and what a listing then reads: each puts a new
# document (the store's documents are never changed in place), so no DTO made before is read
CHANGES: list[tuple[str, str, Any, str, Any]] = [
    ("PUT", "/lists/42/contacts/111/update", {"firstName": "Lady"}, "firstName", "Lady"),
    ("POST", "/contacts", {"listId": 42, "originalId": "111", "lastName": "G"}, "lastName", "G"),
    ("POST", "/triggers/7/messages", {"originalId": "111", "optOut": True}, "unsubscribed", True),
    ("PUT", "/lists/contacts/tempblock", dto(until="2020-02-01"), "blockedUntil", 1580601599999),
    ("IMPORT", "ADD", "originalId,firstName\n111,Imported\n", "firstName", "Imported"),
    ("IMPORT", "REPLACE", "originalId,lastName\n111,Replaced\n", "lastName", "Replaced"),
]


@pytest.mark.parametrize("change", CHANGES, ids=[f"{c[0]} {c[1]}" for c in CHANGES])
def test_a_listing_read_before_and_after_each_change_reads_the_change(
    sym: Sym, change: tuple[str, str, Any, str, Any]
) -> None:
    method, path, body, field, value = change
    assert field not in listing(sym, "all")[0] or listing(sym, "all")[0][field] != value
    if method == "IMPORT":
        created = sym.call("POST", f"{LIST}/imports", {"type": path}).json()
        posted = sym.http.post(
            f"/symplify{LIST}/recipients/{created['id']}",
            content=body.encode(),
            headers={**sym.auth, "Content-Type": "text/csv"},
        )
        assert posted.status_code == 200, posted.text
    else:
        answer = sym.call(method, f"/{ACCOUNT}{path}", body)
        assert answer.status_code == 200, answer.text
    assert listing(sym, "all")[0][field] == value
    assert sym.call("GET", f"{LIST}/contacts/111").json()[field] == value


def _answered(response: httpx.Response) -> None:
    assert response.status_code == 200, response.text


# a change, the contact read (its DTO kept), then a change back: read after the second, the
# listings and the contact read are the contact as it is now, nothing kept from before
AGAIN: dict[str, tuple[Callable[[Sym], Any], Callable[[Sym], Any], str, Any]] = {
    "opted out, then back in": (
        lambda sym: update(sym, "111", unsubscribed=True),
        lambda sym: update(sym, "111", unsubscribed=False),
        "unsubscribed",
        False,
    ),
    "opted out by a trigger, then back in by a save": (
        lambda sym: _answered(
            sym.call(
                "POST", f"/{ACCOUNT}/triggers/7/messages", {"originalId": "111", "optOut": True}
            )
        ),
        lambda sym: _answered(
            sym.call(
                "POST",
                f"/{ACCOUNT}/contacts",
                {"originalId": "111", "listId": 42, "unsubscribed": False},
            )
        ),
        "optOutDate",
        None,
    ),
    "blocked, then released": (
        lambda sym: _answered(sym.call("PUT", f"/{ACCOUNT}/lists/contacts/tempblock", dto())),
        lambda sym: _answered(sym.release()),
        "blockedUntil",
        None,
    ),
    "renamed, then the tenant reset": (
        lambda sym: update(sym, "111", firstName="Lady"),
        lambda sym: sym.tenant.reset(),
        "firstName",
        None,
    ),
}


@pytest.mark.parametrize("case", list(AGAIN))
def test_a_contact_read_between_two_changes_reads_as_the_second_left_it(
    sym: Sym, case: str
) -> None:
    first, second, field, value = AGAIN[case]
    first(sym)
    changed = listing(sym, "all")[0]
    assert changed.get(field) != value
    assert sym.call("GET", f"{LIST}/contacts/111").json() == changed
    if changed["unsubscribed"]:
        assert listing(sym, "unsubscribed")[0] == changed
    second(sym)
    now = listing(sym, "all")[0]
    assert (now["originalId"], now.get(field)) == ("111", value)
    assert sym.call("GET", f"{LIST}/contacts/111").json() == now
    assert "111" not in ids(listing(sym, "unsubscribed"))


def test_the_message_page_names_the_contact_a_symplify_message_went_to(sym: Sym) -> None:
    assert (
        sym.call("POST", f"/{ACCOUNT}/triggers/7/messages", {"originalId": "222"}).status_code
        == 200
    )
    [message] = sym.call("GET", f"{LIST}/contacts/222/messages").json()
    page = sym.http.get(f"/_sandbox/ui/tenants/{sym.tenant.name}/messages/{message['id']}")
    assert page.status_code == 200, page.text
    assert "<dt>contact</dt><dd>222</dd>" in page.text
