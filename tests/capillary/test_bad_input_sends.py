"""Bad input for the request, communication, OTP and subscription operations: a 4xx in the
vendor's envelope naming the field, nothing changes."""

from __future__ import annotations

import pytest

from .helpers import (
    ACTIVE,
    EMAIL,
    FREE_MOBILE,
    MOBILE,
    UNKNOWN_ID,
    WECHAT,
    Cap,
    email_v2,
    email_v11,
    otp,
    send_message,
    sms_v11,
    validate,
)
from .ops import BY_ID, Bad, without
from .test_bad_input import CASES as CUSTOMER_CASES

SUB = {"userId": ACTIVE, "channel": "EMAIL", "priority": "BULK", "type": "OPTOUT"}

CASES = [
    Bad("addRequest", "no requests", "root.request", {"root": {"request": []}}),
    Bad(
        "addRequest",
        "auto approve not boolean",
        "client_auto_approve",
        {"root": {"request": [{"type": "GOODWILL"}]}},
        params={"client_auto_approve": "maybe"},
    ),
    Bad("approveRequests", "missing root", "root", {}),
    Bad("approveRequests", "request not a list", "root.request", {"root": {"request": "13000001"}}),
    Bad(
        "createChangeRequest",
        "customer id not a number",
        "customerId",
        {"baseType": "MOBILE", "newValue": FREE_MOBILE},
        path="/v2/customer/abc/changeRequest",
    ),
    Bad(
        "createChangeRequest",
        "comments not a string",
        "comments",
        {"baseType": "MOBILE", "newValue": FREE_MOBILE, "comments": 5},
    ),
    Bad("createChangeRequest", "body is a list", "body", [{"baseType": "MOBILE"}]),
    Bad("updateChangeRequest", "lowercase status", "status", {"status": "approved"}, code=9052),
    Bad(
        "updateChangeRequest",
        "id negative",
        "id",
        {"status": "APPROVED"},
        path="/v2/changeRequest/-4",
        code=9050,
    ),
    Bad(
        "createGoodwillRequest",
        "points too large",
        "points",
        {"baseType": "POINTS", "points": 10**10},
    ),
    Bad(
        "createGoodwillRequest",
        "customer id zero",
        "customerId",
        {"baseType": "POINTS", "points": 5},
        path="/v2/customer/0/goodwillRequest",
    ),
    Bad(
        "createGoodwillRequest",
        "unknown customer",
        ("customerId", str(UNKNOWN_ID)),
        {"baseType": "POINTS", "points": 5},
        path=f"/v2/customer/{UNKNOWN_ID}/goodwillRequest",
        code=8015,
    ),
    Bad("updateGoodwillRequest", "status not a string", "status", {"status": True}),
    Bad(
        "updateGoodwillRequest",
        "unknown request",
        ("Request not found", "id"),
        {"status": "APPROVED"},
        path="/v2/goodwillRequest/13999999",
        code=9050,
    ),
    Bad("sendEmailV11", "invalid to", ("email[0].to", "email id"), email_v11("not-an-email")),
    Bad(
        "sendEmailV11",
        "two emails",
        "root.email",
        {"root": {"email": email_v11(EMAIL[ACTIVE])["root"]["email"] * 2}},
    ),
    Bad("sendEmailV11", "unknown priority", "priority", email_v11(EMAIL[ACTIVE], priority="TANS")),
    Bad("sendEmailV11", "subject not a string", "subject", email_v11(EMAIL[ACTIVE], subject=["x"])),
    Bad("sendSmsV11", "invalid to", ("sms[0].to", "mobile"), sms_v11("abc")),
    Bad("sendSmsV11", "empty body", "body", sms_v11(MOBILE[ACTIVE], body="")),
    Bad("sendSmsV11", "sms neither object nor list", "root.sms", {"root": {"sms": "hi"}}),
    Bad(
        "sendSmsV11",
        "two sms",
        "root.sms",
        {"root": {"sms": sms_v11(MOBILE[ACTIVE])["root"]["sms"] * 2}},
    ),
    # the object form of Capillary's earlier page names its fields without an index
    Bad(
        "sendSmsV11",
        "object form, invalid to",
        ("root.sms.to", "mobile"),
        {"root": {"sms": {"to": "abc", "body": "b"}}},
    ),
    Bad("sendSmsV11", "object form, no body", "root.sms.body", {"root": {"sms": {"to": "1"}}}),
    Bad(
        "sendEmailV11",
        "object form, no subject",
        "root.email.subject",
        {"root": {"email": {"to": EMAIL[ACTIVE]}}},
    ),
    Bad("sendSmsV11", "unknown priority", "priority", sms_v11(MOBILE[ACTIVE], priority="URGENT")),
    Bad("getSmsV11", "no id", "id", params={}),
    Bad("getSmsV11", "id not a number", "id", params={"id": "abc"}),
    Bad("getSmsV11", "unknown id", ("id", "1000001"), status=404),
    Bad("getEmailV11", "id below 1", "id", params={"id": 0}),
    Bad("getEmailV11", "unknown id", ("id", "1000001"), status=404),
    Bad("sendEmailV2", "invalid to", ("email[0].to", "email id"), email_v2("nope"), code=8055),
    Bad("sendEmailV2", "unknown priority", "priority", email_v2(EMAIL[ACTIVE], priority="bulk")),
    Bad("sendEmailV2", "missing email", "email", {"emails": email_v2(EMAIL[ACTIVE])["email"]}),
    Bad(
        "sendMessage",
        "unknown channel",
        "channel",
        send_message("sms", MOBILE[ACTIVE]),
        params={"channel": "fax"},
        code=4218,
    ),
    Bad("sendMessage", "sms not a list", "sms", {"sms": {"to": MOBILE[ACTIVE], "body": "b"}}),
    Bad("sendMessage", "no list", "sms", {}, code=4217),
    Bad(
        "sendMessage",
        "unknown priority",
        "priority",
        send_message("sms", MOBILE[ACTIVE], priority="TANS"),
    ),
    Bad(
        "sendMessage",
        "empty body text",
        "body",
        send_message("sms", MOBILE[ACTIVE], body=""),
        code=4203,
    ),
    Bad("sendWechat", "missing list", "wechatMessage", {"wechat": [{"receiver": WECHAT[ACTIVE]}]}),
    Bad(
        "sendWechat",
        "empty receiver",
        "receiver",
        {"wechatMessage": [{"receiver": "", "template": "t"}]},
        code=403,
    ),
    Bad(
        "sendWechat",
        "template not a string",
        "template",
        {"wechatMessage": [{"receiver": WECHAT[ACTIVE], "template": {}}]},
    ),
    Bad(
        "generateOtp",
        "entity value an object",
        "entityValue",
        {**otp(MOBILE[ACTIVE]), "entityValue": {}},
        code=602,
    ),
    Bad(
        "generateOtp",
        "channel not an object",
        "channels",
        {**otp(MOBILE[ACTIVE]), "channels": ["SMS"]},
        code=603,
    ),
    Bad("validateOtp", "empty code", "code", validate(MOBILE[ACTIVE], ""), code=604),
    Bad(
        "validateOtp",
        "unknown entity type",
        "entityType",
        validate(MOBILE[ACTIVE], "1", entity="PHONE"),
        code=601,
    ),
    Bad("configureSubscription", "user id not an integer", "userId", {**SUB, "userId": 1.5}),
    Bad(
        "configureSubscription",
        "unknown priority",
        "priority",
        {**SUB, "priority": "TANS"},
        code=1102,
    ),
    Bad("configureSubscription", "missing type", "type", without(SUB, "type")),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(cap: Cap, case: Bad) -> None:
    case.check(cap)


def test_every_operation_has_bad_input_cases() -> None:
    assert {c.operation for c in [*CUSTOMER_CASES, *CASES]} == set(BY_ID)
    assert len(BY_ID) == 27
