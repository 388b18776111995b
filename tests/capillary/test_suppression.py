"""Seed 000 across all its sending APIs: a blocked customer's communications are recorded
SUPPRESSED while the API answers its normal success; an active customer's are DELIVERED;
subscription opt-outs suppress what they cover, except OTPs."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import (
    ACTIVE,
    BLOCKED,
    EMAIL,
    MOBILE,
    OPTED_OUT,
    Cap,
    assert_delivered,
    assert_suppressed,
    email_v2,
    email_v11,
    otp,
    outcomes,
    send_message,
    sms_v11,
    subscription,
)
from .senders import SENDS, Expected, Send


def recorded(cap: Cap, send: Send, who: int, expected: Expected) -> list[dict[str, Any]]:
    """The messages the operation recorded, matched one to one with what was expected."""
    messages = sorted(cap.outbox(operation=send.operation), key=lambda m: m["channel"])
    assert [(m["channel"], m["category"]) for m in messages] == [
        (channel, category) for channel, category, _ in sorted(expected)
    ]
    for message, (_, _, addresses) in zip(messages, sorted(expected), strict=True):
        assert message["to"] in addresses, message
        assert message["customer_id"] == str(who)
        assert message["vendor"] == "capillary"
        assert message["operation"] == send.operation
        assert message["priority"] == "TRANS"
    return messages


@pytest.mark.parametrize("send", SENDS, ids=str)
def test_blocked_customer_is_suppressed_while_the_api_succeeds(cap: Cap, send: Send) -> None:
    expected = send.run(cap, BLOCKED)
    for message in recorded(cap, send, BLOCKED, expected):
        assert_suppressed(message, "CUSTOMER_STATUS_BLOCKED")
        assert outcomes(message)["customer_status_block"] == "suppress"
        assert "Suspended" in message["decision"][0]["detail"]


@pytest.mark.parametrize("send", SENDS, ids=str)
def test_active_customer_is_delivered(cap: Cap, send: Send) -> None:
    expected = send.run(cap, ACTIVE)
    for message in recorded(cap, send, ACTIVE, expected):
        assert_delivered(message)
        assert outcomes(message)["customer_status_block"] == "pass"


def test_blocked_and_active_get_the_same_answer(cap: Cap) -> None:
    path = "/v2/communications/sendMessage?channel=sms"
    response = cap.post(path, send_message("sms", MOBILE[BLOCKED], MOBILE[ACTIVE]))
    assert response.status_code == 200
    body = response.json()
    assert body["status"]["successCount"] == 2
    assert [item["errors"] for item in body["smsList"]] == [[], []]
    by_to = {m["to"]: m["status"] for m in cap.outbox()}
    assert by_to == {MOBILE[BLOCKED]: "SUPPRESSED", MOBILE[ACTIVE]: "DELIVERED"}


# the opted-out customer: MOBILE BULK, MOBILE TRANS and EMAIL BULK opted out
OPT_OUT_CASES = [
    ("sms TRANS", "/v1.1/communications/sms", sms_v11(MOBILE[OPTED_OUT]), "SUBSCRIPTION_OPTED_OUT"),
    (
        "sms BULK",
        "/v2/communications/sendMessage",
        send_message("sms", MOBILE[OPTED_OUT], priority="BULK"),
        "SUBSCRIPTION_OPTED_OUT",
    ),
    ("email TRANS", "/v1.1/communications/email", email_v11(EMAIL[OPTED_OUT]), None),
    (
        "email BULK",
        "/v2/communications/email",
        email_v2(EMAIL[OPTED_OUT], priority="BULK"),
        "SUBSCRIPTION_OPTED_OUT",
    ),
    (
        "whatsapp",
        "/v2/communications/sendMessage?channel=whatsapp",
        send_message("whatsapp", MOBILE[OPTED_OUT]),
        None,
    ),
    ("otp sms", "/v2/otp/generate", otp(MOBILE[OPTED_OUT], "SMS"), None),
]


@pytest.mark.parametrize(
    ("path", "body", "reason"), [c[1:] for c in OPT_OUT_CASES], ids=[c[0] for c in OPT_OUT_CASES]
)
def test_opted_out_customer(cap: Cap, path: str, body: Any, reason: str | None) -> None:
    response = cap.post(path, body)
    assert response.status_code == 200, response.text
    [message] = cap.outbox()
    assert message["customer_id"] == str(OPTED_OUT)
    if reason is None:
        assert_delivered(message)
    else:
        assert_suppressed(message, reason)
        assert outcomes(message)["customer_status_block"] == "pass"


def test_request_notifications_respect_opt_outs(cap: Cap) -> None:
    body = {"baseType": "POINTS", "points": 5}
    assert cap.post(f"/v2/customer/{OPTED_OUT}/goodwillRequest", body).status_code == 200
    by_channel = {m["channel"]: m for m in cap.outbox()}
    assert_suppressed(by_channel["SMS"], "SUBSCRIPTION_OPTED_OUT")  # MOBILE TRANS opted out
    assert_delivered(by_channel["EMAIL"])  # EMAIL TRANS still subscribed


def test_bulk_priority_is_promotional(cap: Cap) -> None:
    body = send_message("sms", MOBILE[ACTIVE], priority="BULK")
    assert cap.post("/v2/communications/sendMessage", body).status_code == 200
    [message] = cap.outbox()
    assert (message["priority"], message["category"]) == ("BULK", "PROMOTIONAL")
    assert_delivered(message)


@pytest.mark.parametrize("priority", ["BULK", "TRANS"])
def test_direct_send_priority_sets_category(cap: Cap, priority: str) -> None:
    response = cap.post("/v1.1/communications/sms", sms_v11(MOBILE[ACTIVE], priority=priority))
    assert response.status_code == 200
    [message] = cap.outbox()
    category = "PROMOTIONAL" if priority == "BULK" else "TRANSACTIONAL"
    assert (message["priority"], message["category"]) == (priority, category)


def test_otp_bypasses_opt_out(cap: Cap) -> None:
    assert cap.post("/v2/otp/generate", otp(MOBILE[OPTED_OUT], "SMS")).status_code == 200
    [message] = cap.outbox()
    assert message["category"] == "OTP"
    assert_delivered(message)
    assert outcomes(message)["subscription_opt_out"] == "bypass"


def test_otp_to_blocked_customer_is_still_suppressed(cap: Cap) -> None:
    assert cap.post("/v2/otp/generate", otp(MOBILE[BLOCKED], "SMS")).status_code == 200
    [message] = cap.outbox()
    assert_suppressed(message, "CUSTOMER_STATUS_BLOCKED")
    assert outcomes(message)["subscription_opt_out"] == "bypass"


def test_block_comes_before_opt_out(cap: Cap) -> None:
    optout = subscription(BLOCKED, "MOBILE", "TRANS", "OPTOUT")
    assert cap.post("/v2/internal/subscription/configuration", optout).status_code == 200
    cap.tenant.http.delete(f"{cap.tenant.control}/outbox")
    assert cap.post("/v1.1/communications/sms", sms_v11(MOBILE[BLOCKED])).status_code == 200
    [message] = cap.outbox()
    assert_suppressed(message, "CUSTOMER_STATUS_BLOCKED")
    assert outcomes(message)["subscription_opt_out"] == "suppress"  # every rule is consulted


def test_unknown_recipient_is_delivered_without_customer_rules(cap: Cap) -> None:
    assert cap.post("/v1.1/communications/sms", sms_v11("919000000000")).status_code == 200
    [message] = cap.outbox()
    assert message["customer_id"] is None
    assert_delivered(message)
    assert outcomes(message)["customer_status_block"] == "not_applicable"
    assert outcomes(message)["subscription_opt_out"] == "not_applicable"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1.1/communications/sms", sms_v11("+91 93534-91050")),
        ("/v1.1/communications/sms", sms_v11(919353491050)),
        ("/v1.1/communications/email", email_v11("  GCR@Example.COM ")),
    ],
    ids=["spaced mobile", "numeric mobile", "email case"],
)
def test_blocked_customer_is_found_however_the_address_is_written(
    cap: Cap, path: str, body: Any
) -> None:
    assert cap.post(path, body).status_code == 200
    [message] = cap.outbox()
    assert message["customer_id"] == str(BLOCKED)
    assert_suppressed(message)


def test_message_is_readable_by_id_with_its_decision(cap: Cap) -> None:
    response = cap.post("/v1.1/communications/sms", sms_v11(MOBILE[BLOCKED]))
    message_id = response.json()["response"]["sms"]["id"]
    one = cap.control("GET", f"/outbox/{message_id}")
    assert one.status_code == 200
    assert one.json()["id"] == message_id
    assert_suppressed(one.json())
