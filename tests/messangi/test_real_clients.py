"""Real clients' Messangi calls (research, vendor_facts sections 7d and 8b), verbatim but for
the base URL, and what each client does with the answer: they must keep working, but for one
known difference (docs/vendors/messangi.md): the Node login helper on a refused login."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from sandbox.testing import Tenant

from .helpers import BLOCKED, EMAIL_SENDER, FREE, OTHER_SENDER, SENDER, Msg

BASE = "/messangi"  # for https://elastic.messangi.me


# CodeZeno/Claude-Code-Usage-Monitor, src/notifier.rs: `post_json` (ureq) sends each payload
# with these two headers and counts any 2xx as sent; it reads no answer body.
def notifier_post_json(http: httpx.Client, path: str, api_key: str, payload: Any) -> bool:
    response = http.post(
        f"{BASE}{path}",
        headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"},
        json=payload,
    )
    return response.is_success


def api_key(tenant: Tenant) -> str:
    return tenant.messangi_auth()["Authorization"].removeprefix("Bearer ")


def test_claude_code_usage_monitor_sms_goes_through_the_shortcodes_blocklist(msg: Msg) -> None:
    body = "Claude Code session crossed 80% (now 85%)"
    for to, shortcode in ((BLOCKED, SENDER), (BLOCKED, OTHER_SENDER)):
        # Notifier::send_sms, verbatim
        payload = {
            "channel": "SMS",
            "request": {
                "to": to,
                "shortcode": shortcode,
                "body": body,
            },
        }
        assert notifier_post_json(msg.http, "/oberyn/v2/notification", api_key(msg.tenant), payload)
    blocked, sent = reversed(msg.tenant.outbox(vendor="messangi"))
    assert (blocked["from"], blocked["status"], blocked["reason"]) == (
        SENDER,
        "SUPPRESSED",
        "SENDER_BLOCKLISTED",
    )
    assert (sent["from"], sent["status"]) == (OTHER_SENDER, "DELIVERED")
    assert blocked["body"] == sent["body"] == body


def test_claude_code_usage_monitor_email_and_whatsapp(msg: Msg) -> None:
    key = api_key(msg.tenant)
    body = "Claude Code session crossed 80% (now 85%)"
    subject = "Claude Code Usage Monitor: Claude Code session alert"
    external_id = f"ccum-{int(time.time())}"
    # Notifier::send_email, verbatim
    payload = {
        "from": EMAIL_SENDER,
        "to": "blocked@example.com",
        "subject": subject,
        "text": body,
        "externalId": external_id,
    }
    assert notifier_post_json(msg.http, "/crowsnest/v2/emails", key, payload)
    # Notifier::send_whatsapp_session, verbatim
    payload = {
        "from": "acme-waba",
        "to": FREE,
        "type": "text",
        "body": body,
    }
    assert notifier_post_json(msg.http, "/balerion/v3/messages", key, payload)
    whatsapp, email = msg.tenant.outbox(vendor="messangi")
    assert (email["channel"], email["reason"]) == ("EMAIL", "SENDER_BLOCKLISTED")
    assert (whatsapp["channel"], whatsapp["status"]) == ("WHATSAPP", "DELIVERED")


def test_rapidpro_courier_send_reads_an_accepted_answer(msg: Msg) -> None:
    """weni-ai/rapidpro-courier, handlers/messangi (2025-08): the send, then its check of
    the answer: `data.status` ACCEPTED or QUEUE and a `data.id`, else a failed send."""
    valid_statuses = {"ACCEPTED": True, "QUEUE": True}
    for address, urn_path in ((SENDER, BLOCKED), (OTHER_SENDER, BLOCKED)):
        form = {
            "from": address,
            "to": urn_path.removeprefix("+"),
            "text": "Hi from RapidPro",
            "type": "MT",
        }
        response = msg.http.post(
            f"{BASE}/raven/v2/messages",
            json=form,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {api_key(msg.tenant)}",
            },
        )
        assert response.status_code // 100 == 2
        data = response.json()["data"]
        assert valid_statuses.get(data["status"]) and data["id"] != ""


class HelperCrash(Exception):
    """What the Node helper throws on a refused login it does not know: its
    `res.headers.get('authorization')` is null, and `.substring(7)` on null is a TypeError."""


def login_helper(http: httpx.Client, username: str, password: str) -> str:
    """The Node login helper (`getvals`, vendor_facts 8b): only a 403 is bad credentials
    ("error"); any other status is read as a login and its Authorization header sliced
    (`substring(7)`), which throws when the header is missing."""
    data_string = {"username": username, "password": password}
    res = http.post(
        f"{BASE}/kingslanding/login",
        headers={"Accept": "application/json", "Content-Type": "application/json"},
        json=data_string,
    )
    codigos = res.status_code
    if codigos != 403:
        header = res.headers.get("authorization")
        if header is None:  # null.substring(7)
            raise HelperCrash(f"{codigos} without an Authorization header")
        return header[7:]
    return "error"


def test_the_node_login_helper_logs_in_unchanged(msg: Msg) -> None:
    creds = msg.tenant.credentials["messangi"]
    key = login_helper(msg.http, creds["username"], creds["password"])
    sent = msg.http.post(
        f"{BASE}/raven/v2/messages",
        json={"from": SENDER, "to": FREE, "text": "Hi", "type": "MT"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert sent.status_code == 200, sent.text


def test_the_node_login_helper_is_not_served_a_refused_login(msg: Msg) -> None:
    """A known difference (docs/vendors/messangi.md): the outer contract answers wrong
    credentials 401, and this helper knows only 403, so on a wrong password or an unknown
    username it throws where it would return "error" (its caller then never redirects)."""
    creds = msg.tenant.credentials["messangi"]
    for username, password in (
        (creds["username"], "not-the-password"),
        ("nobody@example.com", creds["password"]),
    ):
        with pytest.raises(HelperCrash, match=r"^401 without an Authorization header$"):
            login_helper(msg.http, username, password)
