"""What subscriptions do to sends (seed 000, 002, docs/contract.md section 4): an opt-out of a
channel and priority suppresses the next such message with SUBSCRIPTION_OPTED_OUT, OTP bypasses
it, the status-label block wins whatever the subscriptions, and opting back in lifts it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from .helpers import (
    ACTIVE,
    BLOCKED,
    EMAIL,
    MOBILE,
    OPTED_OUT,
    RESULT_KEY,
    Cap,
    assert_created,
    assert_delivered,
    assert_list_ok,
    assert_suppressed,
    message_item,
    otp,
    outcomes,
)
from .subs import PAIRS, entry, item, update_lookup, update_v2, update_v11

SEND = "/v2/communications/sendMessage"
ADDRESS = {"sms": MOBILE, "email": EMAIL}
# how the decision trace may name the channel ("sms" is MOBILE in v2 and the store)
NAMES = {"sms": ("SMS", "MOBILE"), "email": ("EMAIL",)}
V2_CHANNEL = {"sms": "MOBILE", "email": "EMAIL"}

Change = Callable[[Cap, int, str, str, bool], httpx.Response]


def _v11(cap: Cap, who: int, channel: str, priority: str, on: bool) -> httpx.Response:
    return update_v11(cap, item(channel, priority.lower(), "1" if on else "0", id=str(who)))


def _v2(cap: Cap, who: int, channel: str, priority: str, on: bool) -> httpx.Response:
    kind = "OPTIN" if on else "OPTOUT"
    return update_v2(cap, who, entry(V2_CHANNEL[channel], priority, kind))


def _lookup(cap: Cap, who: int, channel: str, priority: str, on: bool) -> httpx.Response:
    kind = "OPTIN" if on else "OPTOUT"
    return update_lookup(cap, EMAIL[who], entry(V2_CHANNEL[channel], priority, kind), name="email")


CHANGES: dict[str, Change] = {"v1.1": _v11, "v2": _v2, "v2 lookup": _lookup}
changes = pytest.mark.parametrize("change", list(CHANGES.values()), ids=list(CHANGES))


def set_preference(
    cap: Cap, change: Change, who: int, channel: str, priority: str, *, on: bool
) -> None:
    response = change(cap, who, channel, priority, on)
    assert response.status_code == 200, response.text


def send(cap: Cap, channel: str, who: int, *priorities: str | None) -> dict[str | None, Any]:
    """One sendMessage with an item per priority (None: none given); priority -> message."""
    items = [
        message_item(channel, ADDRESS[channel][who], **({"priority": p} if p else {}))
        for p in priorities
    ]
    response = cap.post(SEND, {channel: items}, params={"channel": channel})
    assert_list_ok(response, RESULT_KEY[channel], len(items))
    sent = list(reversed(cap.outbox(operation="sendMessage")[: len(items)]))  # newest first
    assert [m["priority"] for m in sent] == [p or "TRANS" for p in priorities], sent
    return dict(zip(priorities, sent, strict=True))


def opt_out_step(message: dict[str, Any]) -> dict[str, Any]:
    [step] = [s for s in message["decision"] if s["rule"] == "subscription_opt_out"]
    return step


@changes
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_bulk_opt_out_suppresses_bulk_only(cap: Cap, change: Change, channel: str) -> None:
    set_preference(cap, change, ACTIVE, channel, "BULK", on=False)
    sent = send(cap, channel, ACTIVE, "BULK", "TRANS", None)
    bulk = sent["BULK"]
    assert_suppressed(bulk, "SUBSCRIPTION_OPTED_OUT")
    assert (bulk["category"], bulk["to"]) == ("PROMOTIONAL", ADDRESS[channel][ACTIVE])
    assert bulk["customer_id"] == str(ACTIVE)
    detail = opt_out_step(bulk)["detail"]
    assert any(name in detail.upper() for name in NAMES[channel]), detail
    assert "BULK" in detail.upper(), detail
    for trans in (sent["TRANS"], sent[None]):
        assert_delivered(trans)
        assert trans["category"] == "TRANSACTIONAL"
        assert outcomes(trans)["subscription_opt_out"] == "pass"


def test_opt_out_is_per_channel_and_priority(cap: Cap) -> None:
    set_preference(cap, _v11, ACTIVE, "sms", "TRANS", on=False)
    sms = send(cap, "sms", ACTIVE, "TRANS", "BULK")
    assert_suppressed(sms["TRANS"], "SUBSCRIPTION_OPTED_OUT")
    assert "TRANS" in opt_out_step(sms["TRANS"])["detail"].upper()
    assert_delivered(sms["BULK"])
    email = send(cap, "email", ACTIVE, "TRANS", "BULK")
    assert_delivered(email["TRANS"])
    assert_delivered(email["BULK"])


def test_fixture_opt_outs_apply(cap: Cap) -> None:
    """565039507 is opted out of MOBILE BULK, MOBILE TRANS and EMAIL BULK, not EMAIL TRANS."""
    sms = send(cap, "sms", OPTED_OUT, "TRANS", "BULK")
    email = send(cap, "email", OPTED_OUT, "TRANS", "BULK")
    assert_suppressed(sms["TRANS"], "SUBSCRIPTION_OPTED_OUT")
    assert_suppressed(sms["BULK"], "SUBSCRIPTION_OPTED_OUT")
    assert_suppressed(email["BULK"], "SUBSCRIPTION_OPTED_OUT")
    assert_delivered(email["TRANS"])


@pytest.mark.parametrize("who", [ACTIVE, OPTED_OUT], ids=["opted out by API", "by fixture"])
def test_otp_bypasses_opt_out(cap: Cap, who: int) -> None:
    if who == ACTIVE:
        response = update_v11(
            cap, item("sms", "trans", "0", id=str(who)), item("sms", "bulk", "0", id=str(who))
        )
        assert response.status_code == 200, response.text
    assert_created(cap.post("/v2/otp/generate", otp(MOBILE[who], "SMS")))
    [message] = cap.outbox(operation="generateOtp")
    assert (message["category"], message["to"]) == ("OTP", MOBILE[who])
    assert_delivered(message)
    assert opt_out_step(message)["outcome"] == "bypass", message["decision"]


def test_blocked_customer_stays_blocked_when_opted_in_to_everything(cap: Cap) -> None:
    response = update_v11(cap, *[item(c.lower(), p, "1", id=str(BLOCKED)) for c, p in PAIRS])
    assert response.status_code == 200, response.text
    for channel in ("sms", "email"):
        for message in send(cap, channel, BLOCKED, "BULK", "TRANS").values():
            assert_suppressed(message, "CUSTOMER_STATUS_BLOCKED")
            assert outcomes(message)["subscription_opt_out"] == "pass"
    assert_created(cap.post("/v2/otp/generate", otp(MOBILE[BLOCKED], "SMS")))
    [code] = cap.outbox(operation="generateOtp")
    assert_suppressed(code, "CUSTOMER_STATUS_BLOCKED")


@changes
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_opting_back_in_lets_bulk_through(cap: Cap, change: Change, channel: str) -> None:
    set_preference(cap, change, ACTIVE, channel, "BULK", on=False)
    assert_suppressed(send(cap, channel, ACTIVE, "BULK")["BULK"], "SUBSCRIPTION_OPTED_OUT")
    set_preference(cap, change, ACTIVE, channel, "BULK", on=True)
    again = send(cap, channel, ACTIVE, "BULK")["BULK"]
    assert_delivered(again)
    assert outcomes(again)["subscription_opt_out"] == "pass"


@changes
def test_opting_in_lifts_a_fixture_opt_out(cap: Cap, change: Change) -> None:
    set_preference(cap, change, OPTED_OUT, "sms", "BULK", on=True)
    sent = send(cap, "sms", OPTED_OUT, "BULK", "TRANS")
    assert_delivered(sent["BULK"])
    assert_suppressed(sent["TRANS"], "SUBSCRIPTION_OPTED_OUT")  # TRANS is still opted out


@changes
def test_subscription_changes_send_nothing(cap: Cap, change: Change) -> None:
    before = {c: cap.interactions(c) for c in (ACTIVE, OPTED_OUT)}
    set_preference(cap, change, ACTIVE, "email", "BULK", on=False)
    set_preference(cap, change, OPTED_OUT, "sms", "TRANS", on=True)
    assert cap.outbox() == []
    assert {c: cap.interactions(c) for c in (ACTIVE, OPTED_OUT)} == before


def test_refused_change_does_not_affect_sends(cap: Cap) -> None:
    response = update_v2(
        cap, ACTIVE, entry("MOBILE", "BULK", "OPTOUT"), entry("MOBILE", "TANS", "OPTOUT")
    )
    assert response.status_code == 400, response.text
    assert_delivered(send(cap, "sms", ACTIVE, "BULK")["BULK"])


def test_opted_out_message_is_an_interaction(cap: Cap) -> None:
    set_preference(cap, _v11, ACTIVE, "sms", "BULK", on=False)
    send(cap, "sms", ACTIVE, "BULK", "TRANS")
    assert cap.interactions(ACTIVE)["sms"] == 2
    response = cap.get(
        "/v2/customers/interaction", identifierName="id", identifierValue=str(ACTIVE), type="sms"
    )
    assert response.status_code == 200, response.text
    [sms] = response.json()["interaction"]
    statuses = sorted(m["status"] for m in sms["messageList"])
    assert (sms["count"], statuses) == (2, ["DELIVERED", "NOT-DELIVERED"])
