"""Shared data and helpers for the Capillary API tests: the fixture's customers, request
bodies, a small client bound to one tenant, and assertions on outbox messages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from sandbox.testing import Tenant

# the customers of tests/conftest.py FIXTURE
BLOCKED, ACTIVE, OPTED_OUT = 565039505, 565039506, 565039507
MOBILE = {BLOCKED: "919353491050", ACTIVE: "919988221100", OPTED_OUT: "919876543210"}
EMAIL = {BLOCKED: "gcr@example.com", ACTIVE: "tom@example.com", OPTED_OUT: "rita@example.com"}
WECHAT = {BLOCKED: "oWX-123", ACTIVE: "oWX-456"}
EXTERNAL_ID = {BLOCKED: "EXT-1", ACTIVE: "EXT-2"}
# identifiers nobody has
FREE_MOBILE = "919100000001"
FREE_EMAIL = "new.person@example.com"
UNKNOWN_ID = 565099999

RULES = ["customer_status_block", "sender_blocklist", "contact_temp_block", "subscription_opt_out"]
SOURCE = {"source": "INSTORE"}
V11_TIME = re.compile(r"^\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}$")
OTP_CODE = re.compile(r"\b(\d{6})\b")


# --- request bodies ------------------------------------------------------------------------
def sms_v11(to: Any, body: str = "Hi, wish you a happy anniversary!", **extra: Any) -> Any:
    return {"root": {"sms": [{"to": to, "body": body, **extra}]}}


def email_v11(to: Any, subject: Any = "Testing email", **extra: Any) -> Any:
    return {"root": {"email": [{"to": to, "subject": subject, "body": "Dear Tom", **extra}]}}


def email_v2(to: Any, subject: Any = "Testing email", **extra: Any) -> Any:
    return {"email": [{"to": to, "subject": subject, "body": "Dear Tom", **extra}]}


def message_item(channel: str, to: Any, **extra: Any) -> dict[str, Any]:
    """One sendMessage item for `channel` (sms, email, whatsapp, zalo)."""
    if channel == "sms":
        return {"to": to, "body": "Your order has shipped", **extra}
    if channel == "email":
        return {"to": to, "subject": "Order", "body": "Your order has shipped", **extra}
    return {"receiver": to, "template": "order_shipped", **extra}


LIST_KEY = {"sms": "sms", "email": "email", "whatsapp": "whatsappMessage", "zalo": "zaloMessage"}
RESULT_KEY = {"sms": "smsList", "email": "emails", "whatsapp": "whatsapp", "zalo": "zalo"}


def send_message(channel: str, *recipients: Any, **extra: Any) -> Any:
    return {LIST_KEY[channel]: [message_item(channel, to, **extra) for to in recipients]}


def wechat(*receivers: Any) -> Any:
    return {
        "wechatMessage": [{"receiver": r, "template": "Your order has shipped"} for r in receivers]
    }


def otp(value: Any, *channels: str, entity: str = "MOBILE", action: str = "GENERIC") -> Any:
    body: dict[str, Any] = {
        "entityType": entity,
        "entityValue": value,
        "action": action,
        "channels": [{"type": c} for c in channels or ("SMS",)],
    }
    if "WHATSAPP" in channels:
        body["whatsappTemplateName"] = "otp_template"
    if "ZALO" in channels:
        body["zaloTemplateIdentifier"] = "otp_zalo"
    return body


def validate(value: Any, code: Any, entity: str = "MOBILE", action: str = "GENERIC") -> Any:
    return {"entityType": entity, "entityValue": value, "code": code, "action": action}


def change_item(customer: Any, base: str, new_value: Any, **extra: Any) -> dict[str, Any]:
    item = {"type": "CHANGE_IDENTIFIER", "base_type": base, "new_value": new_value, **extra}
    return {"customer": {"id": customer}, **item}


def goodwill_item(customer: Any, points: Any = 100, **extra: Any) -> dict[str, Any]:
    return {
        "type": "GOODWILL",
        "base_type": "POINTS",
        "customer": {"id": customer},
        "points": points,
        **extra,
    }


def approve_item(request_id: Any, kind: str = "CHANGE_IDENTIFIER", base: str = "MOBILE") -> Any:
    return {"id": str(request_id), "type": kind, "base_type": base}


def batch(key: str, *items: Any) -> Any:
    return {"root": {key: list(items)}}


def subscription(user: Any, channel: str, priority: str, kind: str) -> Any:
    return {"userId": user, "channel": channel, "priority": priority, "type": kind}


def status_query(value: str, name: str = "mobile") -> dict[str, str]:
    return {**SOURCE, "identifierName": name, "identifierValue": value}


# --- the client ----------------------------------------------------------------------------
@dataclass
class Cap:
    """Capillary calls as one tenant's till user."""

    http: httpx.Client
    tenant: Tenant
    auth: dict[str, str]

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: Any = None,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        sent = {"Content-Type": "application/json", **(self.auth if headers is None else headers)}
        if content is None and body is not None:
            content = httpx.Request("POST", "/", json=body).content
        return self.http.request(
            method, f"/capillary{path}", params=params, headers=sent, content=content
        )

    def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.call("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.call("PUT", path, body, **kwargs)

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.call("GET", path, params=params)

    def outbox(self, **filters: Any) -> list[dict[str, Any]]:
        return self.tenant.outbox(**filters)

    def control(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return self.http.request(method, f"{self.tenant.control}{path}", json=body)

    def customer(self, customer_id: int) -> dict[str, Any]:
        response = self.get(f"/v2/customers/{customer_id}", embed="subscriptions", **SOURCE)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def lookup(self, value: str, name: str = "mobile") -> httpx.Response:
        return self.get("/v2/customers/lookup", **status_query(value, name))

    def status_log(self, customer_id: int) -> list[dict[str, Any]]:
        response = self.get(f"/v2/customers/{customer_id}/statusLog")
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def subscription_log(self, customer_id: int) -> list[dict[str, Any]]:
        response = self.get(f"/v2/customers/{customer_id}/subscriptionStatusChangeLog")
        assert response.status_code == 200, response.text
        data: list[dict[str, Any]] = response.json()["data"]
        return data

    def interactions(self, customer_id: int) -> dict[str, int]:
        response = self.get("/v1.1/customer/interaction", id=str(customer_id))
        assert response.status_code == 200, response.text
        network = response.json()["response"]["customer"]["interactions"]["network"]
        return {i["type"]: i["count"] for n in network for i in n["interaction"]}

    def set_label(self, name: str, block: bool, status: str = "ACTIVE") -> None:
        body = {"status": status, "block_communications": block}
        response = self.control("PUT", f"/capillary/status-labels/{name}", body)
        assert response.status_code == 200, response.text

    def snapshot(self) -> dict[str, Any]:
        """Everything a request could have changed, as the APIs show it."""
        people = (BLOCKED, ACTIVE, OPTED_OUT)
        return {
            "outbox": self.outbox(),
            "customers": {c: self.customer(c) for c in people},
            "status_log": {c: self.status_log(c) for c in people},
            "subscription_log": {c: self.subscription_log(c) for c in people},
            "interactions": {c: self.interactions(c) for c in people},
            "free": [
                self.lookup(FREE_MOBILE).status_code,
                self.lookup(FREE_EMAIL, "email").status_code,
            ],
        }


# --- assertions ----------------------------------------------------------------------------
def outcomes(message: dict[str, Any]) -> dict[str, str]:
    return {step["rule"]: step["outcome"] for step in message["decision"]}


def assert_decided(message: dict[str, Any]) -> None:
    """Every rule consulted, in the contract's order, each with a readable sentence."""
    assert [step["rule"] for step in message["decision"]] == RULES
    for step in message["decision"]:
        assert step["outcome"] in {"pass", "suppress", "bypass", "not_applicable"}
        assert isinstance(step["detail"], str) and step["detail"]


def assert_suppressed(message: dict[str, Any], reason: str = "CUSTOMER_STATUS_BLOCKED") -> None:
    assert message["status"] == "SUPPRESSED", message
    assert message["reason"] == reason, message
    assert_decided(message)
    suppressing = [s["rule"] for s in message["decision"] if s["outcome"] == "suppress"]
    expected_rule = {
        "CUSTOMER_STATUS_BLOCKED": "customer_status_block",
        "SUBSCRIPTION_OPTED_OUT": "subscription_opt_out",
    }[reason]
    assert suppressing[0] == expected_rule, message["decision"]


def assert_delivered(message: dict[str, Any]) -> None:
    assert message["status"] == "DELIVERED", message
    assert message["reason"] is None, message
    assert_decided(message)
    assert "suppress" not in outcomes(message).values(), message["decision"]


def _values(node: Any, key: str, wanted: Callable[[Any], bool]) -> Iterator[Any]:
    """Every value under `key` anywhere in a JSON document that `wanted` accepts; the others
    are searched in turn."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key and wanted(value):
                yield value
            else:
                yield from _values(value, key, wanted)
    elif isinstance(node, list):
        for item in node:
            yield from _values(item, key, wanted)


def messages_of(body: Any) -> str:
    """Every `message` string anywhere in a response body, joined: where errors are told."""
    return " | ".join(_values(body, "message", lambda v: isinstance(v, str)))


def codes_of(body: Any) -> set[int]:
    """Every error `code` in an error body (v2 errors[], v1.1 status and item_status)."""
    return {int(v) for v in _values(body, "code", lambda v: str(v).isdigit())}


def v11_status(response: httpx.Response) -> dict[str, Any]:
    status: dict[str, Any] = response.json()["response"]["status"]
    return status


def v2_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert body["errors"], body
    assert body["errors"][0]["status"] is False
    error: dict[str, Any] = body["errors"][0]
    return error


def assert_v11_ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    status = v11_status(response)
    assert status["success"] in {"true", True} and int(status["code"]) == 200, status
    body: dict[str, Any] = response.json()["response"]
    return body


def assert_created(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body["createdId"], int) and body["createdId"] > 0, body
    assert body["warnings"] == []
    return int(body["createdId"])


def assert_list_ok(response: httpx.Response, key: str, count: int = 1) -> list[dict[str, Any]]:
    """sendMessage / wechat: every item accepted."""
    assert response.status_code == 200, response.text
    body = response.json()
    status = body["status"]
    assert (status["count"], status["successCount"]) == (count, count), status
    assert status["success"] is True and status["code"] == 200, status
    assert status["statusCode"] == {"status": True, "code": 200, "message": "Success"}
    items: list[dict[str, Any]] = body[key]
    assert len(items) == count
    assert all(item["errors"] == [] for item in items), items
    return items


def assert_names(message: str, field: str | tuple[str, ...]) -> None:
    """The error message names the field (any of its spellings), case-insensitively."""
    spellings = (field,) if isinstance(field, str) else field
    words = [
        re.compile(rf"(?<![A-Za-z0-9_]){re.escape(s)}(?![A-Za-z0-9_])", re.I) for s in spellings
    ]
    assert any(w.search(message) for w in words), (spellings, message)
