"""The read side refuses what it does not know (docs/contract.md section 4): every control-plane
query parameter is declared, an unknown one is a 400 naming it and the nearest known name; the
outbox filters by every field a person looks for (sender, contact, time range, free text...)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.openapi import load_document
from sandbox.testing import Sandbox, Tenant
from sandbox.testing.example import ACTIVE, BLOCKED

SMS = "/capillary/v2/communications/sendMessage"
MESSANGI = "/messangi/raven/v2/messages"
TRIGGER = "/symplify/1234/triggers/7/messages"
# the five messages `sent` records, oldest first
TIMES = [f"2026-03-0{day}T10:00:00Z" for day in range(1, 6)]


@pytest.fixture
def sent(tenant: Tenant) -> Tenant:
    """One message a day on a frozen clock: Capillary to the blocked customer, Capillary BULK
    to the active one, Messangi from the sender that blocklists the number, Messangi from
    the one that does not, a Symplify trigger to contact 111."""
    calls: list[tuple[str, dict[str, Any], dict[str, str]]] = [
        (SMS, {"sms": [{"to": "919353491050", "body": "one"}]}, tenant.capillary_auth()),
        (
            SMS,
            {"sms": [{"to": "919988221100", "body": "two", "priority": "BULK"}]},
            tenant.capillary_auth(),
        ),
        (
            MESSANGI,
            {"from": "141555549", "to": "+525500000000", "text": "three", "type": "MT"},
            tenant.messangi_auth(),
        ),
        (
            MESSANGI,
            {"from": "528811", "to": "+525500000000", "text": "four", "type": "MT"},
            tenant.messangi_auth(),
        ),
        (TRIGGER, {"originalId": "111"}, tenant.symplify_auth()),
    ]
    for when, (path, body, auth) in zip(TIMES, calls, strict=True):
        tenant.set_clock(now=when, frozen=True)
        answer = tenant.http.post(path, json=body, headers=auth)
        assert answer.status_code == 200, answer.text
    return tenant


def listed(tenant: Tenant, **params: Any) -> list[str]:
    """The bodies of the messages the outbox lists for `params`, newest first."""
    answer = tenant.http.get(f"{tenant.control}/outbox", params=params)
    assert answer.status_code == 200, answer.text
    return [m["body"] for m in answer.json()["items"]]


def refused(http: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    answer = http.get(path, params=params) if params else http.get(path)
    assert answer.status_code == 400, answer.text
    error: dict[str, Any] = answer.json()["error"]
    assert error["code"] == "INVALID_INPUT"
    return error


# ------------------------------------------------------------------ unknown parameters
def test_an_unknown_outbox_parameter_is_a_400_naming_it_and_the_nearest(sent: Tenant) -> None:
    error = refused(sent.http, f"{sent.control}/outbox", vendr="messangi")
    assert error["field"] == "vendr"
    assert error["message"] == "unknown query parameter 'vendr'; did you mean 'vendor'?"
    far = refused(sent.http, f"{sent.control}/outbox", zzz="1")
    assert far["field"] == "zzz" and "'zzz'" in far["message"] and "vendor" in far["message"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/outbox"),
        ("GET", "/requests"),
        ("GET", "/clock"),
        ("GET", "/snapshot"),
        ("GET", "/faults"),
        ("GET", "/settings"),
        ("GET", ""),
    ],
)
def test_every_control_plane_call_refuses_what_it_does_not_declare(
    sent: Tenant, method: str, path: str
) -> None:
    answer = sent.http.request(method, f"{sent.control}{path}", params={"vendor": "capillary"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["field"] == "vendor"
    assert len(sent.outbox()) == 5  # DELETE outbox?vendor=... emptied nothing


def test_tenants_and_health_refuse_unknown_parameters(http: httpx.Client) -> None:
    assert refused(http, "/_sandbox/tenants", limt="5")["field"] == "limt"
    assert refused(http, "/_sandbox/health", verbose="1")["field"] == "verbose"


def test_the_request_log_names_its_limit(sent: Tenant) -> None:
    error = refused(sent.http, f"{sent.control}/requests", limits="2")
    assert error["message"] == "unknown query parameter 'limits'; did you mean 'limit'?"
    assert len(sent.http.get(f"{sent.control}/requests", params={"limit": 2}).json()["items"]) == 2


def test_a_filter_given_twice_is_refused(sent: Tenant) -> None:
    answer = sent.http.get(f"{sent.control}/outbox?status=DELIVERED&status=SUPPRESSED")
    assert answer.status_code == 400 and answer.json()["error"]["field"] == "status"


def test_an_empty_filter_is_refused_not_ignored(sent: Tenant) -> None:
    assert refused(sent.http, f"{sent.control}/outbox", to="")["field"] == "to"


def test_vendor_paths_keep_their_leniency(tenant: Tenant) -> None:
    """Vendors ignore query parameters they do not read: so does the sandbox on their paths."""
    answer = tenant.http.post(
        f"{SMS}?format=json&whatever=1",
        json={"sms": [{"to": "919988221100", "body": "hi"}]},
        headers=tenant.capillary_auth(),
    )
    assert answer.status_code == 200, answer.text


def test_the_spec_declares_exactly_the_filters_the_code_knows() -> None:
    from sandbox.outbox_filters import FILTERS
    from sandbox.settings import Settings

    document = load_document(Settings().openapi_dir / "sandbox.yaml")
    operation = document["paths"]["/tenants/{tenant}/outbox"]["get"]
    declared = [p["name"] for p in operation["parameters"]]
    assert declared == [*FILTERS, "limit", "offset"]


# ------------------------------------------------------------------ the filters
def test_filter_by_sender(sent: Tenant) -> None:
    assert listed(sent, **{"from": "528811"}) == ["four"]
    assert listed(sent, **{"from": "141555549"}) == ["three"]
    assert listed(sent, **{"from": "999"}) == []


def test_a_sender_matches_only_itself_letters_and_all(tenant: Tenant) -> None:
    """Senders compare trimmed, then exactly (docs/emulation.md, How addresses are matched):
    the digits of an alphanumeric sender are not the sender, so `from=OTHER1` finds nothing
    sent from SHOP1 or ACME1 (it found both); likewise a WeChat id is not its digits."""
    for sender in ("SHOP1", "ACME1"):
        body = {"from": sender, "to": "+525500000000", "text": sender, "type": "MT"}
        answer = tenant.http.post(MESSANGI, json=body, headers=tenant.messangi_auth())
        assert answer.status_code == 200, answer.text
    assert listed(tenant, **{"from": "OTHER1"}) == []
    assert listed(tenant, **{"from": "ACME1"}) == ["ACME1"]
    assert listed(tenant, **{"from": " SHOP1 "}) == ["SHOP1"]
    # a blank filter filters nothing (it found every message without a sender)
    assert len(listed(tenant, **{"from": "  "})) == len(listed(tenant)) == 2
    wechat = {"wechatMessage": [{"receiver": r, "template": r} for r in ("oWX-123", "oAB-123")]}
    answer = tenant.http.post(
        "/capillary/v2/communications/wechat", json=wechat, headers=tenant.capillary_auth()
    )
    assert answer.status_code == 200, answer.text
    assert [m["to"] for m in tenant.outbox(to="oWX-123")] == ["oWX-123"]
    assert tenant.outbox(to="oZZ-123") == []


def test_filter_by_customer_and_contact(sent: Tenant) -> None:
    assert listed(sent, customer_id=str(BLOCKED)) == ["one"]
    assert listed(sent, customer_id=str(ACTIVE), category="PROMOTIONAL") == ["two"]
    [message] = sent.outbox(contact="111")
    assert message["vendor"] == "symplify" and message["contact"] == "111"
    assert message["to"] == "lady_gaga@example.com"
    assert sent.outbox(contact="222") == []
    # no other vendor names a contact
    assert {m["contact"] for m in sent.outbox()} == {None, "111"}


def test_filter_by_operation_category_status_reason(sent: Tenant) -> None:
    assert listed(sent, operation="sendTrigger") == ["Order confirmation"]
    assert listed(sent, category="PROMOTIONAL") == ["two"]
    assert listed(sent, status="SUPPRESSED") == ["three", "one"]
    assert listed(sent, reason="SENDER_BLOCKLISTED") == ["three"]
    assert listed(sent, vendor="messangi", status="DELIVERED") == ["four"]


def test_filter_by_time_range(sent: Tenant) -> None:
    # since is inclusive, until exclusive: [since, until)
    assert listed(sent, since=TIMES[1], until=TIMES[3]) == ["three", "two"]
    assert listed(sent, since=TIMES[4]) == ["Order confirmation"]
    assert listed(sent, until=TIMES[1]) == ["one"]
    # a date is its midnight UTC; an offset is converted
    assert listed(sent, since="2026-03-05") == ["Order confirmation"]
    assert listed(sent, until="2026-03-01T12:00:01+02:00") == ["one"]
    # sub-millisecond bounds: the message at 10:00:00.000 is before since=10:00:00.0005
    assert listed(sent, since="2026-03-05T10:00:00.0005Z") == []
    assert listed(sent, until="2026-03-01T10:00:00.0005Z") == ["one"]
    # an empty range matches nothing
    assert listed(sent, since=TIMES[3], until=TIMES[1]) == []


@pytest.mark.parametrize("field", ["since", "until"])
@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "2026-03-01T25:00:00Z", "1700000000"])
def test_a_bad_time_is_a_400_naming_its_field(sent: Tenant, field: str, value: str) -> None:
    error = refused(sent.http, f"{sent.control}/outbox", **{field: value})
    assert error["field"] == field and value in error["message"]


def test_edges_of_the_calendar_are_times_too(sent: Tenant) -> None:
    assert len(listed(sent, since="0001-01-01T00:00:00+23:59")) == 5
    assert len(listed(sent, until="9999-12-31T23:59:59-23:59")) == 5
    assert listed(sent, since="9999-12-31T23:59:59-23:59") == []
    assert len(listed(sent, until="2026-03-03T23:59:60Z")) == 3  # a leap second


def test_free_text_looks_in_every_filtered_field(sent: Tenant) -> None:
    assert listed(sent, q="528811") == ["four"]  # the sender
    assert listed(sent, q="lady_gaga") == ["Order confirmation"]  # the recipient
    assert listed(sent, q="sendtrigger") == ["Order confirmation"]  # the operation, any case
    assert listed(sent, q="promotional") == ["two"]  # the category
    assert listed(sent, q=str(BLOCKED)) == ["one"]  # the customer
    assert len(listed(sent, q="symplify")) == 1  # the vendor


def test_paging_counts_every_match(sent: Tenant) -> None:
    page = sent.http.get(f"{sent.control}/outbox", params={"limit": 2, "offset": 1}).json()
    assert page["total"] == 5 and [m["body"] for m in page["items"]] == ["four", "three"]
    filtered = sent.http.get(
        f"{sent.control}/outbox", params={"vendor": "capillary", "limit": 1, "offset": 1}
    ).json()
    assert filtered["total"] == 2 and [m["body"] for m in filtered["items"]] == ["one"]
    customer = sent.http.get(
        f"{sent.control}/outbox", params={"customer_id": str(BLOCKED), "offset": 1}
    ).json()
    assert customer == {"items": [], "total": 1}


@pytest.mark.parametrize("filters", [{}, {"customer_id": str(BLOCKED)}, {"vendor": "capillary"}])
def test_an_offset_past_what_the_outbox_can_page_is_a_400_naming_it(
    sent: Tenant, filters: dict[str, str]
) -> None:
    """The largest offset is an empty page; one past it a 400 naming `offset` (an offset
    past 2**63 answered 500: the page is cut from the newest messages by islice)."""
    largest = 2**53 - 1
    last = sent.http.get(f"{sent.control}/outbox", params={**filters, "offset": largest})
    assert last.status_code == 200, last.text
    assert last.json()["items"] == []
    for beyond in (2**53, 10**20):
        error = refused(sent.http, f"{sent.control}/outbox", **filters, offset=beyond)
        assert error["field"] == "offset", error


def test_a_contact_survives_a_snapshot_round_trip(sandbox: Sandbox, sent: Tenant) -> None:
    copy = sandbox.create_tenant(sent.snapshot())
    try:
        assert [m["contact"] for m in copy.outbox(contact="111")] == ["111"]
    finally:
        copy.delete()


# ------------------------------------------------------------------ the web outbox page
def test_the_outbox_page_refuses_an_unknown_filter(sent: Tenant) -> None:
    page = sent.http.get(f"/_sandbox/ui/tenants/{sent.name}", params={"vendr": "messangi"})
    assert page.status_code == 400
    assert "unknown filter 'vendr'; did you mean 'vendor'?" in page.text


def test_the_outbox_page_takes_every_filter(sent: Tenant) -> None:
    page = sent.http.get(
        f"/_sandbox/ui/tenants/{sent.name}", params={"from": "528811", "since": TIMES[0]}
    )
    assert page.status_code == 200
    assert "+525500000000" in page.text and "919353491050" not in page.text
    bad = sent.http.get(f"/_sandbox/ui/tenants/{sent.name}", params={"since": "soon"})
    assert bad.status_code == 400 and "since" in bad.text


def test_a_symplify_contact_links_to_its_messages(sent: Tenant) -> None:
    recipients = sent.http.get(f"/_sandbox/ui/tenants/{sent.name}/recipients").text
    link = f"/_sandbox/ui/tenants/{sent.name}?contact=111"
    assert f'href="{link}"' in recipients
    page = sent.http.get(link)
    assert page.status_code == 200
    assert "lady_gaga@example.com" in page.text and "+525500000000" not in page.text


def test_the_event_stream_takes_no_parameters(sent: Tenant) -> None:
    answer = sent.http.get(f"{sent.control}/events", params={"vendor": "capillary"})
    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "vendor"
