"""The decision trace, whole: every step's rule, outcome and detail, for each kind of recipient
of Capillary and Messangi, as a send records it and as what-if answers it. A user reads these
sentences to learn why a message was or was not sent; a test that checked only the outcome let
mutants of every sentence live. (Symplify's are in tests/symplify/test_decision_inputs.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from sandbox.testing import Tenant

NA = "not_applicable"
CAPILLARY = [
    {"rule": "sender_blocklist", "outcome": NA, "detail": "capillary has no sender blocklist"},
    {"rule": "contact_temp_block", "outcome": NA, "detail": "capillary has no temporary blocks"},
]
ACTIVE_LABEL = {
    "rule": "customer_status_block",
    "outcome": "pass",
    "detail": "status label 'Active' does not block communications",
}


def step(rule: str, outcome: str, detail: str) -> dict[str, str]:
    return {"rule": rule, "outcome": outcome, "detail": detail}


def explain(tenant: Tenant, **body: Any) -> dict[str, Any]:
    response = tenant.http.post(f"{tenant.control}/explain", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.parametrize(
    ("probe", "status", "reason", "decision"),
    [
        pytest.param(
            {"to": "919353491050"},
            "SUPPRESSED",
            "CUSTOMER_STATUS_BLOCKED",
            [
                step(
                    "customer_status_block",
                    "suppress",
                    "status label 'Suspended' has block communications enabled",
                ),
                *CAPILLARY,
                step("subscription_opt_out", "pass", "customer is subscribed to MOBILE TRANS"),
            ],
            id="blocked",
        ),
        pytest.param(
            {"to": "919876543210", "priority": "BULK"},
            "SUPPRESSED",
            "SUBSCRIPTION_OPTED_OUT",
            [
                ACTIVE_LABEL,
                *CAPILLARY,
                step(
                    "subscription_opt_out", "suppress", "customer opted out of MOBILE BULK messages"
                ),
            ],
            id="opted-out",
        ),
        pytest.param(
            {"to": "919876543210", "category": "OTP"},
            "DELIVERED",
            None,
            [
                ACTIVE_LABEL,
                *CAPILLARY,
                step(
                    "subscription_opt_out",
                    "bypass",
                    "OTPs bypass subscription checks (opted out for MOBILE TRANS)",
                ),
            ],
            id="otp-to-the-opted-out",
        ),
        pytest.param(
            {"to": "919988221100", "category": "OTP"},
            "DELIVERED",
            None,
            [
                ACTIVE_LABEL,
                *CAPILLARY,
                step(
                    "subscription_opt_out",
                    "bypass",
                    "OTPs bypass subscription checks (subscribed for MOBILE TRANS)",
                ),
            ],
            id="otp-to-the-subscribed",
        ),
        pytest.param(
            {"to": "tom@example.com", "channel": "EMAIL", "priority": "BULK"},
            "DELIVERED",
            None,
            [
                ACTIVE_LABEL,
                *CAPILLARY,
                step("subscription_opt_out", "pass", "customer is subscribed to EMAIL BULK"),
            ],
            id="subscribed",
        ),
        pytest.param(
            {"to": "919100000001"},
            "DELIVERED",
            None,
            [
                step("customer_status_block", NA, "919100000001 is not a known customer"),
                *CAPILLARY,
                step("subscription_opt_out", NA, "no subscription preferences apply"),
            ],
            id="unknown",
        ),
    ],
)
def test_each_capillary_step_says_why(
    tenant: Tenant, probe: dict[str, Any], status: str, reason: str | None, decision: Any
) -> None:
    answer = explain(tenant, vendor="capillary", **{"channel": "SMS", **probe})
    assert (answer["status"], answer["reason"], answer["decision"]) == (status, reason, decision)


def test_a_channel_without_preferences_says_so(tenant: Tenant, auth: dict[str, str]) -> None:
    body = {"whatsappMessage": [{"receiver": "919988221100", "template": "order_shipped"}]}
    response = tenant.http.post(
        "/capillary/v2/communications/sendMessage?channel=WhatsApp",
        json=body,
        headers={"Content-Type": "application/json", **auth},
    )
    assert response.status_code == 200, response.text
    [message] = tenant.outbox()
    assert message["decision"] == [
        ACTIVE_LABEL,
        *CAPILLARY,
        step(
            "subscription_opt_out",
            NA,
            "no subscription preference applies to WHATSAPP messages",
        ),
    ]


MESSANGI = [
    step("customer_status_block", NA, "messangi has no customer status labels"),
]
MESSANGI_AFTER = [
    step("contact_temp_block", NA, "messangi has no temporary blocks"),
    step("subscription_opt_out", NA, "messangi has no customer subscriptions"),
]


@pytest.mark.parametrize(
    ("sender", "status", "outcome", "detail"),
    [
        (
            "141555549",
            "SUPPRESSED",
            "suppress",
            "+525500000000 is on the SMS blocklist of sender 141555549",
        ),
        (
            "528811",
            "DELIVERED",
            "pass",
            "+525500000000 is not on the SMS blocklist of sender 528811",
        ),
    ],
)
def test_each_messangi_step_says_why(
    tenant: Tenant, sender: str, status: str, outcome: str, detail: str
) -> None:
    auth = tenant.messangi_auth()
    response = tenant.http.post(
        "/messangi/raven/v2/messages",
        json={"to": "+52 55 0000 0000", "from": sender, "text": "hello"},
        headers={"Content-Type": "application/json", **auth},
    )
    assert response.status_code < 300, response.text
    [message] = tenant.outbox()
    assert (message["status"], message["to"], message["from"]) == (status, "+525500000000", sender)
    assert message["decision"] == [
        *MESSANGI,
        step("sender_blocklist", outcome, detail),
        *MESSANGI_AFTER,
    ]
    probe = {"vendor": "messangi", "channel": "SMS", "to": "+525500000000", "from": sender}
    assert explain(tenant, **probe)["decision"] == message["decision"]
