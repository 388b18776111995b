"""Interaction history lists the messages, with what became of each (issue 24, research 8a):
v1.1 `messages.message[]` inside an interaction type, v2 `messageList[]`; a suppressed message
reads NOT-DELIVERED; each type lists a page of its newest messages (50), the count all."""

from __future__ import annotations

from typing import Any

from .helpers import ACTIVE, BLOCKED, EMAIL, MOBILE, Cap, email_v11, sms_v11
from .test_interactions import V11, v2_types, v11_types

SMS, MAIL = "/v1.1/communications/sms", "/v1.1/communications/email"


def v11_of(cap: Cap, who: int) -> dict[str, dict[str, Any]]:
    return v11_types(cap.get(V11, id=str(who), format="json"))


def test_v11_lists_each_message_with_its_status_as_capillarys_example(frozen: Cap) -> None:
    frozen.post(SMS, sms_v11(MOBILE[ACTIVE], body="Shipped", sender="STORE1"))
    frozen.post(MAIL, email_v11(EMAIL[ACTIVE], subject="Receipt"))
    types = v11_of(frozen, ACTIVE)
    ids = {m["channel"]: int(m["id"]) for m in frozen.outbox()}
    assert types["sms"]["messages"] == {
        "message": [
            {
                "id": ids["SMS"],
                "sender": "STORE1",
                "reciever": MOBILE[ACTIVE],  # Capillary's example spells it so
                "subject": "Shipped",  # an SMS has no subject: its text, as the example
                "status": "DELIVERED",
                "sent_time": "2026-11-23 10:00:00",
                "delivered_time": "2026-11-23 10:00:00",
                "campaign_id": "-1",
            }
        ]
    }
    [email] = types["email"]["messages"]["message"]
    assert (email["subject"], email["status"], email["sender"]) == ("Receipt", "DELIVERED", "")
    assert types["sms"]["count"] == types["email"]["count"] == 1


def test_v11_a_suppressed_message_reads_not_delivered_and_was_never_delivered(cap: Cap) -> None:
    cap.post(SMS, sms_v11(MOBILE[BLOCKED]))
    [message] = v11_of(cap, BLOCKED)["sms"]["messages"]["message"]
    assert message["status"] == "NOT-DELIVERED"
    assert "delivered_time" not in message
    assert str(message["id"]) == cap.outbox()[0]["id"]


def test_v11_types_without_messages_carry_no_list(cap: Cap) -> None:
    """As seed 003's example: a type at zero is its counts only."""
    cap.post(SMS, sms_v11(MOBILE[ACTIVE]))
    types = v11_of(cap, ACTIVE)
    assert "messages" in types["sms"]
    assert all("messages" not in types[kind] for kind in types if kind != "sms")


def test_v2_lists_delivered_time_only_for_a_delivered_message(frozen: Cap) -> None:
    frozen.post(SMS, sms_v11(MOBILE[ACTIVE], body="Shipped"))
    frozen.post(SMS, sms_v11(MOBILE[BLOCKED], body="Shipped"))
    [delivered] = v2_types(frozen, ACTIVE)["sms"]["messageList"]
    [dropped] = v2_types(frozen, BLOCKED)["sms"]["messageList"]
    assert (delivered["status"], delivered["deliveredTime"]) == (
        "DELIVERED",
        "2026-11-23T10:00:00Z",
    )
    assert dropped["status"] == "NOT-DELIVERED" and "deliveredTime" not in dropped
    # no campaign sent them: Capillary's own -1; an SMS's subject is its text
    assert delivered["campaignId"] == dropped["campaignId"] == -1
    assert delivered["subject"] == "Shipped"


def test_each_type_lists_its_newest_page_and_counts_them_all(cap: Cap) -> None:
    for number in range(55):
        cap.post(SMS, sms_v11(MOBILE[ACTIVE], body=f"message {number}"))
    cap.post(MAIL, email_v11(EMAIL[ACTIVE]))
    listed = v2_types(cap, ACTIVE)["sms"]
    assert listed["count"] == 55 and len(listed["messageList"]) == 50
    assert listed["messageList"][0]["subject"] == "message 54"  # newest first
    assert listed["messageList"][-1]["subject"] == "message 5"
    v11 = v11_of(cap, ACTIVE)
    assert len(v11["sms"]["messages"]["message"]) == 50 and v11["sms"]["count"] == 55
    # the e-mail sent after the SMSs is in its own list, whatever the SMSs are
    assert len(v11["email"]["messages"]["message"]) == 1


def test_messages_gone_from_the_outbox_are_still_counted(cap: Cap) -> None:
    cap.tenant.settings(outbox_retention=1)
    cap.post(SMS, sms_v11(MOBILE[ACTIVE], body="first"))
    cap.post(MAIL, email_v11(EMAIL[ACTIVE]))  # evicts the SMS
    sms = v2_types(cap, ACTIVE)["sms"]
    assert (sms["count"], sms["messageList"]) == (1, [])
    assert "messages" not in v11_of(cap, ACTIVE)["sms"]
