"""Published Symplify calls, sent as they are written, on today's clock, changed only in
their base URL: seed 004's four example DTOs (all blocking "until February 1, 2020"), the
help centre's signup example, and the reads compost-carma-api makes (research 8c)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.testing import Sandbox

from .helpers import ACCOUNT, FIRST_CONTACT, FIXTURE, GAGA, Sym

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


# compost-carma-api's reads, their paths and queries as it builds them
COMPOST = [
    # ContactsListEndpoint::getAll (defaults), and its iterator's first page (lastId 0)
    "/lists/42/contacts/all?pageSize=1000&lastId=-1&includeProperties=true",
    "/lists/42/contacts/unsubscribed?pageSize=1000&lastId=0&includeProperties=true",
    "/lists/42/contacts/bounced?pageSize=1000&lastId=0&includeProperties=true",
    # ContactsListUrl's query parameters (channel "mixed" by default)
    "/lists/42/contacts/unsubscribed?pageSize=1000&channel=mixed&lastId=-1&includeProperties=true",
    # ContactEndpoint: by originalId; ContactIdentifiedByIdEndpoint: by the contact's id
    "/lists/42/contacts/111/subscriptionstatus",
    "/lists/42/contacts/111/bouncestatus",
    "/lists/42/contacts/111/messages?nostat=true&noOfMessages=10",
    f"/lists/42/contacts/{FIRST_CONTACT}/subscriptionstatus",
    f"/lists/42/contacts/{FIRST_CONTACT}/messages",
    f"/lists/42/contacts/{FIRST_CONTACT}/messagecount/email",
    f"/lists/42/contacts/{FIRST_CONTACT}/messagecount/sms",
]


@pytest.mark.parametrize("path", COMPOST)
def test_compost_carma_apis_reads_are_answered(today: Sym, path: str) -> None:
    answer = raw(today, "GET", path)
    assert answer.status_code == 200, answer.text
    body: Any = answer.json()
    assert isinstance(body, list | dict)


def test_compost_reads_the_opted_out_contact_and_what_it_was_sent(today: Sym) -> None:
    opted = raw(today, "PUT", "/lists/42/contacts/111/update", b'{"unsubscribed": true}')
    assert opted.status_code == 200, opted.text
    sent = raw(today, "POST", "/triggers/7/messages", b'{"originalId": "111"}')
    assert sent.status_code == 200, sent.text
    [listed] = raw(today, "GET", COMPOST[1]).json()
    assert (listed["originalId"], listed["optOutDate"]) == ("111", opted.json()["optOutDate"])
    status = raw(today, "GET", COMPOST[4]).json()
    assert status == {"status": "UNSUBSCRIBED", "mobileStatus": "SUBSCRIBED"}
    [message] = raw(today, "GET", COMPOST[6]).json()
    assert (message["status"], message["reason"]) == ("SUPPRESSED", "SUBSCRIPTION_OPTED_OUT")
    assert message["sentTimestamp"] is None
    count = raw(today, "GET", COMPOST[9]).json()
    assert (count["count"], count["sent"], count["notSent"]) == (1, 0, 1)
