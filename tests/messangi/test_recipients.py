"""Issue 23 item 6: a blocklist entry stops its recipient however the number or address is
written, from its sender however the sender is padded; what cannot be read is a 400 naming
the field and changes nothing."""

from __future__ import annotations

import pytest

from .helpers import BLOCKED, BLOCKED_EMAIL, EMAIL_SENDER, SENDER, Msg, entry, lookup

NUMBERS = [
    "00525500000000",
    "0052 55 0000-0000",
    "+52.55.0000.0000",
    "+52\u00a055\u00a00000\u00a00000",
]
ADDRESSES = ["Blocked@Example.COM.", "Someone <blocked@example.com>", "<BLOCKED@example.com>"]


@pytest.mark.parametrize("written", NUMBERS)
def test_a_blocklisted_number_is_stopped_however_written(msg: Msg, written: str) -> None:
    message = msg.message(msg.sms(written))
    assert (message["status"], message["reason"]) == ("SUPPRESSED", "SENDER_BLOCKLISTED")
    assert message["to"] == BLOCKED  # E.164, as Messangi answers it


@pytest.mark.parametrize("written", ADDRESSES)
def test_a_blocklisted_address_is_stopped_however_written(msg: Msg, written: str) -> None:
    message = msg.message(msg.send("sendEmail", written, EMAIL_SENDER))
    assert (message["status"], message["reason"]) == ("SUPPRESSED", "SENDER_BLOCKLISTED")


@pytest.mark.parametrize("padded", [f" {SENDER}", f"{SENDER}  ", f"\t{SENDER}\n"])
def test_a_sender_with_blanks_around_it_is_that_sender(msg: Msg, padded: str) -> None:
    response = msg.sms(BLOCKED, padded)
    message = msg.message(response)
    assert (message["status"], message["from"]) == ("SUPPRESSED", SENDER)
    assert response.json()["data"]["from"] == SENDER
    found = msg.find(**lookup(BLOCKED, padded))
    assert found.status_code == 200, found.text


def test_an_entry_added_under_one_spelling_is_found_and_stops_under_another(msg: Msg) -> None:
    added = msg.add(entry("0052 1 55 1234 5678", f" {SENDER} "))
    assert added.status_code == 200, added.text
    again = msg.add(entry("+52 (1) 55-1234-5678", SENDER))
    assert again.json()["data"]["id"] == added.json()["data"]["id"]  # the same entry
    found = msg.find(**lookup("5215512345678", SENDER))
    assert found.json()["data"]["id"] == added.json()["data"]["id"], found.text
    message = msg.message(msg.sms("00 52 1 55 1234 5678"))
    assert message["status"] == "SUPPRESSED", message
    mail = msg.add(entry("Ann <Ann.Lee@Example.com.>", "news@example.com", "EMAIL"))
    assert mail.status_code == 200, mail.text
    found = msg.find(**lookup("ann.lee@example.com", "news@example.com", "EMAIL"))
    assert found.json()["data"]["id"] == mail.json()["data"]["id"], found.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (entry("+52 55 0000\u200b0000"), "to"),
        (entry("blocked\u200d@example.com", kind="EMAIL"), "to"),
        (entry("\ufeffblocked@example.com", kind="EMAIL"), "to"),
        (entry(BLOCKED, "   "), "from"),
        (entry(BLOCKED, "1415\u200b55549"), "from"),
    ],
    ids=["number", "zwj", "bom", "blank-sender", "invisible-sender"],
)
def test_what_cannot_be_read_is_a_400_naming_the_field(
    msg: Msg, body: dict[str, str], field: str
) -> None:
    before = msg.tenant.snapshot()
    for response in (
        msg.add(body),
        msg.find(**lookup(body["to"], body["from"], body["type"])),
        msg.send("sendEmail" if body["type"] == "EMAIL" else "sendSms", body["to"], body["from"]),
    ):
        assert response.status_code == 400, response.text
        assert response.json()["meta"]["explain"].startswith(f"{field}:"), response.text
    after = msg.tenant.snapshot()
    assert after["messangi"] == before["messangi"]
    assert after.get("outbox", []) == before.get("outbox", [])
    assert msg.tenant.outbox() == []


def test_an_email_list_refuses_a_number_and_a_phone_list_an_address(msg: Msg) -> None:
    for body in (entry(BLOCKED, kind="EMAIL"), entry(BLOCKED_EMAIL, kind="SMS")):
        response = msg.add(body)
        assert response.status_code == 400, response.text
        assert response.json()["meta"]["explain"].startswith("to:"), response.text
