"""Each Capillary API of seed 000 as one call that triggers its communication for a customer,
with whatever earlier call it needs (an approval needs a pending request first)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

from sandbox.testing import Tenant

Customer = dict[str, Any]
Call = Callable[[Tenant, Customer], httpx.Response]


def _post(tenant: Tenant, path: str, body: Any, **params: Any) -> httpx.Response:
    return tenant.http.post(
        f"/capillary{path}", json=body, params=params, headers=tenant.capillary_auth()
    )


def _put(tenant: Tenant, path: str, body: Any) -> httpx.Response:
    return tenant.http.put(f"/capillary{path}", json=body, headers=tenant.capillary_auth())


def _checked(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 300:
        raise AssertionError(f"set-up call failed: {response.status_code} {response.text}")
    return response


def _new_mobile(customer: Customer) -> str:
    return str(int(customer["mobile"]) + 1)


def _request_add(kind: str) -> Call:
    def call(tenant: Tenant, customer: Customer) -> httpx.Response:
        item: dict[str, Any] = {"customer": {"id": str(customer["id"])}}
        if kind == "goodwill":
            item.update(type="GOODWILL", base_type="POINTS", points="100", reason="sorry")
        elif kind == "mobile":
            item.update(
                type="CHANGE_IDENTIFIER", base_type="MOBILE", new_value=_new_mobile(customer)
            )
        else:
            new_email = f"new.{customer['email']}"
            item.update(type="CHANGE_IDENTIFIER", base_type="EMAIL", new_value=new_email)
        return _post(tenant, "/v1.1/request/add", {"root": {"request": [item]}})

    return call


def _request_approve(kind: str) -> Call:
    def call(tenant: Tenant, customer: Customer) -> httpx.Response:
        added = _checked(_request_add(kind)(tenant, customer)).json()
        request = added["response"]["requests"]["request"][0]
        item = {"id": request["id"], "type": request["type"], "base_type": request["base_type"]}
        return _post(tenant, "/v1.1/request/approve", {"root": {"request": [item]}})

    return call


def _change_request(base: str) -> Call:
    def call(tenant: Tenant, customer: Customer) -> httpx.Response:
        new = _new_mobile(customer) if base == "MOBILE" else f"new.{customer['email']}"
        body = {"baseType": base, "newValue": new, "comments": "lost access"}
        return _post(tenant, f"/v2/customer/{customer['id']}/changeRequest", body)

    return call


def _decide_change(tenant: Tenant, customer: Customer) -> httpx.Response:
    created = _checked(_change_request("EMAIL")(tenant, customer)).json()["createdId"]
    return _put(tenant, f"/v2/changeRequest/{created}", {"status": "APPROVED"})


def _goodwill(tenant: Tenant, customer: Customer) -> httpx.Response:
    body = {"baseType": "POINTS", "points": 100, "reason": "BILL_ISSUE"}
    return _post(tenant, f"/v2/customer/{customer['id']}/goodwillRequest", body)


def _decide_goodwill(tenant: Tenant, customer: Customer) -> httpx.Response:
    created = _checked(_goodwill(tenant, customer)).json()["createdId"]
    return _put(tenant, f"/v2/goodwillRequest/{created}", {"status": "APPROVED"})


def _email_v11(tenant: Tenant, customer: Customer) -> httpx.Response:
    item = {"to": customer["email"], "subject": "Hello", "body": "Thanks for visiting"}
    return _post(tenant, "/v1.1/communications/email", {"root": {"email": [item]}})


def _sms_v11(tenant: Tenant, customer: Customer) -> httpx.Response:
    item = {"to": customer["mobile"], "body": "Thanks for visiting"}
    return _post(tenant, "/v1.1/communications/sms", {"root": {"sms": [item]}})


def _email_v2(tenant: Tenant, customer: Customer) -> httpx.Response:
    item = {"to": customer["email"], "subject": "Hello", "body": "Thanks for visiting"}
    return _post(tenant, "/v2/communications/email", {"email": [item]})


def _send_message(channel: str, version: str = "v2") -> Call:
    """sendMessage of one channel; v1.1 wraps the same list in `root`, as its reference does."""

    def call(tenant: Tenant, customer: Customer) -> httpx.Response:
        body: dict[str, Any] = {
            "sms": {"sms": [{"to": customer["mobile"], "body": "Hello"}]},
            "email": {"email": [{"to": customer["email"], "subject": "Hi", "body": "Hello"}]},
            "whatsapp": {"whatsappMessage": [{"receiver": customer["mobile"], "template": "Hi"}]},
            "zalo": {"zaloMessage": [{"receiver": customer["mobile"], "template": "Hi"}]},
        }[channel]
        if version == "v1.1":
            body = {"root": body}
        return _post(tenant, f"/{version}/communications/sendMessage", body, channel=channel)

    return call


def _wechat(tenant: Tenant, customer: Customer) -> httpx.Response:
    body = {"wechatMessage": [{"receiver": customer["wechat"], "template": "Order shipped"}]}
    return _post(tenant, "/v2/communications/wechat", body)


def _otp(channels: list[dict[str, str]]) -> Call:
    def call(tenant: Tenant, customer: Customer) -> httpx.Response:
        body = {
            "entityType": "MOBILE",
            "entityValue": customer["mobile"],
            "action": "GENERIC",
            "whatsappTemplateName": "otp",
            "channels": channels,
        }
        return _post(tenant, "/v2/otp/generate", body)

    return call


def _otp_validate(tenant: Tenant, customer: Customer) -> httpx.Response:
    _checked(_otp([{"type": "SMS"}])(tenant, customer))
    return validate_otp(tenant, customer, otp_code(tenant, customer))


def otp_code(tenant: Tenant, customer: Customer) -> str:
    """The code of the newest OTP sent to `customer` (the outbox shows OTP bodies whole,
    suppressed ones included: the sandbox does not emulate OTP masking)."""
    [newest, *_] = tenant.outbox(customer_id=str(customer["id"]), category="OTP")
    found = re.search(r"\b\d{4,10}\b", newest["body"] or "")
    if found is None:
        raise AssertionError(f"no code in the OTP message {newest['body']!r}")
    return found.group(0)


def validate_otp(tenant: Tenant, customer: Customer, code: str) -> httpx.Response:
    body = {
        "entityType": "MOBILE",
        "entityValue": customer["mobile"],
        "action": "GENERIC",
        "code": code,
    }
    return _post(tenant, "/v2/otp/validate", body)


def _subscription_configuration(tenant: Tenant, customer: Customer) -> httpx.Response:
    body = {"userId": customer["id"], "channel": "EMAIL", "priority": "BULK", "type": "OPTIN"}
    return _post(tenant, "/v2/internal/subscription/configuration", body)


# the seed's table, row by row; a row with several notifications appears once per variant
CALLS: dict[str, Call] = {
    "POST /v1.1/request/add (change mobile)": _request_add("mobile"),
    "POST /v1.1/request/add (change email)": _request_add("email"),
    "POST /v1.1/request/add (goodwill)": _request_add("goodwill"),
    "POST /v1.1/request/approve (change mobile)": _request_approve("mobile"),
    "POST /v1.1/request/approve (goodwill)": _request_approve("goodwill"),
    "POST /v2/customer/{customerId}/changeRequest (mobile)": _change_request("MOBILE"),
    "POST /v2/customer/{customerId}/changeRequest (email)": _change_request("EMAIL"),
    "PUT /v2/changeRequest/{id}": _decide_change,
    "POST /v2/customer/{customerId}/goodwillRequest": _goodwill,
    "PUT /v2/goodwillRequest/{id}": _decide_goodwill,
    "POST /v1.1/communications/email": _email_v11,
    "POST /v1.1/communications/sms": _sms_v11,
    "POST /v2/communications/email": _email_v2,
    "POST /v2/communications/sendMessage?channel=sms": _send_message("sms"),
    "POST /v2/communications/sendMessage?channel=email": _send_message("email"),
    "POST /v2/communications/sendMessage?channel=whatsapp": _send_message("whatsapp"),
    "POST /v2/communications/sendMessage?channel=zalo": _send_message("zalo"),
    "POST /v1.1/communications/sendMessage?channel=sms": _send_message("sms", "v1.1"),
    "POST /v1.1/communications/sendMessage?channel=email": _send_message("email", "v1.1"),
    "POST /v1.1/communications/sendMessage?channel=whatsapp": _send_message("whatsapp", "v1.1"),
    "POST /v1.1/communications/sendMessage?channel=zalo": _send_message("zalo", "v1.1"),
    "POST /v2/communications/wechat": _wechat,
    "POST /v2/otp/generate (whatsapp)": _otp([{"type": "WHATSAPP"}]),
    "POST /v2/otp/generate (sms and email)": _otp([{"type": "SMS"}, {"type": "EMAIL"}]),
    "POST /v2/otp/validate": _otp_validate,
    "POST /v2/internal/subscription/configuration": _subscription_configuration,
}


def succeeded(response: httpx.Response) -> bool:
    """The API's normal success answer, in whichever of Capillary's envelopes it uses."""
    body = response.json()
    if response.status_code != 200:
        return False
    if "response" in body:
        # "true", or true where an operation's examples type it (request/add)
        return bool(body["response"]["status"]["success"] in {"true", True})
    if isinstance(body.get("status"), dict):
        return bool(body["status"]["success"])
    return not body.get("errors")
