"""Symplify's journeys (issue 24, help.symplify.com "API Usage examples" and "Journey
starters"): declared in the fixture, checked when it is loaded, commenced for one contact with
`POST /{customerid}/journeys/{id}/commence`; each of the journey's messages is decided like a
trigger's, so "Contacts that are temporarily blocked will enter a journey ... but will not
receive any communication as long as they are blocked" shows in the outbox as each message
SUPPRESSED with its reason. Every refusal changes nothing; journeys travel in snapshots and
survive a restart."""

from __future__ import annotations

import copy
import errno
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.testing import Sandbox, in_process
from sandbox.testing.respx_routes import vendor_routes

from .helpers import ACCOUNT, ANN, FIXTURE, GAGA, TOM, Sym, error

JOURNEYS = f"/{ACCOUNT}/journeys"
# the welcome journey sends an e-mail, then an SMS; the reminder ignores opt-outs
WELCOME: dict[str, Any] = {
    "id": 11,
    "name": "Welcome",
    "list_id": 42,
    "category": "PROMOTIONAL",
    "messages": [
        {"subject": "Welcome {{firstname}}", "body": "Hi {{firstname}}, order {{orderId}}"},
        {"channel": "SMS", "body": "Welcome to the shop"},
    ],
}
REMINDER: dict[str, Any] = {
    "id": "12",
    "list_id": "42",
    "ignore_opt_out": True,
    "messages": [{"channel": "SMS"}],
}
WITH_JOURNEYS = copy.deepcopy(FIXTURE)
WITH_JOURNEYS["symplify"]["accounts"][0]["journeys"] = [WELCOME, REMINDER]
# Lady Gaga (111) gets a mobile number too, so the welcome journey reaches her on both channels
WITH_JOURNEYS["symplify"]["accounts"][0]["lists"][0]["contacts"][0]["mobile"] = "+46709999999"
GAGA_MOBILE = "+46709999999"


@pytest.fixture
def sym(sandbox: Sandbox) -> Any:
    tenant = sandbox.create_tenant(WITH_JOURNEYS)
    tenant.set_clock(now="2020-01-15T09:00:00Z", frozen=True)
    yield Sym(sandbox.http, tenant)
    tenant.delete()


def commence(sym: Sym, journey: Any = 11, **body: Any) -> httpx.Response:
    return sym.call("POST", f"{JOURNEYS}/{journey}/commence", {"id": "111", **body})


def journey_messages(sym: Sym) -> list[dict[str, Any]]:
    """The outbox's journey messages, oldest first."""
    return sorted(sym.tenant.outbox(operation="commenceJourney"), key=lambda m: int(m["id"]))


def by_channel(sym: Sym) -> dict[str, tuple[str, str | None]]:
    return {m["channel"]: (m["status"], m["reason"]) for m in journey_messages(sym)}


def test_a_contact_entering_a_journey_is_sent_each_of_its_messages(sym: Sym) -> None:
    answer = commence(sym, properties={"firstname": "Lady", "orderId": "A-1"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "message": "Contact 111 entered journey 11",
        "journeyId": 11,
        "originalId": "111",
    }
    email, sms = journey_messages(sym)
    assert (email["channel"], email["to"], email["contact"]) == ("EMAIL", GAGA, "111")
    assert email["subject"] == "Welcome Lady"
    assert email["body"] == "Hi Lady, order A-1"
    assert (sms["channel"], sms["to"], sms["subject"], sms["body"]) == (
        "SMS",
        GAGA_MOBILE,
        None,
        "Welcome to the shop",
    )
    for message in (email, sms):
        assert (message["vendor"], message["category"]) == ("symplify", "PROMOTIONAL")
        assert (message["status"], message["reason"]) == ("DELIVERED", None)
        assert [step["rule"] for step in message["decision"]] == [
            "customer_status_block",
            "sender_blocklist",
            "contact_temp_block",
            "subscription_opt_out",
        ]
    log = sym.http.get(f"{sym.tenant.control}/requests", params={"limit": 1}).json()["items"]
    assert log[0]["operationId"] == "commenceJourney"
    assert log[0]["message_ids"] == [email["id"], sms["id"]]


def test_a_temporarily_blocked_contact_enters_and_receives_nothing(sym: Sym) -> None:
    """The help centre's sentence: the answer is the one an unblocked contact gets, and every
    message the journey sends is in the outbox, SUPPRESSED with the block as its reason."""
    assert sym.block(until="2020-02-01").status_code == 200
    blocked = commence(sym)
    assert blocked.status_code == 200, blocked.text
    assert by_channel(sym) == {
        "EMAIL": ("SUPPRESSED", "CONTACT_TEMP_BLOCKED"),
        "SMS": ("SUPPRESSED", "CONTACT_TEMP_BLOCKED"),
    }
    for message in journey_messages(sym):
        [step] = [s for s in message["decision"] if s["rule"] == "contact_temp_block"]
        assert step == {
            "rule": "contact_temp_block",
            "outcome": "suppress",
            "detail": "contact is blocked until the end of 2020-02-01 (list 42)",
        }
    # what if: the control plane's explain decides the same from the same facts
    explained = sym.http.post(
        f"{sym.tenant.control}/explain",
        json={"vendor": "symplify", "channel": "SMS", "to": GAGA_MOBILE, "list_id": "1234/42"},
    ).json()
    assert (explained["status"], explained["reason"]) == ("SUPPRESSED", "CONTACT_TEMP_BLOCKED")
    assert explained["decision"] == journey_messages(sym)[1]["decision"]
    # once released, the same call delivers: the answer never told the two apart
    assert sym.release().status_code == 200
    free = commence(sym)
    assert free.json() == blocked.json()
    assert [m["status"] for m in journey_messages(sym)[2:]] == ["DELIVERED", "DELIVERED"]


def test_the_help_centres_call_on_symplifys_own_base_url_reaches_the_sandbox(
    sandbox: Sandbox, sym: Sym
) -> None:
    """`POST /{customerid}/journeys/{id}/commence` ("API Usage examples") as a client on the
    real host sends it, with the headers of "API keys and tokens"; respx routes it here."""
    headers = {
        "X-Carma-Authentication-Token": sym.auth["X-Carma-Authentication-Token"],
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
    real = "https://eu-proxy-1.symplifymail.com/rest"
    with vendor_routes(sandbox) as router, httpx.Client(base_url=real) as client:
        answer = client.post(f"{JOURNEYS}/11/commence", content=b'{"id": "222"}', headers=headers)
        assert router.calls.call_count == 1
    assert answer.status_code == 200, answer.text
    [message] = journey_messages(sym)
    assert (message["to"], message["status"]) == (TOM, "DELIVERED")


def test_a_triggers_subject_takes_the_sends_properties_too(sandbox: Sandbox) -> None:
    """Triggers and journeys fill placeholders alike (one code path): subject and body."""
    document = copy.deepcopy(WITH_JOURNEYS)
    document["symplify"]["accounts"][0]["triggers"][0]["subject"] = "Order {{orderId}}"
    tenant = sandbox.create_tenant(document)
    try:
        sent = sandbox.http.post(
            f"/symplify/{ACCOUNT}/triggers/7/messages",
            json={"originalId": "111", "properties": {"orderId": "A-7"}},
            headers=tenant.symplify_auth(),
        )
        assert sent.status_code == 200, sent.text
        [message] = tenant.outbox(operation="sendTrigger")
        assert (message["subject"], message["body"]) == ("Order A-7", "Order A-7 is confirmed")
    finally:
        tenant.delete()


def test_the_seeds_block_dated_2020_blocks_nothing_on_todays_clock(sym: Sym) -> None:
    """Seed 004's DTO 2 verbatim, on a clock past its day: the block has ended."""
    sym.tenant.set_clock(now="2026-12-06T09:00:00Z", frozen=True)
    assert sym.block(until="2020-02-01").status_code == 200
    assert commence(sym).status_code == 200
    assert by_channel(sym) == {"EMAIL": ("DELIVERED", None), "SMS": ("DELIVERED", None)}


def test_opt_outs_suppress_a_journeys_messages_unless_it_ignores_them(sym: Sym) -> None:
    updated = sym.call("PUT", f"/{ACCOUNT}/lists/42/contacts/111/update", {"unsubscribed": True})
    assert updated.status_code == 200, updated.text
    assert commence(sym).status_code == 200
    assert by_channel(sym) == {
        "EMAIL": ("SUPPRESSED", "SUBSCRIPTION_OPTED_OUT"),
        "SMS": ("DELIVERED", None),  # opted out of e-mail only
    }
    sym.call("PUT", f"/{ACCOUNT}/lists/42/contacts/111/update", {"mobileUnsubscribed": True})
    assert commence(sym, 12).status_code == 200
    reminder = journey_messages(sym)[-1]
    assert (reminder["status"], reminder["category"]) == ("DELIVERED", "TRANSACTIONAL")
    assert reminder["body"] == "Journey 12"  # no name, no body: its default name
    [step] = [s for s in reminder["decision"] if s["rule"] == "subscription_opt_out"]
    assert step["outcome"] == "bypass"


def test_a_message_on_a_channel_the_contact_lacks_sends_nothing(sym: Sym) -> None:
    """Tom has an e-mail address only: the welcome journey's SMS step sends him nothing."""
    assert commence(sym, id="222").status_code == 200
    [message] = journey_messages(sym)
    assert (message["channel"], message["to"]) == ("EMAIL", TOM)


def test_an_integer_id_is_read_as_its_originalid(sym: Sym) -> None:
    assert commence(sym, id=333, properties=None).status_code == 200  # Ann: a mobile only
    [message] = journey_messages(sym)
    assert (message["to"], message["contact"]) == (ANN, "333")


@pytest.mark.parametrize(
    ("journey", "body", "status", "field"),
    [
        (99, {}, 404, "journeyId"),  # no such journey
        (7, {}, 404, "journeyId"),  # a trigger's id is not a journey's
        (11, {"id": "999"}, 404, "id"),  # on no list
        (11, {"id": "111 "}, 404, "id"),  # originalIds compare exactly
        (12, {"id": "222"}, 400, "id"),  # the SMS-only journey cannot reach Tom (e-mail only)
        (11, {"id": None}, 400, "id"),
        (11, {"id": ""}, 400, "id"),
        (11, {"id": -1}, 400, "id"),
        (11, {"properties": {"orderId": 5}}, 400, "properties.orderId"),
        ("x", {}, 400, "journeyId"),
        (0, {}, 400, "journeyId"),
    ],
)
def test_a_refused_commence_names_the_field_and_changes_nothing(
    sym: Sym, journey: Any, body: dict[str, Any], status: int, field: str
) -> None:
    before = sym.tenant.snapshot()
    assert error(commence(sym, journey, **body), status) == field
    assert journey_messages(sym) == []
    after = sym.tenant.snapshot()
    assert {k: v for k, v in after.items() if k != "snapshot"} == {
        k: v for k, v in before.items() if k != "snapshot"
    }


def test_a_journey_of_another_account_is_not_found(sym: Sym) -> None:
    answer = sym.call("POST", "/5678/journeys/11/commence", {"id": "111"})
    assert error(answer, 404) == "journeyId"
    assert "account 5678" in answer.json()["error"]


def test_a_contact_on_another_list_of_the_account_is_not_found(sandbox: Sandbox) -> None:
    """Contact 111 of list 43 is not the journey's (list 42): the journey's list decides."""
    document = copy.deepcopy(WITH_JOURNEYS)
    account = document["symplify"]["accounts"][0]
    account["journeys"] = [{**WELCOME, "list_id": 43}]
    tenant = sandbox.create_tenant(document)
    try:
        auth = tenant.symplify_auth()
        wrong = sandbox.http.post(
            f"/symplify{JOURNEYS}/11/commence", json={"id": "222"}, headers=auth
        )
        assert error(wrong, 404) == "id" and "list 43" in wrong.json()["error"]
        right = sandbox.http.post(
            f"/symplify{JOURNEYS}/11/commence", json={"id": "111"}, headers=auth
        )
        assert right.status_code == 200
        [message] = tenant.outbox(operation="commenceJourney")  # list 43's 111: e-mail only
        assert message["to"] == "Lady_Gaga@example.com"
    finally:
        tenant.delete()


@pytest.mark.parametrize(
    ("journey", "field"),
    [
        ({"id": 1, "list_id": 99, "messages": [{}]}, "journeys[0].list_id"),
        ({"id": 1, "list_id": "x", "messages": [{}]}, "journeys[0].list_id"),
        ({"id": "x", "list_id": 42, "messages": [{}]}, "journeys[0].id"),
        ({"id": 0, "list_id": 42, "messages": [{}]}, "journeys[0].id"),
        ({"id": 1, "list_id": 42}, "journeys[0].messages"),
        ({"id": 1, "list_id": 42, "messages": []}, "journeys[0].messages"),
        ({"id": 1, "list_id": 42, "messages": [{"channel": "WHATSAPP"}]}, "journeys[0].messages"),
        ({"id": 1, "list_id": 42, "messages": [{}], "category": "OTP"}, "journeys[0].category"),
        ({"id": 1, "list_id": 42, "messages": [{}], "trigger": 7}, "journeys[0]"),
    ],
)
def test_a_bad_declared_journey_is_refused_when_loaded_naming_its_path(
    sandbox: Sandbox, journey: dict[str, Any], field: str
) -> None:
    document = {
        "symplify": {
            "accounts": [{"customer_id": "1", "lists": [{"id": 42}], "journeys": [journey]}]
        }
    }
    response = sandbox.http.put("/_sandbox/tenants/bad-journey", json=document)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"].startswith(f"symplify.accounts[0].{field}")
    assert sandbox.http.get("/_sandbox/tenants/bad-journey").status_code == 404


def test_a_journey_id_given_twice_in_an_account_is_refused(sandbox: Sandbox) -> None:
    twice = [
        {"id": 1, "list_id": 42, "messages": [{}]},
        {"id": "1", "list_id": 42, "messages": [{}]},
    ]
    document = {
        "symplify": {"accounts": [{"customer_id": "1", "lists": [{"id": 42}], "journeys": twice}]}
    }
    response = sandbox.http.put("/_sandbox/tenants/bad-journey", json=document)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == "symplify.accounts[0].journeys[1].id"


def test_a_snapshot_keeps_the_journeys_and_its_copy_commences_them_alike(
    sandbox: Sandbox, sym: Sym
) -> None:
    snapshot = sym.tenant.snapshot()
    [account, _] = snapshot["symplify"]["accounts"]
    assert [(j["id"], j["name"], j["list_id"]) for j in account["journeys"]] == [
        (11, "Welcome", 42),
        (12, "Journey 12", 42),
    ]
    assert account["journeys"][0]["messages"] == [
        {"channel": "EMAIL", **WELCOME["messages"][0]},
        WELCOME["messages"][1],
    ]
    copied = sandbox.create_tenant(snapshot)
    try:
        assert copied.snapshot()["symplify"] == snapshot["symplify"]
        answer = sandbox.http.post(
            f"/symplify{JOURNEYS}/11/commence", json={"id": "111"}, headers=copied.symplify_auth()
        )
        assert answer.json() == commence(sym).json()
        copies = copied.outbox(operation="commenceJourney")
        originals = sym.tenant.outbox(operation="commenceJourney")
        fields = ("channel", "to", "subject", "body", "status", "reason", "category")
        assert [[m[f] for f in fields] for m in copies] == [
            [m[f] for f in fields] for m in originals
        ]
    finally:
        copied.delete()


def test_journeys_survive_a_restart(tmp_path: Path) -> None:
    with in_process(data_dir=tmp_path) as first:
        tenant = first.create_tenant(WITH_JOURNEYS, name="lasting")
        declared = tenant.snapshot()["symplify"]
    with in_process(data_dir=tmp_path) as again:
        tenant = again.tenant("lasting")
        assert tenant.snapshot()["symplify"] == declared
        answer = again.http.post(
            f"/symplify{JOURNEYS}/11/commence", json={"id": "111"}, headers=tenant.symplify_auth()
        )
        assert answer.status_code == 200, answer.text
        assert len(tenant.outbox(operation="commenceJourney")) == 2


def test_a_journey_the_disk_refuses_is_a_503_and_records_none_of_its_messages(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Both messages are one write: a full disk refuses them together, and says so."""
    with in_process(data_dir=tmp_path) as sandbox:
        tenant = sandbox.create_tenant(WITH_JOURNEYS, name="full")
        auth = tenant.symplify_auth()
        real_write = os.write

        def full(fd: int, data: bytes | memoryview) -> int:
            monkeypatch.setattr(os, "write", real_write)  # the next write succeeds
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "write", full)
        path = f"/symplify{JOURNEYS}/11/commence"
        refused = sandbox.http.post(path, json={"id": "111"}, headers=auth)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"].startswith("storage full")
        assert tenant.outbox() == []
        assert sandbox.http.post(path, json={"id": "111"}, headers=auth).status_code == 200
        assert len(tenant.outbox(operation="commenceJourney")) == 2
    with in_process(data_dir=tmp_path) as again:
        assert len(again.tenant("full").outbox(operation="commenceJourney")) == 2


def test_the_web_outbox_shows_journey_messages_by_operation_and_category(sym: Sym) -> None:
    assert sym.block(until="2020-02-01").status_code == 200
    assert commence(sym).status_code == 200
    assert sym.call("POST", f"/{ACCOUNT}/triggers/7/messages", {"originalId": "222"}).is_success
    ui = f"/_sandbox/ui/tenants/{sym.tenant.name}"
    page = sym.http.get(ui, params={"operation": "commenceJourney"})
    assert page.status_code == 200, page.text
    assert page.text.count("commenceJourney") >= 2 and "sendTrigger" not in page.text
    assert GAGA in page.text and GAGA_MOBILE in page.text and TOM not in page.text
    assert "CONTACT_TEMP_BLOCKED" in page.text
    # the filter form keeps the operation, so filtering further does not drop it
    assert 'name="operation" value="commenceJourney"' in page.text
    promotional = sym.http.get(ui, params={"category": "PROMOTIONAL"}).text
    assert "commenceJourney" in promotional and "sendTrigger" not in promotional
    message = journey_messages(sym)[0]
    shown = sym.http.get(f"{ui}/messages/{message['id']}").text.replace("<wbr>", "")
    assert f"POST /symplify{JOURNEYS}/11/commence" in shown
    assert "contact is blocked until the end of 2020-02-01 (list 42)" in shown
