"""Direct communication APIs (seed 000 #7-#11): their answers, and what the outbox records."""

from __future__ import annotations

import pytest

from .helpers import (
    ACTIVE,
    BLOCKED,
    EMAIL,
    MOBILE,
    RESULT_KEY,
    WECHAT,
    Cap,
    assert_list_ok,
    assert_v11_ok,
    email_v2,
    email_v11,
    messages_of,
    send_message,
    sms_v11,
    wechat,
)


def test_sms_v11_answer_and_message(cap: Cap) -> None:
    body = sms_v11(MOBILE[ACTIVE], body="Happy anniversary", sender="STORE1")
    answer = assert_v11_ok(cap.post("/v1.1/communications/sms", body, params={"format": "json"}))
    [message] = cap.outbox()
    assert answer["sms"] == {
        "id": message["id"],
        "to": MOBILE[ACTIVE],
        "status": "Sent",
        "scheduled_time": None,
    }
    assert (message["channel"], message["operation"], message["body"]) == (
        "SMS",
        "sendSmsV11",
        "Happy anniversary",
    )
    assert message["from"] == "STORE1"
    assert message["created_at"].endswith("Z")


def test_email_v11_answer_and_message(cap: Cap) -> None:
    body = email_v11(
        EMAIL[ACTIVE], subject="Thanks", cc="a@example.com", scheduled_time="2026-12-01 10:00:00"
    )
    answer = assert_v11_ok(cap.post("/v1.1/communications/email", body))
    [message] = cap.outbox()
    email = answer["email"]
    assert (email["id"], email["to"], email["status"]) == (message["id"], EMAIL[ACTIVE], "Queued")
    assert (email["subject"], email["cc"], email["scheduled_time"]) == (
        "Thanks",
        "a@example.com",
        "2026-12-01 10:00:00",
    )
    assert (message["channel"], message["subject"], message["body"]) == (
        "EMAIL",
        "Thanks",
        "Dear Tom",
    )


def test_email_v2_answer_and_message(cap: Cap) -> None:
    answer = assert_v11_ok(
        cap.post("/v2/communications/email", email_v2(EMAIL[BLOCKED], subject="Hi"))
    )
    [message] = cap.outbox()
    assert answer["email"]["id"] == message["id"]
    assert answer["email"]["status"] == "Queued" and "scheduledTime" in answer["email"]
    assert (message["operation"], message["subject"], message["status"]) == (
        "sendEmailV2",
        "Hi",
        "SUPPRESSED",
    )


def test_email_v2_accepts_root_wrapper(cap: Cap) -> None:
    response = cap.post("/v2/communications/email", {"root": email_v2(EMAIL[ACTIVE])})
    assert_v11_ok(response)
    assert len(cap.outbox()) == 1


@pytest.mark.parametrize("channel", ["sms", "email", "whatsapp", "zalo"])
def test_send_message_per_channel(cap: Cap, channel: str) -> None:
    to = EMAIL[ACTIVE] if channel == "email" else MOBILE[ACTIVE]
    response = cap.post(
        f"/v2/communications/sendMessage?channel={channel}", send_message(channel, to)
    )
    [item] = assert_list_ok(response, RESULT_KEY[channel])
    assert item["warnings"] == []
    [message] = cap.outbox()
    assert (message["channel"], message["to"], message["operation"]) == (
        channel.upper(),
        to,
        "sendMessage",
    )


def test_send_message_default_channel_is_sms(cap: Cap) -> None:
    assert_list_ok(
        cap.post("/v2/communications/sendMessage", send_message("sms", MOBILE[ACTIVE])), "smsList"
    )
    assert cap.outbox()[0]["channel"] == "SMS"


def test_send_message_channel_is_not_case_sensitive(cap: Cap) -> None:
    body = send_message("whatsapp", MOBILE[ACTIVE])
    assert_list_ok(cap.post("/v2/communications/sendMessage?channel=WhatsApp", body), "whatsapp")
    assert cap.outbox()[0]["channel"] == "WHATSAPP"


def test_send_message_accepts_root_wrapper(cap: Cap) -> None:
    body = {"root": send_message("zalo", MOBILE[BLOCKED])}
    assert_list_ok(cap.post("/v2/communications/sendMessage?channel=zalo", body), "zalo")
    assert cap.outbox()[0]["status"] == "SUPPRESSED"


def test_send_message_many_recipients(cap: Cap) -> None:
    recipients = [MOBILE[BLOCKED], MOBILE[ACTIVE], "919000000000"]
    assert_list_ok(
        cap.post("/v2/communications/sendMessage", send_message("sms", *recipients)), "smsList", 3
    )
    statuses = {m["to"]: m["status"] for m in cap.outbox()}
    assert statuses == {
        MOBILE[BLOCKED]: "SUPPRESSED",
        MOBILE[ACTIVE]: "DELIVERED",
        "919000000000": "DELIVERED",
    }


def test_send_message_bad_item_fails_alone(cap: Cap) -> None:
    body = {
        "sms": [
            {"to": MOBILE[ACTIVE], "body": "ok"},
            {"to": MOBILE[BLOCKED]},
            {"to": "abc", "body": "x"},
        ]
    }
    response = cap.post("/v2/communications/sendMessage", body)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert (answer["status"]["count"], answer["status"]["successCount"]) == (3, 1)
    assert answer["status"]["code"] == 201 and answer["status"]["success"] is True
    items = answer["smsList"]
    assert items[0]["errors"] == []
    assert items[1]["errors"][0]["code"] == 4203 and "body" in items[1]["errors"][0]["message"]
    assert items[2]["errors"][0]["code"] == 4203
    assert [m["to"] for m in cap.outbox()] == [MOBILE[ACTIVE]]


def test_an_error_names_the_real_problem_before_the_vendors_words(cap: Cap) -> None:
    """An SMS item without its body says so first, not "Invalid mobile number" (issue 27):
    the field's problem, then Capillary's text for the code in parentheses."""
    answer = cap.post("/v2/communications/sendMessage", {"sms": [{"to": MOBILE[ACTIVE]}]})
    error = answer.json()["smsList"][0]["errors"][0]
    assert (error["code"], error["message"]) == (
        4203,
        "sms[0].body is required (Invalid mobile number)",
    )
    v11 = cap.post("/v1.1/communications/sms", {"root": {"sms": [{"to": MOBILE[ACTIVE]}]}})
    assert v11.json()["response"]["status"]["message"].endswith(
        ": root.sms[0].body is required (Unable to send message)"
    )
    otp_answer = cap.post("/v2/otp/generate", {"entityType": "MOBILE", "action": "GENERIC"})
    assert otp_answer.json()["errors"][0]["message"] == (
        'entityValue is required ("Invalid or Null entity value passed")'
    )
    assert cap.outbox() == []


def test_send_message_all_bad_is_400_and_sends_nothing(cap: Cap) -> None:
    body = {"email": [{"to": "nope", "subject": "s"}, {"to": EMAIL[ACTIVE]}]}
    response = cap.post("/v2/communications/sendMessage?channel=email", body)
    assert response.status_code == 400
    answer = response.json()
    assert answer["status"]["successCount"] == 0 and answer["status"]["success"] is False
    codes = [item["errors"][0]["code"] for item in answer["emails"]]
    assert codes == [8055, 4201]
    assert "subject" in messages_of(answer["emails"][1])
    assert cap.outbox() == []


def test_send_message_reads_the_list_of_its_channel(cap: Cap) -> None:
    response = cap.post(
        "/v2/communications/sendMessage?channel=email", send_message("sms", MOBILE[ACTIVE])
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == 4217
    assert "email" in response.json()["errors"][0]["message"]
    assert cap.outbox() == []


def test_wechat_answer_and_message(cap: Cap) -> None:
    response = cap.post("/v2/communications/wechat", wechat(WECHAT[ACTIVE], WECHAT[BLOCKED]))
    items = assert_list_ok(response, "wechat", 2)
    assert items[0]["wechatMessage"]["receiver"] == WECHAT[ACTIVE]
    statuses = {m["to"]: (m["channel"], m["status"]) for m in cap.outbox()}
    assert statuses == {
        WECHAT[ACTIVE]: ("WECHAT", "DELIVERED"),
        WECHAT[BLOCKED]: ("WECHAT", "SUPPRESSED"),
    }


def test_wechat_missing_receiver_fails_alone(cap: Cap) -> None:
    body = {"wechatMessage": [{"template": "t"}, {"receiver": WECHAT[ACTIVE], "template": "t"}]}
    response = cap.post("/v2/communications/wechat", body)
    assert response.status_code == 201
    [bad, good] = response.json()["wechat"]
    assert bad["errors"][0]["code"] == 403 and "receiver" in bad["errors"][0]["message"]
    assert good["errors"] == []
    assert [m["to"] for m in cap.outbox()] == [WECHAT[ACTIVE]]


def test_each_send_is_journaled_with_its_message(cap: Cap) -> None:
    cap.post("/v1.1/communications/sms", sms_v11(MOBILE[BLOCKED]))
    journal = cap.control("GET", "/requests?limit=1").json()["items"]
    [message] = cap.outbox()
    assert journal[0]["operationId"] == "sendSmsV11" and journal[0]["status"] == 200
    assert journal[0]["message_ids"] == [message["id"]]
