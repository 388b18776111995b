"""A small client for the Messangi API tests, bound to one tenant, and the fixture's data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from sandbox.testing import Tenant

# the messangi section of tests/conftest.py FIXTURE
SENDER = "141555549"  # blocklists +525500000000 for SMS
OTHER_SENDER = "528811"  # blocklists nobody
BLOCKED = "+525500000000"
EMAIL_SENDER = "news@example.com"
BLOCKED_EMAIL = "blocked@example.com"
FIRST_ENTRY = "000000000000000000000001"  # fixture entries are numbered in order
FREE = "+14155550100"

OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
NANOS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$")

# operationId -> (path, a valid body to a number, or to an e-mail address for sendEmail)
SENDS: dict[str, tuple[str, dict[str, Any]]] = {
    "sendSms": ("/raven/v2/messages", {"text": "Hello", "type": "MT"}),
    "sendEmail": ("/crowsnest/v2/emails", {"subject": "Hello", "text": "Hi"}),
    "sendWhatsapp": ("/balerion/v3/messages", {"type": "text", "body": "Hello"}),
    "sendRcs": ("/rcs/v1/messages", {"text": "Hello"}),
}
CHANNEL = {"sendSms": "SMS", "sendEmail": "EMAIL", "sendWhatsapp": "WHATSAPP", "sendRcs": "RCS"}


def entry(to: str = BLOCKED, sender: str = SENDER, kind: str = "SMS", **extra: Any) -> Any:
    return {"to": to, "reason": "UNSUBSCRIBED", "type": kind, "from": sender, **extra}


def lookup(to: str = BLOCKED, sender: str = SENDER, kind: str = "SMS") -> dict[str, str]:
    return {"type": kind, "from": sender, "listType": "BLACK", "to": to}


@dataclass
class Msg:
    http: httpx.Client
    tenant: Tenant
    auth: dict[str, str]

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> httpx.Response:
        return self.http.request(
            method,
            f"/messangi{path}",
            json=body,
            params=params or None,
            headers=self.auth,
        )

    def post(self, path: str, body: Any) -> httpx.Response:
        return self.call("POST", path, body)

    def add(self, body: Any) -> httpx.Response:
        return self.post("/subscribers", body)

    def find(self, **params: str) -> httpx.Response:
        return self.call("GET", "/subscribers", **params)

    def send(self, operation: str, to: str, sender: str = SENDER, **extra: Any) -> httpx.Response:
        path, body = SENDS[operation]
        return self.post(path, {**body, "from": sender, "to": to, **extra})

    def sms(self, to: str = BLOCKED, sender: str = SENDER) -> httpx.Response:
        return self.send("sendSms", to, sender)

    def status(self, message_id: str) -> httpx.Response:
        return self.call("GET", f"/raven/v2/messages/{message_id}")

    def message(self, response: httpx.Response) -> dict[str, Any]:
        """The outbox message a send answered with."""
        assert response.status_code == 200, response.text
        found = self.http.get(f"{self.tenant.control}/outbox/{response.json()['data']['id']}")
        assert found.status_code == 200, found.text
        result: dict[str, Any] = found.json()
        return result


def explain(response: httpx.Response) -> str:
    """The reason of an error answer, checked to be in Messangi's envelope."""
    body = response.json()
    assert set(body) == {"meta", "data"} and body["data"] is None, body
    assert isinstance(body["meta"]["timestamp"], int), body
    assert UUID.match(body["meta"]["transactionId"]), body
    text: str = body["meta"]["explain"]
    return text
