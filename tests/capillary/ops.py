"""One valid request for each of the 27 Capillary operations, and how each answers errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from sandbox.vendors.capillary.errors import MESSAGES

from .helpers import (
    ACTIVE,
    EMAIL,
    FREE_EMAIL,
    FREE_MOBILE,
    MOBILE,
    SOURCE,
    WECHAT,
    Cap,
    approve_item,
    assert_names,
    batch,
    change_item,
    codes_of,
    email_v2,
    email_v11,
    messages_of,
    otp,
    send_message,
    sms_v11,
    status_query,
    subscription,
    validate,
    wechat,
)


@dataclass(frozen=True)
class Op:
    operation: str
    method: str
    path: str
    body: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    envelope: str = "v2"  # v2 | v11 | oauth

    def __str__(self) -> str:
        return self.operation

    @property
    def has_body(self) -> bool:
        return self.method in {"POST", "PUT"}

    def send(self, cap: Cap, **overrides: Any) -> httpx.Response:
        """The request, with `body`, `content`, `params`, `path` or `headers` replaced."""
        body = overrides.pop("body", self.body)
        return cap.call(
            self.method,
            overrides.pop("path", self.path),
            body if self.has_body else None,
            params=overrides.pop("params", self.params),
            **overrides,
        )


OPS = [
    Op(
        "generateOAuthToken",
        "POST",
        "/v3/oauth/token/generate",
        {"key": "k", "secret": "s"},
        envelope="oauth",
    ),
    Op(
        "addCustomerV2",
        "POST",
        "/v2/customers",
        {
            "profiles": [
                {"firstName": "Ann", "identifiers": [{"type": "mobile", "value": FREE_MOBILE}]}
            ]
        },
    ),
    Op("lookupCustomerV2", "GET", "/v2/customers/lookup", params=status_query(MOBILE[ACTIVE])),
    Op("getCustomerV2", "GET", f"/v2/customers/{ACTIVE}", params=SOURCE),
    Op(
        "getCustomerDetailsV2",
        "GET",
        "/v2/customers/lookup/customerDetails",
        params={**status_query(MOBILE[ACTIVE]), "embed": "subscriptions,customerStatus"},
    ),
    Op(
        "updateCustomerStatus",
        "PUT",
        "/v2/customers/lookup/status",
        {"reason": "r", "label": "Suspended"},
        status_query(MOBILE[ACTIVE]),
    ),
    Op("getStatusLog", "GET", f"/v2/customers/{ACTIVE}/statusLog"),
    Op(
        "addCustomerV11",
        "POST",
        "/v1.1/customer/add",
        batch("customer", {"mobile": FREE_MOBILE}),
        envelope="v11",
    ),
    Op(
        "getCustomerV11",
        "GET",
        "/v1.1/customer/get",
        params={"mobile": MOBILE[ACTIVE]},
        envelope="v11",
    ),
    Op(
        "getCustomerInteractionsV11",
        "GET",
        "/v1.1/customer/interaction",
        params={"mobile": MOBILE[ACTIVE]},
        envelope="v11",
    ),
    Op(
        "getCustomerInteractionsV2",
        "GET",
        "/v2/customers/interaction",
        params={"identifierName": "mobile", "identifierValue": MOBILE[ACTIVE]},
    ),
    Op(
        "addRequest",
        "POST",
        "/v1.1/request/add",
        batch("request", change_item(ACTIVE, "EMAIL", FREE_EMAIL)),
        envelope="v11",
    ),
    Op(
        "approveRequests",
        "POST",
        "/v1.1/request/approve",
        batch("request", approve_item(13000001)),
        envelope="v11",
    ),
    Op(
        "createChangeRequest",
        "POST",
        f"/v2/customer/{ACTIVE}/changeRequest",
        {"baseType": "MOBILE", "newValue": FREE_MOBILE},
    ),
    Op("updateChangeRequest", "PUT", "/v2/changeRequest/13000001", {"status": "APPROVED"}),
    Op(
        "createGoodwillRequest",
        "POST",
        f"/v2/customer/{ACTIVE}/goodwillRequest",
        {"baseType": "POINTS", "points": 10},
    ),
    Op("updateGoodwillRequest", "PUT", "/v2/goodwillRequest/13000001", {"status": "APPROVED"}),
    Op(
        "sendEmailV11",
        "POST",
        "/v1.1/communications/email",
        email_v11(EMAIL[ACTIVE]),
        envelope="v11",
    ),
    Op("sendSmsV11", "POST", "/v1.1/communications/sms", sms_v11(MOBILE[ACTIVE]), envelope="v11"),
    # (a fresh tenant has sent no message: the read is a 404, its errors those of any read)
    Op("getSmsV11", "GET", "/v1.1/communications/sms", params={"id": 1000001}, envelope="v11"),
    Op("getEmailV11", "GET", "/v1.1/communications/email", params={"id": 1000001}, envelope="v11"),
    Op("sendEmailV2", "POST", "/v2/communications/email", email_v2(EMAIL[ACTIVE])),
    Op(
        "sendMessage",
        "POST",
        "/v2/communications/sendMessage",
        send_message("sms", MOBILE[ACTIVE]),
        {"channel": "sms"},
    ),
    Op("sendWechat", "POST", "/v2/communications/wechat", wechat(WECHAT[ACTIVE])),
    Op("generateOtp", "POST", "/v2/otp/generate", otp(MOBILE[ACTIVE], "SMS")),
    Op("validateOtp", "POST", "/v2/otp/validate", validate(MOBILE[ACTIVE], "123456")),
    Op(
        "configureSubscription",
        "POST",
        "/v2/internal/subscription/configuration",
        subscription(ACTIVE, "EMAIL", "BULK", "OPTOUT"),
    ),
]
BY_ID = {op.operation: op for op in OPS}
SECURED = [op for op in OPS if op.envelope != "oauth"]
WITH_BODY = [op for op in OPS if op.has_body]


def assert_envelope(response: httpx.Response, envelope: str, status: int) -> None:
    """The vendor's own error envelope, carrying the HTTP status where it has one."""
    assert response.status_code == status, response.text
    body = response.json()
    if envelope == "v11":
        answer = body["response"]["status"]
        assert answer["success"] in {"false", False}, body
        if status != 400:
            assert int(answer["code"]) == status, body
    elif envelope == "oauth":
        assert body["data"] is None and body["errors"], body
        assert body["errors"][0]["code"] == status
    elif "errors" in body:
        assert body["errors"] and body["errors"][0]["status"] is False, body
        if status != 400:
            assert body["errors"][0]["code"] == status, body
    else:  # sendMessage / wechat: every item failed, each with its own errors
        assert body["status"]["success"] is False and body["status"]["successCount"] == 0, body


@dataclass(frozen=True)
class Bad:
    """A bad request for one operation: what it changes, and the field its error must name."""

    operation: str
    name: str
    field: str | tuple[str, ...]
    body: Any = None
    content: bytes | None = None
    params: dict[str, Any] | None = None
    path: str | None = None
    code: int | None = None
    status: int = 400

    def __str__(self) -> str:
        return f"{self.operation}-{self.name}"

    def check(self, cap: Cap) -> None:
        """Refused in the vendor's envelope, naming the field, and nothing changes."""
        op = BY_ID[self.operation]
        before = cap.snapshot()
        overrides: dict[str, Any] = {}
        if self.content is not None:
            overrides["content"] = self.content
        elif self.body is not None:
            overrides["body"] = self.body
        for key in ("params", "path"):
            if getattr(self, key) is not None:
                overrides[key] = getattr(self, key)
        response = op.send(cap, **overrides)
        assert_envelope(response, op.envelope, self.status)
        body = response.json()
        assert_names(messages_of(body), self.field)
        if self.code is not None:
            assert self.code in codes_of(body), body
            # the code's message, as written once in the vendor's catalogue
            assert MESSAGES[self.code] in messages_of(body), body
        assert cap.snapshot() == before


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != key}
