"""What a blocklist entry added through the API holds, as the tenant's snapshot reads it back:
where it came from (API, not FIXTURE, as Messangi's UI shows it) and the serial its id and the
tenant's sequence carry on from the fixture's. (Each of these let a mutant of the code live.)"""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.testing import Sandbox

from .helpers import FREE, OTHER_SENDER, Msg, entry


def snapshot(msg: Msg) -> dict[str, Any]:
    response = msg.http.get(f"{msg.tenant.control}/snapshot")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def test_an_api_entry_is_numbered_after_the_fixtures_and_says_where_it_came_from(
    msg: Msg,
) -> None:
    msg.tenant.set_clock(now="2026-11-23T10:00:00Z", frozen=True)
    added = msg.add(entry(FREE, OTHER_SENDER))
    assert added.status_code == 200, added.text
    seconds = 1_795_428_000  # 2026-11-23T10:00:00Z
    # the fixture's two entries are serials 1 and 2
    assert added.json()["data"]["id"] == f"{seconds:08x}{3:016x}"
    document = snapshot(msg)
    [mine] = [e for e in document["messangi"]["blocklist"] if e["to"] == FREE]
    assert mine == {
        "id": added.json()["data"]["id"],
        "to": FREE,
        "reason": "UNSUBSCRIBED",
        "type": "SMS",
        "from": OTHER_SENDER,
        "source": "API",
        "date": "2026-11-23T10:00:00.000Z",
    }
    assert {e["source"] for e in document["messangi"]["blocklist"] if e["to"] != FREE} == {
        "FIXTURE"
    }
    assert document["sequences"]["messangi_subscriber"] == 3


def phone_hint(first_letter: str) -> str:
    return (
        f"is not a phone number: it has the character {first_letter!r}; a phone number is "
        "digits, spaces, dashes, dots, parentheses and a leading +; SMS blocklists and sends "
        "take E.164 numbers"
    )


EMAIL_HINT = (
    "is not an e-mail address: an address is local-part@domain.tld, without spaces; EMAIL "
    "blocklists and sends take e-mail addresses"
)


@pytest.mark.parametrize(
    ("to", "kind", "hint"),
    [("not-a-number", "SMS", phone_hint("n")), ("+525500000000", "EMAIL", EMAIL_HINT)],
)
def test_a_fixture_entry_that_cannot_be_read_names_its_field(
    sandbox: Sandbox, to: str, kind: str, hint: str
) -> None:
    document = {
        "messangi": {
            "senders": [{"from": "1", "type": kind}],
            "blocklist": [{"to": to, "from": "1", "type": kind}],
        }
    }
    response = sandbox.http.put("/_sandbox/tenants/t-mutation-blocklist", json=document)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["field"] == "messangi.blocklist[0].to"
    assert error["message"] == f"messangi.blocklist[0].to: {to!r} {hint}"


def test_an_address_that_cannot_be_read_is_explained_in_messangis_envelope(msg: Msg) -> None:
    added = msg.add(entry("abc"))
    assert added.status_code == 400
    assert added.json()["meta"]["explain"] == f"to: 'abc' {phone_hint('a')}"
    added = msg.add(entry("+525500000000", "news@example.com", "EMAIL"))
    assert added.json()["meta"]["explain"] == f"to: '+525500000000' {EMAIL_HINT}"
