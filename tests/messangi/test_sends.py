"""Sends pass through their sender's blocklist: answered ACCEPTED either way (the sandbox's
contract), recorded SUPPRESSED with SENDER_BLOCKLISTED when the recipient is on it, and their
status then reads, in Messangi's words, BLACKLISTED, or SENT when the message went."""

from __future__ import annotations

import pytest

from .helpers import (
    BLOCKED,
    BLOCKED_EMAIL,
    CHANNEL,
    EMAIL_SENDER,
    FIRST_ENTRY,
    FREE,
    NANOS,
    OTHER_SENDER,
    SENDER,
    SENDS,
    UUID,
    Msg,
    entry,
    explain,
)

RULES = ["customer_status_block", "sender_blocklist", "contact_temp_block", "subscription_opt_out"]


def test_sms_answer_has_the_vendor_shape(msg: Msg) -> None:
    msg.tenant.set_clock(now="2021-08-17T04:25:38.117Z", frozen=True)
    response = msg.send("sendSms", "5588999999999", OTHER_SENDER)
    assert response.status_code == 200
    body = response.json()
    assert body["meta"]["timestamp"] == 1629174338117 and UUID.match(body["meta"]["transactionId"])
    data = body["data"]
    assert data == {
        "id": data["id"],
        "from": OTHER_SENDER,
        "text": "Hello",
        "to": "+5588999999999",  # Messangi answers E.164
        "type": "MT",
        "status": "ACCEPTED",
        "date": "2021-08-17T04:25:38.117000000Z",
    }
    assert NANOS.match(data["date"])


def test_a_blocklisted_number_is_accepted_and_not_delivered(msg: Msg) -> None:
    response = msg.sms(BLOCKED, SENDER)
    assert response.json()["data"]["status"] == "ACCEPTED"
    message = msg.message(response)
    assert (message["status"], message["reason"]) == ("SUPPRESSED", "SENDER_BLOCKLISTED")
    assert message["decision"] == [
        {
            "rule": "customer_status_block",
            "outcome": "not_applicable",
            "detail": "messangi has no customer status labels",
        },
        {
            "rule": "sender_blocklist",
            "outcome": "suppress",
            "detail": "+525500000000 is on the SMS blocklist of sender 141555549",
        },
        {
            "rule": "contact_temp_block",
            "outcome": "not_applicable",
            "detail": "messangi has no temporary blocks",
        },
        {
            "rule": "subscription_opt_out",
            "outcome": "not_applicable",
            "detail": "messangi has no customer subscriptions",
        },
    ]
    assert message["vendor"] == "messangi" and message["operation"] == "sendSms"
    assert (message["channel"], message["to"], message["from"]) == ("SMS", BLOCKED, SENDER)
    assert (message["customer_id"], message["priority"]) == (None, None)
    assert message["category"] == "TRANSACTIONAL" and message["body"] == "Hello"


def test_the_same_number_still_receives_from_another_sender(msg: Msg) -> None:
    message = msg.message(msg.sms(BLOCKED, OTHER_SENDER))
    assert (message["status"], message["reason"]) == ("DELIVERED", None)
    rules = {r["rule"]: (r["outcome"], r["detail"]) for r in message["decision"]}
    assert rules["sender_blocklist"] == (
        "pass",
        "+525500000000 is not on the SMS blocklist of sender 528811",
    )
    assert [r["rule"] for r in message["decision"]] == RULES


@pytest.mark.parametrize("written", ["525500000000", "+52 55 0000 0000", "+52-55-0000-0000"])
def test_a_blocklisted_number_is_matched_however_it_is_written(msg: Msg, written: str) -> None:
    response = msg.sms(written)
    assert response.json()["data"]["to"] == BLOCKED
    assert msg.message(response)["reason"] == "SENDER_BLOCKLISTED"


@pytest.mark.parametrize("operation", ["sendWhatsapp", "sendRcs"])
def test_phone_channels_have_their_own_lists(msg: Msg, operation: str) -> None:
    """The fixture blocks the number for SMS only: WhatsApp and RCS from the same sender go."""
    assert msg.message(msg.send(operation, BLOCKED))["status"] == "DELIVERED"
    msg.add(entry(BLOCKED, SENDER, CHANNEL[operation]))
    message = msg.message(msg.send(operation, BLOCKED))
    assert (message["channel"], message["reason"]) == (CHANNEL[operation], "SENDER_BLOCKLISTED")
    assert msg.message(msg.send(operation, BLOCKED, OTHER_SENDER))["status"] == "DELIVERED"


def test_email_blocklist_is_case_insensitive(msg: Msg) -> None:
    response = msg.send("sendEmail", "Blocked@Example.COM", EMAIL_SENDER)
    data = response.json()["data"]
    assert (data["to"], data["subject"], data["status"]) == (
        "Blocked@Example.COM",
        "Hello",
        "ACCEPTED",
    )
    message = msg.message(response)
    assert (message["channel"], message["reason"]) == ("EMAIL", "SENDER_BLOCKLISTED")
    assert message["subject"] == "Hello" and message["body"] == "Hi"
    other = msg.send("sendEmail", BLOCKED_EMAIL, "alerts@example.com")
    assert msg.message(other)["status"] == "DELIVERED"


def test_an_entry_added_by_api_blocks_the_next_send_and_delete_unblocks(msg: Msg) -> None:
    assert msg.message(msg.sms(FREE))["status"] == "DELIVERED"
    added = msg.add(entry(FREE)).json()["data"]
    assert msg.message(msg.sms(FREE))["reason"] == "SENDER_BLOCKLISTED"
    msg.call("DELETE", f"/subscribers/{added['id']}")
    assert msg.message(msg.sms(FREE))["status"] == "DELIVERED"


def test_deleting_the_fixture_entry_unblocks_the_number(msg: Msg) -> None:
    msg.call("DELETE", f"/subscribers/{FIRST_ENTRY}")
    assert msg.message(msg.sms(BLOCKED))["status"] == "DELIVERED"


def test_message_status_reads_blacklisted_or_sent(msg: Msg) -> None:
    stopped = msg.sms(BLOCKED).json()["data"]
    sent = msg.sms(BLOCKED, OTHER_SENDER).json()["data"]
    for sent_data, status in ((stopped, "BLACKLISTED"), (sent, "SENT")):
        answer = msg.status(sent_data["id"])
        assert answer.status_code == 200
        assert answer.json()["data"] == {**sent_data, "status": status}


def test_message_status_of_an_unknown_id_names_it(msg: Msg) -> None:
    response = msg.status("999")
    assert response.status_code == 404
    assert explain(response).startswith("id:")


def test_message_status_of_another_vendors_message_is_not_found(msg: Msg) -> None:
    capillary = msg.http.post(
        "/capillary/v2/communications/sendMessage",
        params={"channel": "sms"},
        json={"sms": [{"to": "919988221100", "body": "hi"}]},
        headers=msg.tenant.capillary_auth(),
    )
    assert capillary.status_code == 200
    [message] = msg.tenant.outbox(vendor="capillary")
    assert msg.status(message["id"]).status_code == 404


@pytest.mark.parametrize("operation", sorted(SENDS))
def test_every_send_is_recorded_before_it_answers(msg: Msg, operation: str) -> None:
    to = BLOCKED_EMAIL if operation == "sendEmail" else FREE
    response = msg.send(operation, to)
    journal = msg.http.get(f"{msg.tenant.control}/requests", params={"limit": 1}).json()
    [last] = journal["items"]
    assert (last["operationId"], last["vendor"], last["status"]) == (operation, "messangi", 200)
    assert last["message_ids"] == [response.json()["data"]["id"]]


def test_whatsapp_template_messages_are_sent(msg: Msg) -> None:
    response = msg.send("sendWhatsapp", FREE, type="template", templateName="order_shipped")
    assert response.json()["data"]["status"] == "ACCEPTED"
    message = msg.message(response)
    assert (message["channel"], message["body"]) == ("WHATSAPP", "template order_shipped")


def test_outbox_filters_find_messangi_messages(msg: Msg) -> None:
    msg.sms(BLOCKED)
    msg.sms(BLOCKED, OTHER_SENDER)
    suppressed = msg.tenant.outbox(vendor="messangi", reason="SENDER_BLOCKLISTED")
    assert [m["from"] for m in suppressed] == [SENDER]
    assert len(msg.tenant.outbox(to="52 55 0000 0000")) == 2
