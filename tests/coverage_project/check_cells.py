"""An integrator's suite that reaches every suppression cell (docs/testing.md, "Suppression
coverage"): on each vendor's every channel, a recipient each rule suppresses, passes, bypasses
or does not apply to. Its tests are named by vendor, so `-k` picks a part of the cells. It
calls the vendors' real hosts with httpx, as an application would; no conftest.py."""

from __future__ import annotations

import httpx
import pytest

CAPILLARY = "https://eu.api.capillarytech.com"
MESSANGI = "https://elastic.messangi.me"
SYMPLIFY = "https://eu-proxy-1.symplifymail.com/rest"

BLOCKED = {"mobile": "919353491050", "email": "blocked@example.com", "wechat": "oWX-1"}
OPTED_OUT = {"mobile": "919988221100", "email": "out@example.com", "wechat": "oWX-2"}
NOBODY = {"mobile": "919100000001", "email": "nobody@example.com", "wechat": "oWX-9"}
TENANT = {
    "capillary": {
        "status_labels": [
            {"name": "Suspended", "status": "SUSPENDED", "block_communications": True},
            {"name": "Active", "status": "ACTIVE", "block_communications": False},
        ],
        "customers": [
            {"id": 1, **BLOCKED, "status_label": "Suspended"},
            {
                "id": 2,
                **OPTED_OUT,
                "status_label": "Active",
                "subscriptions": [
                    {"channel": "sms", "priority": "TRANS", "subscribed": False},
                    {"channel": "email", "priority": "TRANS", "subscribed": False},
                ],
            },
        ],
    },
    "messangi": {
        "blocklist": [
            *(
                {"to": "+525500000000", "from": "141555549", "type": t}
                for t in ("SMS", "WHATSAPP", "RCS")
            ),
            {"to": "blocked@example.com", "from": "news@example.com", "type": "EMAIL"},
        ]
    },
    "symplify": {
        "accounts": [
            {
                "customer_id": "1234",
                "lists": [
                    {
                        "id": "42",
                        "contacts": [
                            {
                                "original_id": "1",
                                "email": "paused@example.com",
                                "mobile": "+46700000001",
                                "temp_block": {"until": "2999-01-01"},
                            },
                            {
                                "original_id": "2",
                                "email": "out@example.com",
                                "mobile": "+46700000002",
                                "unsubscribed": True,
                                "mobile_unsubscribed": True,
                            },
                        ],
                    }
                ],
                "triggers": [
                    {"id": 7, "list_id": 42, "channel": "EMAIL", "ignore_opt_out": True},
                    {"id": 8, "list_id": 42, "channel": "SMS", "ignore_opt_out": True},
                ],
            }
        ]
    },
}


def sent(answer: httpx.Response) -> None:
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("channel", ["sms", "email", "whatsapp", "zalo"])
def test_capillary_send_message(comms_sandbox, channel):
    tenant = comms_sandbox.create_tenant(TENANT)
    field = "email" if channel == "email" else "mobile"
    key, to = {"sms": ("sms", "to"), "email": ("email", "to")}.get(
        channel, (f"{channel}Message", "receiver")
    )
    items = [
        {to: person[field], "body": "Shipped", "subject": "Order", "template": "shipped"}
        for person in (BLOCKED, OPTED_OUT, NOBODY)
    ]
    sent(
        httpx.post(
            f"{CAPILLARY}/v2/communications/sendMessage?channel={channel}",
            json={key: items},
            headers=tenant.capillary_auth(),
        )
    )
    tenant.assert_suppressed(to=BLOCKED[field], reason="CUSTOMER_STATUS_BLOCKED")
    tenant.assert_delivered(to=NOBODY[field])


def test_capillary_wechat(comms_sandbox):
    tenant = comms_sandbox.create_tenant(TENANT)
    items = [{"receiver": p["wechat"], "template": "shipped"} for p in (BLOCKED, OPTED_OUT, NOBODY)]
    sent(
        httpx.post(
            f"{CAPILLARY}/v2/communications/wechat",
            json={"wechatMessage": items},
            headers=tenant.capillary_auth(),
        )
    )
    tenant.assert_suppressed(to=BLOCKED["wechat"], reason="CUSTOMER_STATUS_BLOCKED")


def test_capillary_otp_bypasses_the_opt_out(comms_sandbox):
    tenant = comms_sandbox.create_tenant(TENANT)
    body = {
        "entityType": "MOBILE",
        "entityValue": OPTED_OUT["mobile"],
        "action": "GENERIC",
        "channels": [{"type": "SMS"}, {"type": "EMAIL"}],
    }
    sent(httpx.post(f"{CAPILLARY}/v2/otp/generate", json=body, headers=tenant.capillary_auth()))
    tenant.assert_delivered(category="OTP", count=2)


@pytest.mark.parametrize(
    ("path", "body", "blocked", "sender"),
    [
        ("/raven/v2/messages", {"text": "Hi", "type": "MT"}, "525500000000", "141555549"),
        (
            "/crowsnest/v2/emails",
            {"subject": "Hi", "text": "Hi"},
            "blocked@example.com",
            "news@example.com",
        ),
        ("/balerion/v3/messages", {"type": "text", "body": "Hi"}, "525500000000", "141555549"),
        ("/rcs/v1/messages", {"text": "Hi"}, "525500000000", "141555549"),
    ],
)
def test_messangi(comms_sandbox, path, body, blocked, sender):
    tenant = comms_sandbox.create_tenant(TENANT)
    other = "other@example.com" if "@" in blocked else "525511111111"
    for to in (blocked, other):
        sent(
            httpx.post(
                f"{MESSANGI}{path}",
                json={**body, "from": sender, "to": to},
                headers=tenant.messangi_auth(),
            )
        )
    tenant.assert_suppressed(to=blocked, reason="SENDER_BLOCKLISTED", count=1)
    tenant.assert_delivered(to=other, count=1)


@pytest.mark.parametrize("channel", ["EMAIL", "SMS"])
def test_symplify(comms_sandbox, channel):
    tenant = comms_sandbox.create_tenant(TENANT)
    with httpx.Client(base_url=SYMPLIFY, headers=tenant.symplify_auth()) as symplify:
        sent(
            symplify.post(
                "/1234/lists/42/send", json={"channel": channel, "subject": "News", "body": "Hello"}
            )
        )
        trigger = 7 if channel == "EMAIL" else 8
        sent(symplify.post(f"/1234/triggers/{trigger}/messages", json={"originalId": "2"}))
    tenant.assert_suppressed(contact="1", reason="CONTACT_TEMP_BLOCKED", count=1)
    tenant.assert_suppressed(contact="2", operation="sendToList", reason="SUBSCRIPTION_OPTED_OUT")
    tenant.assert_delivered(contact="2", operation="sendTrigger", count=1)  # ignoreOptOut
