"""What became of a message, read back as Capillary's v1.1 clients read it (issue 24, research
8a): `GET /v1.1/communications/sms?id=` and `/email?id=`, a suppressed message told from a sent
one; the v1.1 sms and email sends in both of the forms Capillary's pages write (an object, a
one-item list), answered with the status typed as every copy of their examples types it."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.vendors.capillary.message_reads import PAGE

from .helpers import (
    ACTIVE,
    BLOCKED,
    EMAIL,
    MOBILE,
    OPTED_OUT,
    Cap,
    email_v2,
    email_v11,
    otp,
    send_message,
    sms_v11,
)

SMS, MAIL = "/v1.1/communications/sms", "/v1.1/communications/email"
TEXT_OK = {"success": "true", "code": "200", "message": "success"}

# Capillary's earlier v1.1 page ("Send SMS to Customers", research 8a): `root.sms` and
# `root.email` as single objects, the JSON twin of the XML body; verbatim but the recipients
EARLIER_SMS = {
    "root": {
        "sms": {
            "to": MOBILE[ACTIVE],
            "body": "Hi, wish you a happy wedding anniversary!",
            "scheduled_time": "2012-08-05 22:00:00IST",
        }
    }
}
EARLIER_EMAIL = {
    "root": {
        "email": {
            "to": EMAIL[ACTIVE],
            "cc": "cashier1@example.com, cashier2@example.com",
            "bcc": "storemanager@example.com",
            "from": "store1@store.com",
            "#text": "  -- optional\n        ",
            "subject": "Testing email",
            "body": "Dear Tom,\n            Thanks for visiting our store. Hope you had a "
            "pleasant experience.\n            \n        ",
            "attachments": {
                "attachment": {
                    "file_name": "asda.pdf",
                    "file_type": "pdf",
                    "file_data": "  -- base64_encoded file contents\n"
                    "                adsdsadd21121dasd12123123assdad1212123\n",
                }
            },
            "scheduled_time": "2016-08-05 22:00:21",
        }
    }
}


def sent_id(response: httpx.Response, key: str) -> str:
    assert response.status_code == 200, response.text
    entity: dict[str, Any] = response.json()["response"][key]
    return str(entity["id"])


def read(cap: Cap, path: str, message_id: Any) -> httpx.Response:
    return cap.get(path, id=message_id, format="json")


# --- the sends: both forms, strings ----------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "body", "key"),
    [(SMS, EARLIER_SMS, "sms"), (MAIL, EARLIER_EMAIL, "email")],
    ids=["sms", "email"],
)
def test_the_earlier_pages_object_form_is_sent_like_the_list(
    cap: Cap, path: str, body: Any, key: str
) -> None:
    response = cap.post(path, body, params={"format": "json"})
    assert response.status_code == 200, response.text
    answer = response.json()["response"]
    [message] = cap.outbox()
    assert answer[key]["id"] == message["id"] and message["status"] == "DELIVERED"
    assert message["operation"] == ("sendSmsV11" if key == "sms" else "sendEmailV11")
    assert answer[key]["scheduled_time"] == body["root"][key]["scheduled_time"]
    if key == "email":
        assert (message["subject"], message["from"]) == ("Testing email", "store1@store.com")


def test_the_object_and_the_list_are_one_message_each_decided_alike(cap: Cap) -> None:
    item = {"to": MOBILE[BLOCKED], "body": "Hi"}
    assert cap.post(SMS, {"root": {"sms": item}}).status_code == 200
    assert cap.post(SMS, {"root": {"sms": [item]}}).status_code == 200
    first, second = cap.outbox()
    assert first["status"] == second["status"] == "SUPPRESSED"
    assert first["decision"] == second["decision"]


@pytest.mark.parametrize(
    ("path", "body", "key"),
    [
        (SMS, sms_v11(MOBILE[ACTIVE]), "sms"),
        (MAIL, email_v11(EMAIL[ACTIVE]), "email"),
        ("/v2/communications/email", email_v2(EMAIL[ACTIVE]), "email"),
    ],
    ids=["v1.1 sms", "v1.1 email", "v2 email"],
)
def test_the_answers_status_is_typed_as_every_copy_of_the_examples(
    cap: Cap, path: str, body: Any, key: str
) -> None:
    response = cap.post(path, body)
    assert response.status_code == 200, response.text
    assert response.json()["response"]["status"] == TEXT_OK


def test_a_refused_send_is_typed_as_its_answers_are(cap: Cap) -> None:
    before = cap.snapshot()
    response = cap.post(SMS, {"root": {"sms": {"to": "abc", "body": "Hi"}}})
    assert response.status_code == 400
    status = response.json()["response"]["status"]
    assert (status["success"], status["code"]) == ("false", "400")
    assert "root.sms.to" in status["message"]
    assert cap.snapshot() == before


# --- the reads ---------------------------------------------------------------------------------
def test_a_delivered_sms_reads_as_capillarys_example_shows_it(frozen: Cap) -> None:
    body = sms_v11(MOBILE[ACTIVE], body="Your order has shipped", sender="STORE1")
    message_id = sent_id(frozen.post(SMS, body), "sms")
    response = read(frozen, SMS, message_id)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "response": {
            "status": TEXT_OK,
            "sms": {
                "id": message_id,
                "to": MOBILE[ACTIVE],
                "status": "Sent",
                "scheduled_time": "2026-11-23 10:00:00",
                "message": "Your order has shipped",
                "sender": "STORE1",
            },
        }
    }


def test_a_delivered_email_reads_as_capillarys_example_shows_it(frozen: Cap) -> None:
    message_id = sent_id(frozen.post(MAIL, email_v11(EMAIL[ACTIVE], subject="Receipt")), "email")
    response = read(frozen, MAIL, message_id)
    assert response.status_code == 200, response.text
    assert response.json()["response"] == {
        "status": TEXT_OK,
        "email": {
            "id": message_id,
            "to": EMAIL[ACTIVE],
            "subject": "Receipt",
            "description": "Dear Tom",
            "status": "Delivered",
            "sent_time": "2026-11-23 10:00:00",
        },
    }


@pytest.mark.parametrize(
    ("who", "reason"),
    [(BLOCKED, "CUSTOMER_STATUS_BLOCKED"), (OPTED_OUT, "SUBSCRIPTION_OPTED_OUT")],
    ids=["blocked", "opted out"],
)
def test_a_suppressed_sms_reads_not_delivered_though_its_send_said_sent(
    cap: Cap, who: int, reason: str
) -> None:
    send = cap.post(SMS, sms_v11(MOBILE[who]))
    assert send.json()["response"]["sms"]["status"] == "Sent"  # Capillary's answer, unchanged
    message_id = sent_id(send, "sms")
    [message] = cap.outbox()
    assert (message["status"], message["reason"]) == ("SUPPRESSED", reason)
    assert read(cap, SMS, message_id).json()["response"]["sms"]["status"] == "NOT-DELIVERED"


def test_a_suppressed_email_reads_not_delivered(cap: Cap) -> None:
    message_id = sent_id(cap.post(MAIL, email_v11(EMAIL[BLOCKED])), "email")
    email = read(cap, MAIL, message_id).json()["response"]["email"]
    assert (email["to"], email["status"]) == (EMAIL[BLOCKED], "NOT-DELIVERED")


def test_any_apis_message_reads_back_by_the_id_it_has(cap: Cap) -> None:
    """The id is the outbox's: a v2 sendMessage or an OTP's SMS reads like a v1.1 send."""
    assert cap.post("/v2/communications/sendMessage", send_message("sms", MOBILE[ACTIVE]),
                    params={"channel": "sms"}).status_code == 200  # fmt: skip
    assert cap.post("/v2/otp/generate", otp(MOBILE[BLOCKED], "SMS")).status_code == 200
    by_to = {m["to"]: m["id"] for m in cap.outbox()}
    delivered = read(cap, SMS, by_to[MOBILE[ACTIVE]]).json()["response"]["sms"]
    otp_sms = read(cap, SMS, by_to[MOBILE[BLOCKED]]).json()["response"]["sms"]
    assert (delivered["status"], otp_sms["status"]) == ("Sent", "NOT-DELIVERED")


@pytest.mark.parametrize(
    ("path", "what"),
    [(SMS, "Unable to find/retrieve SMS"), (MAIL, "Unable to find/retrieve email")],
    ids=["sms", "email"],
)
def test_an_unknown_id_is_a_404_naming_it_and_changes_nothing(
    cap: Cap, path: str, what: str
) -> None:
    before = cap.snapshot()
    response = read(cap, path, 1009999)
    assert response.status_code == 404
    status = response.json()["response"]["status"]
    assert (status["success"], status["code"]) == ("false", "404")
    assert what in status["message"] and "1009999" in status["message"]
    assert cap.snapshot() == before


def test_an_id_of_another_channel_is_not_found(cap: Cap) -> None:
    sms_id = sent_id(cap.post(SMS, sms_v11(MOBILE[ACTIVE])), "sms")
    email_id = sent_id(cap.post(MAIL, email_v11(EMAIL[ACTIVE])), "email")
    assert read(cap, MAIL, sms_id).status_code == 404
    assert read(cap, SMS, email_id).status_code == 404
    assert read(cap, SMS, sms_id).status_code == 200


def test_another_vendors_message_is_not_capillarys_to_read(cap: Cap) -> None:
    tenant = cap.tenant
    sent = tenant.http.post(
        "/messangi/raven/v2/messages",
        json={"from": "141555549", "to": "+525500000001", "text": "Hi", "type": "MT"},
        headers=tenant.messangi_auth(),
    )
    assert sent.status_code < 300, sent.text
    [message] = cap.outbox()
    assert message["channel"] == "SMS"
    assert read(cap, SMS, message["id"]).status_code == 404


def test_a_message_past_the_outboxs_retention_is_not_found(cap: Cap) -> None:
    cap.tenant.settings(outbox_retention=1)
    first = sent_id(cap.post(SMS, sms_v11(MOBILE[ACTIVE])), "sms")
    second = sent_id(cap.post(SMS, sms_v11(MOBILE[ACTIVE])), "sms")
    assert read(cap, SMS, first).status_code == 404
    assert read(cap, SMS, second).status_code == 200


@pytest.mark.parametrize(
    "value", ["abc", "0", "1.5", ""], ids=["text", "zero", "fraction", "empty"]
)
def test_an_id_that_is_no_number_is_a_400_naming_it(cap: Cap, value: str) -> None:
    response = read(cap, SMS, value)
    assert response.status_code == 400, response.text
    status = response.json()["response"]["status"]
    assert status["code"] == "400" and "id" in status["message"]


def test_the_id_is_required(cap: Cap) -> None:
    response = cap.get(MAIL)
    assert response.status_code == 400
    assert "'id' is required" in response.json()["response"]["status"]["message"]


# --- the web outbox's message page: "How Capillary reads it back" ------------------------------
def _reads_shown(cap: Cap, message_id: str) -> dict[str, str]:
    """The page's reads: call -> what it says the call answers."""
    page = cap.http.get(f"/_sandbox/ui/tenants/{cap.tenant.name}/messages/{message_id}")
    assert page.status_code == 200, page.text
    text = page.text.replace("<wbr>", "")  # (a path may wrap at its / ? & = on a phone)
    shown = re.findall(r"<li><code>(.*?)</code>: <strong>(.*?)</strong></li>", text)
    return {html.unescape(call): html.unescape(answer) for call, answer in shown}


def test_the_message_page_claims_only_what_the_history_lists(cap: Cap) -> None:
    """The v2 history lists a type's newest PAGE messages: the page says the newest one reads
    NOT-DELIVERED there (and it does), and the oldest one, past them, is not listed there (and
    it is not), though it still reads back by its id."""
    sent = cap.post(
        "/v2/communications/sendMessage",
        send_message("sms", *[MOBILE[BLOCKED]] * (PAGE + 1)),
        params={"channel": "sms"},
    )
    assert sent.status_code == 200, sent.text
    ids = [m["id"] for m in reversed(cap.outbox(limit=PAGE + 1))]  # oldest first
    query = f"identifierName=id&identifierValue={BLOCKED}&type=sms"
    history = f"GET /capillary/v2/customers/interaction?{query}"
    listed = cap.get(
        "/v2/customers/interaction", identifierName="id", identifierValue=str(BLOCKED), type="sms"
    ).json()["interaction"][0]["messageList"]
    listed_ids = {str(m["id"]) for m in listed}
    assert ids[-1] in listed_ids and ids[0] not in listed_ids
    newest, oldest = _reads_shown(cap, ids[-1]), _reads_shown(cap, ids[0])
    assert newest[history] == "NOT-DELIVERED"
    assert oldest[history].startswith("not listed")
    assert oldest[f"GET /capillary{SMS}?id={ids[0]}"] == "NOT-DELIVERED"


def test_the_readme_shows_the_whole_answer_of_a_read_by_id(cap: Cap) -> None:
    """The quick start's read of a message by id shows every field the read answers (its
    values may be `...`), so a reader sees the answer, not a cut of it."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    after = readme.split("/capillary/v1.1/communications/sms?id=", 1)[1]
    shown = json.loads(after.split("```json\n", 1)[1].split("```", 1)[0])
    sent = cap.post(SMS, sms_v11(MOBILE[BLOCKED]))
    read = cap.get(SMS, id=sent.json()["response"]["sms"]["id"], format="json").json()
    assert set(shown["response"]["sms"]) == set(read["response"]["sms"])
    assert set(shown["response"]) == set(read["response"])
