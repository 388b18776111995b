"""Messangi calls for tests: a send on each channel, a blocklist entry, a login key."""

from __future__ import annotations

from typing import Any

import httpx

from sandbox.testing import Tenant

# channel type -> (send path, the rest of a valid body)
SENDS: dict[str, tuple[str, dict[str, Any]]] = {
    "SMS": ("/messangi/raven/v2/messages", {"text": "Hello", "type": "MT"}),
    "EMAIL": ("/messangi/crowsnest/v2/emails", {"subject": "Hello", "text": "Hi"}),
    "WHATSAPP": ("/messangi/balerion/v3/messages", {"type": "text", "body": "Hello"}),
    "RCS": ("/messangi/rcs/v1/messages", {"text": "Hello"}),
}


def send(
    tenant: Tenant, channel: str, sender: str, to: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    """Send a message on `channel` (SMS, EMAIL, WHATSAPP, RCS) from `sender` to `to`."""
    path, body = SENDS[channel.upper()]
    return tenant.http.post(
        path,
        json={**body, "from": sender, "to": to},
        headers=headers or tenant.messangi_auth(),
    )


def blocklist(
    tenant: Tenant, channel: str, sender: str, to: str, reason: str = "UNSUBSCRIBED"
) -> httpx.Response:
    """POST /subscribers: put `to` on `sender`'s blocklist for `channel`."""
    return tenant.http.post(
        "/messangi/subscribers",
        json={"to": to, "reason": reason, "type": channel.upper(), "from": sender},
        headers=tenant.messangi_auth(),
    )


def login(tenant: Tenant, **override: str) -> httpx.Response:
    """POST /kingslanding/login with the tenant's username and password (or `override`n ones):
    200 and the key in the Authorization header, or 401."""
    creds = tenant.credentials["messangi"]
    body = {"username": creds["username"], "password": creds["password"], **override}
    return tenant.http.post("/messangi/kingslanding/login", json=body)


def login_key(tenant: Tenant) -> dict[str, str]:
    """An Authorization header from POST /kingslanding/login (valid 24 hours)."""
    response = login(tenant)
    if response.status_code != 200:
        raise AssertionError(f"login failed: {response.status_code} {response.text}")
    return {"Authorization": response.headers["authorization"]}
