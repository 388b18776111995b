"""The list send: every contact with an address on the channel gets a message; those under a
temporary block are recorded SUPPRESSED with CONTACT_TEMP_BLOCKED, the answer is the same."""

from __future__ import annotations

from .helpers import ACCOUNT, ANN, GAGA, TOM, Sym, error

RULES = ["customer_status_block", "sender_blocklist", "contact_temp_block", "subscription_opt_out"]


def test_an_email_send_reaches_every_contact_with_an_address(sym: Sym) -> None:
    response = sym.send()
    assert response.json() == {
        "message": "Message queued for 2 contacts",
        "listId": 42,
        "recipients": 2,
    }
    messages = sym.tenant.outbox(vendor="symplify")
    assert sorted(m["to"] for m in messages) == [GAGA, TOM]
    message = messages[0]
    assert (message["operation"], message["channel"], message["category"]) == (
        "sendToList",
        "EMAIL",
        "PROMOTIONAL",
    )
    assert (message["subject"], message["body"], message["priority"]) == ("Sale", "Hi", None)
    assert [r["rule"] for r in message["decision"]] == RULES
    assert [r["outcome"] for r in message["decision"]] == [
        "not_applicable",
        "not_applicable",
        "pass",
        "pass",  # the contact has not opted out of e-mail
    ]


def test_an_sms_send_reaches_the_mobile_numbers(sym: Sym) -> None:
    assert sym.delivered(channel="SMS", subject=None) == {ANN: ("DELIVERED", None)}


def test_a_blocked_contact_is_recorded_suppressed_with_the_reason(sym: Sym) -> None:
    sym.block(until="2020-01-20")
    unblocked = sym.send().json()
    assert unblocked["recipients"] == 2  # the answer does not reveal the block
    [message] = sym.tenant.outbox(reason="CONTACT_TEMP_BLOCKED")
    assert message["to"] == GAGA
    rule = message["decision"][2]
    assert rule == {
        "rule": "contact_temp_block",
        "outcome": "suppress",
        "detail": "contact is blocked until the end of 2020-01-20 (list 42)",
    }


def test_an_ended_block_says_when_it_ended(sym: Sym) -> None:
    sym.block(until="2020-01-20")
    sym.tenant.advance_clock(6 * 86400)
    sym.send()
    message = sym.tenant.outbox(to=GAGA)[0]
    assert message["status"] == "DELIVERED"
    assert message["decision"][2]["detail"] == "temporary block ended at 2020-01-21T00:00Z"


def test_every_message_is_in_the_request_journal(sym: Sym) -> None:
    sym.send()
    [entry] = sym.http.get(f"{sym.tenant.control}/requests", params={"limit": 1}).json()["items"]
    assert entry["operationId"] == "sendToList" and len(entry["message_ids"]) == 2


def test_an_email_send_needs_a_subject(sym: Sym) -> None:
    response = sym.call("POST", f"/{ACCOUNT}/lists/42/send", {"body": "Hi"})
    assert error(response, 400) == "subject"
    assert sym.tenant.outbox() == []


def test_a_send_to_an_unknown_list_is_a_404(sym: Sym) -> None:
    assert error(sym.send(77), 404) == "listId"
    assert sym.tenant.outbox() == []


def test_a_send_needs_a_body(sym: Sym) -> None:
    response = sym.call("POST", f"/{ACCOUNT}/lists/42/send", {"subject": "x"})
    assert error(response, 400) == "body"
