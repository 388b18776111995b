"""Every API of seed 000 that triggers a communication, as a parametrizable case: it runs the
call (and any prerequisite) for one customer, checks the API's normal success answer, and
says which messages it must have recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .helpers import (
    EMAIL,
    FREE_EMAIL,
    FREE_MOBILE,
    MOBILE,
    RESULT_KEY,
    WECHAT,
    Cap,
    approve_item,
    assert_created,
    assert_list_ok,
    assert_v11_ok,
    batch,
    change_item,
    email_v2,
    email_v11,
    goodwill_item,
    otp,
    send_message,
    sms_v11,
    subscription,
    wechat,
)

# (channel, category, addresses the message may go to)
Expected = list[tuple[str, str, set[str]]]


@dataclass(frozen=True)
class Send:
    name: str
    operation: str
    run: Callable[[Cap, int], Expected]

    def __str__(self) -> str:
        return self.name


def _add(cap: Cap, item: dict[str, object], code: int) -> str:
    body = assert_v11_ok(cap.post("/v1.1/request/add", batch("request", item)))
    added = body["requests"]["request"][0]
    assert added["item_status"]["code"] == code and added["status"] == "PENDING", added
    return str(added["id"])


def add_change(base: str) -> Callable[[Cap, int], Expected]:
    def run(cap: Cap, who: int) -> Expected:
        new = FREE_MOBILE if base == "MOBILE" else FREE_EMAIL
        _add(cap, change_item(who, base, new), 9000)
        if base == "MOBILE":
            return [("SMS", "CHANGE_REQUEST", {MOBILE[who], new})]
        return [("EMAIL", "CHANGE_REQUEST", {EMAIL[who], new})]

    return run


def add_goodwill(cap: Cap, who: int) -> Expected:
    _add(cap, goodwill_item(who), 9100)
    return [("EMAIL", "GOODWILL", {EMAIL[who]}), ("SMS", "GOODWILL", {MOBILE[who]})]


def approve(base: str) -> Callable[[Cap, int], Expected]:
    def run(cap: Cap, who: int) -> Expected:
        if base == "POINTS":
            request_id = _add(cap, goodwill_item(who), 9100)
            item = approve_item(request_id, "GOODWILL", "POINTS")
        else:
            request_id = _add(cap, change_item(who, "MOBILE", FREE_MOBILE), 9000)
            item = approve_item(request_id)
        body = assert_v11_ok(cap.post("/v1.1/request/approve", batch("request", item)))
        decided = body["requests"]["request"][0]
        assert decided["status"] == "APPROVED" and decided["item_status"]["code"] == 9000
        if base == "POINTS":
            return [("EMAIL", "GOODWILL", {EMAIL[who]}), ("SMS", "GOODWILL", {MOBILE[who]})]
        return [("SMS", "CHANGE_REQUEST", {MOBILE[who], FREE_MOBILE})]

    return run


def _create_change(cap: Cap, who: int, base: str) -> int:
    new = FREE_MOBILE if base == "MOBILE" else FREE_EMAIL
    body = {"baseType": base, "newValue": new, "comments": "lost phone"}
    return assert_created(cap.post(f"/v2/customer/{who}/changeRequest", body))


def create_change(base: str) -> Callable[[Cap, int], Expected]:
    def run(cap: Cap, who: int) -> Expected:
        _create_change(cap, who, base)
        if base == "MOBILE":
            return [("SMS", "CHANGE_REQUEST", {MOBILE[who], FREE_MOBILE})]
        return [("EMAIL", "CHANGE_REQUEST", {EMAIL[who], FREE_EMAIL})]

    return run


def update_change(cap: Cap, who: int) -> Expected:
    request_id = _create_change(cap, who, "MOBILE")
    response = cap.put(f"/v2/changeRequest/{request_id}", {"status": "APPROVED"})
    assert response.status_code == 200, response.text
    assert response.json() == {"id": request_id, "status": "APPROVED", "warnings": []}
    return [("SMS", "CHANGE_REQUEST", {MOBILE[who], FREE_MOBILE})]


def _create_goodwill(cap: Cap, who: int) -> int:
    body = {"baseType": "POINTS", "points": 100, "reason": "BILL_ISSUE", "comments": "sorry"}
    return assert_created(cap.post(f"/v2/customer/{who}/goodwillRequest", body))


def create_goodwill(cap: Cap, who: int) -> Expected:
    _create_goodwill(cap, who)
    return [("EMAIL", "GOODWILL", {EMAIL[who]}), ("SMS", "GOODWILL", {MOBILE[who]})]


def update_goodwill(cap: Cap, who: int) -> Expected:
    request_id = _create_goodwill(cap, who)
    response = cap.put(f"/v2/goodwillRequest/{request_id}", {"status": "APPROVED"})
    assert response.status_code == 200, response.text
    assert response.json() == {"id": request_id, "status": "APPROVED", "warnings": []}
    return [("EMAIL", "GOODWILL", {EMAIL[who]}), ("SMS", "GOODWILL", {MOBILE[who]})]


def email_one(cap: Cap, who: int) -> Expected:
    body = assert_v11_ok(cap.post("/v1.1/communications/email", email_v11(EMAIL[who])))
    assert body["email"]["to"] == EMAIL[who] and body["email"]["status"] == "Queued"
    return [("EMAIL", "TRANSACTIONAL", {EMAIL[who]})]


def sms_one(cap: Cap, who: int) -> Expected:
    body = assert_v11_ok(cap.post("/v1.1/communications/sms", sms_v11(MOBILE[who])))
    assert body["sms"]["to"] == MOBILE[who] and body["sms"]["status"] == "Sent"
    return [("SMS", "TRANSACTIONAL", {MOBILE[who]})]


def email_two(cap: Cap, who: int) -> Expected:
    body = assert_v11_ok(cap.post("/v2/communications/email", email_v2(EMAIL[who])))
    assert body["email"]["to"] == EMAIL[who] and body["email"]["status"] == "Queued"
    return [("EMAIL", "TRANSACTIONAL", {EMAIL[who]})]


def message(channel: str) -> Callable[[Cap, int], Expected]:
    def run(cap: Cap, who: int) -> Expected:
        to = EMAIL[who] if channel == "email" else MOBILE[who]
        path = f"/v2/communications/sendMessage?channel={channel}"
        assert_list_ok(cap.post(path, send_message(channel, to)), RESULT_KEY[channel])
        return [(channel.upper(), "TRANSACTIONAL", {to})]

    return run


def send_wechat(cap: Cap, who: int) -> Expected:
    assert_list_ok(cap.post("/v2/communications/wechat", wechat(WECHAT[who])), "wechat")
    return [("WECHAT", "TRANSACTIONAL", {WECHAT[who]})]


def generate(channel: str) -> Callable[[Cap, int], Expected]:
    def run(cap: Cap, who: int) -> Expected:
        assert_created(cap.post("/v2/otp/generate", otp(MOBILE[who], channel)))
        to = EMAIL[who] if channel == "EMAIL" else MOBILE[who]
        return [(channel, "OTP", {to})]

    return run


def configure(channel: str) -> Callable[[Cap, int], Expected]:
    def run(cap: Cap, who: int) -> Expected:
        body = subscription(who, channel, "BULK", "OPTIN")
        assert_created(cap.post("/v2/internal/subscription/configuration", body))
        if channel == "MOBILE":
            return [("SMS", "SUBSCRIPTION_NOTIFICATION", {MOBILE[who]})]
        return [("EMAIL", "SUBSCRIPTION_NOTIFICATION", {EMAIL[who]})]

    return run


LIST_CHANNELS = ("sms", "email", "whatsapp", "zalo")
OTP_CHANNELS = ("SMS", "EMAIL", "WHATSAPP", "ZALO")

SENDS = [
    Send("addRequest-mobile", "addRequest", add_change("MOBILE")),
    Send("addRequest-email", "addRequest", add_change("EMAIL")),
    Send("addRequest-goodwill", "addRequest", add_goodwill),
    Send("approveRequests-mobile", "approveRequests", approve("MOBILE")),
    Send("approveRequests-goodwill", "approveRequests", approve("POINTS")),
    Send("createChangeRequest-mobile", "createChangeRequest", create_change("MOBILE")),
    Send("createChangeRequest-email", "createChangeRequest", create_change("EMAIL")),
    Send("updateChangeRequest", "updateChangeRequest", update_change),
    Send("createGoodwillRequest", "createGoodwillRequest", create_goodwill),
    Send("updateGoodwillRequest", "updateGoodwillRequest", update_goodwill),
    Send("sendEmailV11", "sendEmailV11", email_one),
    Send("sendSmsV11", "sendSmsV11", sms_one),
    Send("sendEmailV2", "sendEmailV2", email_two),
    *(Send(f"sendMessage-{c}", "sendMessage", message(c)) for c in LIST_CHANNELS),
    Send("sendWechat", "sendWechat", send_wechat),
    *(Send(f"generateOtp-{c}", "generateOtp", generate(c)) for c in OTP_CHANNELS),
    Send("configureSubscription-mobile", "configureSubscription", configure("MOBILE")),
    Send("configureSubscription-email", "configureSubscription", configure("EMAIL")),
]
