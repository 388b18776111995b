"""configureSubscription (seed 000 #14): applies the change and sends a subscription
notification on that channel, which the block suppresses like any other message."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import (
    ACTIVE,
    BLOCKED,
    EMAIL,
    MOBILE,
    OPTED_OUT,
    UNKNOWN_ID,
    Cap,
    assert_created,
    assert_delivered,
    assert_names,
    assert_suppressed,
    email_v2,
    sms_v11,
    subscription,
    v2_error,
)

CONFIGURE = "/v2/internal/subscription/configuration"


def subscribed(cap: Cap, who: int) -> dict[tuple[str, str], str]:
    subs = cap.customer(who)["subscriptionInfo"]["subscriptions"]
    return {
        ("MOBILE" if s["channel"] in {"SMS", "MOBILE"} else s["channel"], s["priority"]): s["type"]
        for s in subs
    }


def test_opt_out_applies_and_notifies(cap: Cap) -> None:
    assert_created(cap.post(CONFIGURE, subscription(ACTIVE, "EMAIL", "BULK", "OPTOUT")))
    assert subscribed(cap, ACTIVE)[("EMAIL", "BULK")] == "OPTOUT"
    [notice] = cap.outbox()
    assert (notice["channel"], notice["to"], notice["category"]) == (
        "EMAIL",
        EMAIL[ACTIVE],
        "SUBSCRIPTION_NOTIFICATION",
    )
    assert (notice["operation"], notice["priority"]) == ("configureSubscription", "TRANS")
    assert_delivered(notice)


def test_opt_out_suppresses_the_next_matching_send(cap: Cap) -> None:
    assert_created(cap.post(CONFIGURE, subscription(ACTIVE, "EMAIL", "BULK", "OPTOUT")))
    assert (
        cap.post("/v2/communications/email", email_v2(EMAIL[ACTIVE], priority="BULK")).status_code
        == 200
    )
    assert_suppressed(cap.outbox(operation="sendEmailV2")[0], "SUBSCRIPTION_OPTED_OUT")
    assert cap.post("/v2/communications/email", email_v2(EMAIL[ACTIVE])).status_code == 200
    assert_delivered(cap.outbox(operation="sendEmailV2")[0])  # TRANS is still subscribed


def test_opt_in_lifts_an_opt_out(cap: Cap) -> None:
    assert_created(cap.post(CONFIGURE, subscription(OPTED_OUT, "MOBILE", "TRANS", "OPTIN")))
    assert subscribed(cap, OPTED_OUT)[("MOBILE", "TRANS")] == "OPTIN"
    [notice] = cap.outbox()
    assert (notice["channel"], notice["to"]) == ("SMS", MOBILE[OPTED_OUT])
    assert_delivered(notice)  # decided on the new preference
    assert cap.post("/v1.1/communications/sms", sms_v11(MOBILE[OPTED_OUT])).status_code == 200
    assert_delivered(cap.outbox(operation="sendSmsV11")[0])


def test_blocked_customer_change_applies_but_notice_is_suppressed(cap: Cap) -> None:
    response = cap.post(CONFIGURE, subscription(BLOCKED, "MOBILE", "BULK", "OPTOUT"))
    assert_created(response)
    assert subscribed(cap, BLOCKED)[("MOBILE", "BULK")] == "OPTOUT"
    [notice] = cap.outbox()
    assert notice["category"] == "SUBSCRIPTION_NOTIFICATION"
    assert_suppressed(notice)


def test_each_change_gets_its_own_id(cap: Cap) -> None:
    first = assert_created(cap.post(CONFIGURE, subscription(ACTIVE, "EMAIL", "BULK", "OPTOUT")))
    second = assert_created(cap.post(CONFIGURE, subscription(ACTIVE, "EMAIL", "BULK", "OPTIN")))
    assert first != second
    assert subscribed(cap, ACTIVE)[("EMAIL", "BULK")] == "OPTIN"


CASES = [
    ("unknown customer", {"userId": UNKNOWN_ID}, 8015, ("userId", str(UNKNOWN_ID))),
    ("user id as text", {"userId": "abc"}, None, "userId"),
    ("user id zero", {"userId": 0}, None, "userId"),
    ("channel SMS", {"channel": "SMS"}, 1101, "channel"),
    ("priority TANS (seed 002's typo)", {"priority": "TANS"}, 1102, "priority"),
    ("priority lowercase", {"priority": "bulk"}, 1102, "priority"),
    ("type", {"type": "UNSUBSCRIBE"}, 1106, "type"),
    ("channel null", {"channel": None}, 1101, "channel"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_configuration_is_refused_and_changes_nothing(cap: Cap, case: tuple[Any, ...]) -> None:
    _, change, code, field = case
    before = cap.snapshot()
    response = cap.post(CONFIGURE, {**subscription(ACTIVE, "EMAIL", "BULK", "OPTOUT"), **change})
    assert response.status_code == 400, response.text
    if code is not None:
        assert v2_error(response)["code"] == code
    assert_names(v2_error(response)["message"], field)
    assert cap.snapshot() == before


@pytest.mark.parametrize("missing", ["userId", "channel", "priority", "type"])
def test_missing_field_is_refused(cap: Cap, missing: str) -> None:
    before = cap.snapshot()
    body = {
        k: v for k, v in subscription(ACTIVE, "EMAIL", "BULK", "OPTOUT").items() if k != missing
    }
    response = cap.post(CONFIGURE, body)
    assert response.status_code == 400
    assert missing in v2_error(response)["message"]
    assert cap.snapshot() == before
