"""The plugin's assertions take exactly the outbox's filters (docs/testing.md): an unknown
keyword is a TypeError naming it and the nearest known one, before any request; the sender is a
filter (`from_=` or `**{"from": ...}`); `count=` says how many matching messages are expected;
every matching message is read, however many pages they fill."""

from __future__ import annotations

import typing
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from sandbox.outbox_filters import FILTERS, PAGING
from sandbox.testing import Tenant
from sandbox.testing.filters import PageFilters

MESSANGI = "/messangi/raven/v2/messages"
SMS = "/capillary/v2/communications/sendMessage"
BLOCKED_NUMBER = "+525500000000"  # blocklisted on sender 141555549 only (the example fixture)


def messangi(tenant: Tenant, sender: str, to: str = BLOCKED_NUMBER) -> None:
    body = {"from": sender, "to": to, "text": "hi", "type": "MT"}
    answer = tenant.http.post(MESSANGI, json=body, headers=tenant.messangi_auth())
    assert answer.status_code == 200, answer.text


@pytest.fixture
def blocked_once(tenant: Tenant) -> Tenant:
    """One message from the sender that blocklists the number: suppressed."""
    messangi(tenant, "141555549")
    return tenant


def offline(tenant: Tenant) -> Tenant:
    """The tenant with a client that fails the test if it sends anything."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"a request was sent: {request.method} {request.url}")

    return Tenant(
        tenant.name, tenant.credentials, httpx.Client(transport=httpx.MockTransport(refuse))
    )


# ------------------------------------------------------------------ unknown keywords
@pytest.mark.parametrize(
    "call",
    ["assert_suppressed", "assert_delivered", "assert_nothing_delivered", "assert_nothing_sent"],
)
def test_a_typo_is_a_type_error_naming_it_before_any_request(tenant: Tenant, call: str) -> None:
    with pytest.raises(TypeError) as raised:
        getattr(offline(tenant), call)(to=BLOCKED_NUMBER, vendr="messangi")
    assert str(raised.value) == (f"{call}() got an unknown filter 'vendr'; did you mean 'vendor'?")


def test_outbox_names_an_unknown_keyword_too(tenant: Tenant) -> None:
    with pytest.raises(TypeError, match="unknown filter 'customer'; did you mean 'customer_id'"):
        offline(tenant).outbox(customer="565039505")  # type: ignore[call-arg]


def test_the_sender_given_both_ways_is_refused(tenant: Tenant) -> None:
    with pytest.raises(TypeError, match="sender twice"):
        offline(tenant).assert_suppressed(from_="1", **{"from": "2"})


def test_the_keywords_are_the_outbox_filters() -> None:
    keywords = set(typing.get_type_hints(PageFilters))
    assert keywords == {*FILTERS, "from_", *PAGING}


# ------------------------------------------------------------------ the sender
def test_a_suppression_from_another_sender_does_not_pass(blocked_once: Tenant) -> None:
    with pytest.raises(AssertionError, match="no such message was recorded"):
        blocked_once.assert_suppressed(**{"from": "528811"})
    with pytest.raises(AssertionError, match="no such message was recorded"):
        blocked_once.assert_suppressed(from_="528811", to=BLOCKED_NUMBER)
    blocked_once.assert_suppressed(from_="141555549", reason="SENDER_BLOCKLISTED")
    blocked_once.assert_suppressed(**{"from": "141555549"})


def test_the_sender_that_delivers_is_told_apart(blocked_once: Tenant) -> None:
    messangi(blocked_once, "528811")
    blocked_once.assert_delivered(from_="528811", to=BLOCKED_NUMBER)
    with pytest.raises(AssertionError, match="1 of 1 matching messages are not"):
        blocked_once.assert_suppressed(**{"from": "528811"})
    with pytest.raises(AssertionError, match="1 matching messages were delivered"):
        blocked_once.assert_nothing_delivered(to=BLOCKED_NUMBER)
    blocked_once.assert_nothing_delivered(from_="141555549")


def test_a_reason_is_checked_not_filtered_on(blocked_once: Tenant) -> None:
    """Every message to the number must be suppressed for the reason: one delivered from
    another sender fails the assertion rather than being left out."""
    messangi(blocked_once, "528811")
    with pytest.raises(AssertionError, match="1 of 2 matching messages are not"):
        blocked_once.assert_suppressed(to=BLOCKED_NUMBER, reason="SENDER_BLOCKLISTED")


# ------------------------------------------------------------------ count
def test_count_is_how_many_match(blocked_once: Tenant) -> None:
    messangi(blocked_once, "141555549")
    assert len(blocked_once.assert_suppressed(to=BLOCKED_NUMBER, count=2)) == 2
    with pytest.raises(AssertionError) as failure:
        blocked_once.assert_suppressed(to=BLOCKED_NUMBER, count=1)
    text = str(failure.value)
    assert text.startswith(
        "expected exactly 1 matching, every one suppressed (to='+525500000000'): "
        "found 2 matching messages, expected 1\n"
    )
    assert "the outbox holds (newest first, at most 20):" in text
    assert "sender_blocklist: suppress" in text
    blocked_once.assert_nothing_delivered(from_="141555549", count=2)
    with pytest.raises(AssertionError, match="found 2 matching messages, expected 3"):
        blocked_once.assert_nothing_delivered(count=3)


def test_a_count_that_cannot_be_met_is_refused_before_any_request(tenant: Tenant) -> None:
    quiet = offline(tenant)
    with pytest.raises(ValueError, match="use assert_nothing_sent"):
        quiet.assert_suppressed(to=BLOCKED_NUMBER, count=0)
    with pytest.raises(TypeError, match="count must be an int"):
        quiet.assert_delivered(count="1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="count must be an int"):
        quiet.assert_delivered(count=True)
    with pytest.raises(ValueError, match="at least 0"):
        quiet.assert_nothing_delivered(count=-1)
    with pytest.raises(TypeError, match="takes no count"):
        quiet.assert_nothing_sent(count=0)  # type: ignore[call-arg]


# ------------------------------------------------------------------ the other filters
def test_time_contact_and_text_filters(tenant: Tenant) -> None:
    tenant.set_clock(now="2026-03-01T10:00:00Z", frozen=True)
    messangi(tenant, "141555549")
    tenant.set_clock(now="2026-03-02T10:00:00Z", frozen=True)
    sent = tenant.http.post(
        "/symplify/1234/triggers/7/messages",
        json={"originalId": "111"},
        headers=tenant.symplify_auth(),
    )
    assert sent.status_code == 200, sent.text
    [message] = tenant.assert_delivered(contact="111", since="2026-03-02", count=1)
    assert message["to"] == "lady_gaga@example.com"
    tenant.assert_suppressed(until=datetime(2026, 3, 2, tzinfo=UTC), count=1)
    tenant.assert_suppressed(until=datetime(2026, 3, 2), q="blocklist", count=1)  # naive: UTC
    tenant.assert_nothing_sent(contact=111, until="2026-03-02")
    with pytest.raises(AssertionError, match="since"):
        tenant.assert_nothing_sent(since="next week")  # the server's 400, told


# ------------------------------------------------------------------ every page
def test_every_matching_message_is_read_past_the_first_thousand(tenant: Tenant) -> None:
    """The oldest of 1,001 Capillary messages was delivered: no green for 'all suppressed'."""
    auth = tenant.capillary_auth()
    first = tenant.http.post(
        SMS, json={"sms": [{"to": "919988221100", "body": "hi"}]}, headers=auth
    )
    assert first.status_code == 200
    items: list[dict[str, Any]] = [{"to": "919353491050", "body": "hi"}] * 1000
    for start in range(0, 1000, 100):
        batch = tenant.http.post(SMS, json={"sms": items[start : start + 100]}, headers=auth)
        assert batch.status_code == 200, batch.text
    with pytest.raises(AssertionError, match="1 of 1001 matching messages are not"):
        tenant.assert_suppressed(vendor="capillary")
    assert len(tenant.assert_suppressed(vendor="capillary", to="919353491050", count=1000)) == 1000
