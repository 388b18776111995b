"""POST /oberyn/v2/notification, Messangi's notification API as a real client sends it
(CodeZeno/Claude-Code-Usage-Monitor, src/notifier.rs): `request.shortcode` is the sender whose
SMS blocklist applies. Decided by the same engine as every send, recorded in the outbox with
its decision trace, answered ACCEPTED, its status read as any send's."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import BLOCKED, FREE, NANOS, OTHER_SENDER, SENDER, Msg, entry, explain

PATH = "/oberyn/v2/notification"


def notification(to: str, shortcode: str, body: str = "Hello") -> dict[str, Any]:
    return {"channel": "SMS", "request": {"to": to, "shortcode": shortcode, "body": body}}


def what_if(msg: Msg, to: str, sender: str) -> dict[str, Any]:
    """The control plane's explain for an SMS from `sender` to `to`."""
    answer = msg.http.post(
        f"{msg.tenant.control}/explain",
        json={"vendor": "messangi", "channel": "SMS", "to": to, "from": sender},
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_a_notification_to_a_number_on_the_shortcodes_blocklist_is_not_sent(msg: Msg) -> None:
    msg.tenant.set_clock(now="2026-11-23T10:00:00.123Z", frozen=True)
    response = msg.post(PATH, notification("+52 55 0000 0000", SENDER))
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data == {
        "id": data["id"],
        "from": SENDER,
        "to": BLOCKED,
        "body": "Hello",
        "channel": "SMS",
        "status": "ACCEPTED",
        "date": "2026-11-23T10:00:00.123000000Z",
    }
    assert NANOS.match(data["date"])
    message = msg.message(response)
    assert (message["status"], message["reason"]) == ("SUPPRESSED", "SENDER_BLOCKLISTED")
    assert (message["vendor"], message["operation"]) == ("messangi", "sendNotification")
    assert (message["channel"], message["to"], message["from"]) == ("SMS", BLOCKED, SENDER)
    assert message["body"] == "Hello" and message["subject"] is None
    rules = {r["rule"]: (r["outcome"], r["detail"]) for r in message["decision"]}
    assert rules["sender_blocklist"] == (
        "suppress",
        f"{BLOCKED} is on the SMS blocklist of sender {SENDER}",
    )
    # explain, asked the same question, gives the trace the send recorded
    assert what_if(msg, BLOCKED, SENDER)["decision"] == message["decision"]
    status = msg.status(data["id"])
    assert status.status_code == 200
    assert status.json()["data"] == {**data, "status": "BLACKLISTED"}


def test_another_shortcode_sends_to_the_same_number(msg: Msg) -> None:
    response = msg.post(PATH, notification(BLOCKED, OTHER_SENDER))
    message = msg.message(response)
    assert (message["status"], message["reason"]) == ("DELIVERED", None)
    assert what_if(msg, BLOCKED, OTHER_SENDER)["decision"] == message["decision"]
    assert msg.status(message["id"]).json()["data"]["status"] == "SENT"


def test_an_entry_added_for_the_shortcode_stops_its_next_notification(msg: Msg) -> None:
    assert msg.message(msg.post(PATH, notification(FREE, OTHER_SENDER)))["status"] == "DELIVERED"
    assert msg.add(entry(FREE, OTHER_SENDER)).status_code == 200
    message = msg.message(msg.post(PATH, notification(FREE, OTHER_SENDER)))
    assert message["reason"] == "SENDER_BLOCKLISTED"


def test_only_the_sms_blocklist_applies(msg: Msg) -> None:
    """A WhatsApp entry on the shortcode does not stop an SMS notification."""
    assert msg.add(entry(FREE, OTHER_SENDER, "WHATSAPP")).status_code == 200
    assert msg.message(msg.post(PATH, notification(FREE, OTHER_SENDER)))["status"] == "DELIVERED"


def test_the_request_log_names_the_notification(msg: Msg) -> None:
    response = msg.post(PATH, notification(FREE, SENDER))
    journal = msg.http.get(f"{msg.tenant.control}/requests", params={"limit": 1}).json()
    [last] = journal["items"]
    assert (last["operationId"], last["vendor"], last["status"]) == (
        "sendNotification",
        "messangi",
        200,
    )
    assert last["message_ids"] == [response.json()["data"]["id"]]


@pytest.mark.parametrize(
    ("label", "body", "field"),
    [
        ("no channel", {"request": notification(FREE, SENDER)["request"]}, "channel"),
        ("an e-mail channel", {**notification(FREE, SENDER), "channel": "EMAIL"}, "channel"),
        ("no request", {"channel": "SMS"}, "request"),
        ("a request that is a list", {"channel": "SMS", "request": []}, "request"),
        ("no to", {"channel": "SMS", "request": {"shortcode": SENDER, "body": "x"}}, "request.to"),
        (
            "no shortcode",
            {"channel": "SMS", "request": {"to": FREE, "body": "x"}},
            "request.shortcode",
        ),
        (
            "no body",
            {"channel": "SMS", "request": {"to": FREE, "shortcode": SENDER}},
            "request.body",
        ),
        ("letters for a number", notification("call me", SENDER), "request.to"),
        ("an e-mail address", notification("ann@example.com", SENDER), "request.to"),
        ("a blank shortcode", notification(FREE, "  "), "request.shortcode"),
        ("an invisible shortcode", notification(FREE, "1415\u200b"), "request.shortcode"),
        ("an empty body", notification(FREE, SENDER, ""), "request.body"),
        ("a body over 1600", notification(FREE, SENDER, "x" * 1601), "request.body"),
    ],
)
def test_a_bad_notification_names_the_field_and_changes_nothing(
    msg: Msg, label: str, body: dict[str, Any], field: str
) -> None:
    response = msg.post(PATH, body)
    assert response.status_code == 400, label
    assert explain(response).startswith(field), (label, explain(response))
    assert msg.tenant.outbox() == [], label


def test_a_notification_without_a_key_is_401_and_sends_nothing(msg: Msg) -> None:
    response = msg.http.post(f"/messangi{PATH}", json=notification(FREE, SENDER))
    assert response.status_code == 401
    assert "Authorization" in explain(response)
    assert msg.tenant.outbox() == []
