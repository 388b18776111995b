"""Capillary's v1.1 multi-channel send (`send-communication-message`, issue 16, research 7a):
the reference's own request bodies, replayed with the fixture's customers; every item is a
message decided like every other send, a blocked customer's answered like a delivered one."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .helpers import ACTIVE, BLOCKED, EMAIL, MOBILE, Cap

PATH = "/v1.1/communications/sendMessage"

# Capillary's examples, verbatim but for the recipients
SMS = {"to": MOBILE[ACTIVE], "body": "Hi, wish you a happy wedding anniversary!",
       "scheduled_time": "2012-08-05 22:00:00IST", "sender": "918000000000"}  # fmt: skip
MAIL = {"to": EMAIL[ACTIVE], "cc": "", "bcc": "", "from": "automation@gmail.com",
        "subject": "Testingemail", "scheduledTime": "2024-02-22T00:25:06+05:30"}  # fmt: skip
TEMPLATE = {"receiver": MOBILE[ACTIVE], "template": "747977 is the OTP for Go+.",
            "scheduledTime": "2024-02-22T00:25:06+05:30"}  # fmt: skip
EXAMPLES = {
    "sms": ("sms", SMS, "to"),
    "email": ("email", MAIL, "to"),
    "whatsapp": ("whatsappMessage", TEMPLATE, "receiver"),
    "zalo": ("zaloMessage", TEMPLATE, "receiver"),
}


def send(cap: Cap, channel: str, items: list[dict[str, Any]]) -> httpx.Response:
    key = EXAMPLES[channel][0]
    return cap.post(PATH, {"root": {key: items}}, params={"channel": channel, "format": "json"})


def recipient(channel: str, customer: int) -> str:
    return EMAIL[customer] if channel == "email" else MOBILE[customer]


@pytest.mark.parametrize("channel", list(EXAMPLES))
def test_the_reference_example_is_answered_as_capillary_shows_it(cap: Cap, channel: str) -> None:
    key, example, _ = EXAMPLES[channel]
    response = send(cap, channel, [example])
    assert response.status_code == 200, response.text
    answer = response.json()["response"]
    # typed as the reference's example types it: strings
    assert answer["status"] == {"success": "true", "code": "200", "message": "success"}
    [message] = cap.outbox()
    sent = answer[key]
    assert (sent["id"], sent["to"], sent["status"]) == (message["id"], message["to"], "Sent")
    assert sent["item_status"]["success"] == "true"
    schedule_key = "scheduled_time" if channel == "sms" else "scheduledTime"
    assert sent[schedule_key] == example[schedule_key]
    assert (message["operation"], message["status"]) == ("sendMessageV11", "DELIVERED")
    assert message["channel"] == channel.upper()


@pytest.mark.parametrize("channel", list(EXAMPLES))
def test_a_blocked_customer_is_answered_sent_and_suppressed(cap: Cap, channel: str) -> None:
    key, example, to_field = EXAMPLES[channel]
    items = [{**example, to_field: recipient(channel, c)} for c in (BLOCKED, ACTIVE)]
    response = send(cap, channel, items)
    assert response.status_code == 200, response.text
    answered = response.json()["response"][key]
    assert [a["status"] for a in answered] == ["Sent", "Sent"]  # several items: a list
    by_to = {m["to"]: (m["status"], m["reason"]) for m in cap.outbox()}
    assert by_to == {
        recipient(channel, BLOCKED): ("SUPPRESSED", "CUSTOMER_STATUS_BLOCKED"),
        recipient(channel, ACTIVE): ("DELIVERED", None),
    }


def test_a_bad_item_fails_alone_with_its_own_status(cap: Cap) -> None:
    response = send(cap, "sms", [{**SMS, "to": "not-a-number"}, SMS])
    assert response.status_code == 201, response.text
    answer = response.json()["response"]
    assert answer["status"]["success"] == "true" and answer["status"]["code"] == "201"
    bad, good = answer["sms"]
    assert bad["status"] == "Failed" and bad["item_status"]["code"] == "4101"
    assert "root.sms[0].to" in bad["item_status"]["message"]
    assert good["status"] == "Sent"
    assert [m["to"] for m in cap.outbox()] == [MOBILE[ACTIVE]]


def test_every_item_bad_is_a_400_that_records_nothing(cap: Cap) -> None:
    response = send(cap, "sms", [{"to": MOBILE[ACTIVE]}])  # no body
    assert response.status_code == 400
    answer = response.json()["response"]
    assert answer["status"]["success"] == "false"
    assert answer["sms"]["item_status"]["success"] == "false"
    assert cap.outbox() == []


@pytest.mark.parametrize(
    ("params", "body", "field"),
    [
        ({"channel": "email"}, {"root": {"sms": [SMS]}}, "root.email"),  # no list for it
        ({"channel": "fax"}, {"root": {"sms": [SMS]}}, "channel"),
        ({}, {"sms": [SMS]}, "root"),
    ],
)
def test_an_unreadable_request_is_a_v11_error_naming_the_field(
    cap: Cap, params: dict[str, str], body: Any, field: str
) -> None:
    response = cap.post(PATH, body, params=params)
    assert response.status_code == 400, response.text
    status = response.json()["response"]["status"]
    # typed as the operation's success answers are: strings
    assert status["success"] == "false" and status["code"] == "400"
    assert field in status["message"]
    assert cap.outbox() == []
