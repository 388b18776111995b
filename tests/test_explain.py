"""What if (`POST /_sandbox/tenants/{t}/explain`): the decision a message would get now, from
the facts each vendor's own sends gather, recording nothing; bad input is a 400 naming the
field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.testing import Tenant


def explain(tenant: Tenant, **body: Any) -> httpx.Response:
    return tenant.http.post(f"{tenant.control}/explain", json=body)


def held(tenant: Tenant) -> tuple[int, int]:
    """Messages in the outbox, and entries in the request log: explain adds to neither."""
    outbox = tenant.http.get(f"{tenant.control}/outbox", params={"limit": 1}).json()["total"]
    log = tenant.http.get(f"{tenant.control}/requests", params={"limit": 1}).json()["total"]
    return outbox, log


@pytest.mark.parametrize(
    ("body", "status", "reason", "rule"),
    [
        (
            {"vendor": "capillary", "channel": "SMS", "to": "919353491050"},
            "SUPPRESSED",
            "CUSTOMER_STATUS_BLOCKED",
            "customer_status_block",
        ),
        (
            {"vendor": "capillary", "channel": "SMS", "to": "919988221100"},
            "DELIVERED",
            None,
            "subscription_opt_out",
        ),
        (  # Rita opted out of BULK SMS; OTP bypasses the opt-out
            {"vendor": "capillary", "channel": "SMS", "to": "919876543210", "priority": "BULK"},
            "SUPPRESSED",
            "SUBSCRIPTION_OPTED_OUT",
            "subscription_opt_out",
        ),
        (
            {"vendor": "capillary", "channel": "SMS", "to": "919876543210", "category": "OTP"},
            "DELIVERED",
            None,
            "subscription_opt_out",
        ),
        (
            {"vendor": "messangi", "channel": "SMS", "to": "+52 55 0000 0000", "from": "141555549"},
            "SUPPRESSED",
            "SENDER_BLOCKLISTED",
            "sender_blocklist",
        ),
        (  # the same number from another sender
            {"vendor": "messangi", "channel": "SMS", "to": "+525500000000", "from": "528811"},
            "DELIVERED",
            None,
            "sender_blocklist",
        ),
        (
            {
                "vendor": "symplify",
                "channel": "EMAIL",
                "to": "lady_gaga@example.com",
                "list_id": "1234/42",
            },
            "DELIVERED",
            None,
            "contact_temp_block",
        ),
    ],
)
def test_explain_answers_as_a_send_now_would_be_decided(
    tenant: Tenant, body: dict[str, Any], status: str, reason: str | None, rule: str
) -> None:
    before = held(tenant)
    response = explain(tenant, **body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["status"], answer["reason"]) == (status, reason)
    outcomes = {step["rule"]: step["outcome"] for step in answer["decision"]}
    assert outcomes[rule] in ({"suppress"} if status == "SUPPRESSED" else {"pass", "bypass"})
    assert held(tenant) == before  # recorded nothing


def test_explain_sees_a_symplify_block_until_the_clock_passes_its_day(tenant: Tenant) -> None:
    symplify = tenant.symplify_auth()
    blocked = tenant.http.put(
        "/symplify/1234/lists/contacts/tempblock",
        json={
            "findBy": "ORIGINALID",
            "listId": "42",
            "searchValue": "111",
            "blockUntil": "2099-12-31",
        },
        headers=symplify,
    )
    assert blocked.status_code < 300, blocked.text
    probe = {"vendor": "symplify", "channel": "EMAIL", "to": "LADY_GAGA@example.com"}
    answer = explain(tenant, **probe, list_id="42").json()
    assert (answer["status"], answer["reason"]) == ("SUPPRESSED", "CONTACT_TEMP_BLOCKED")
    tenant.http.put(f"{tenant.control}/clock", json={"now": "2100-01-01T00:00:00Z"})
    assert explain(tenant, **probe, list_id="42").json()["status"] == "DELIVERED"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"vendor": "nobody", "channel": "SMS", "to": "919353491050"}, "vendor"),
        ({"vendor": "capillary", "channel": "FAX", "to": "919353491050"}, "channel"),
        ({"vendor": "capillary", "channel": "RCS", "to": "919353491050"}, "channel"),
        ({"vendor": "capillary", "channel": "SMS", "to": "not-a-number"}, "to"),
        ({"vendor": "capillary", "channel": "EMAIL", "to": "919353491050"}, "to"),
        ({"vendor": "capillary", "channel": "SMS", "to": "   "}, "to"),
        ({"vendor": "capillary", "channel": "SMS"}, "to"),
        ({"vendor": "messangi", "channel": "SMS", "to": "+525500000000"}, "from"),
        ({"vendor": "messangi", "channel": "ZALO", "to": "+525500000000", "from": "1"}, "channel"),
        ({"vendor": "messangi", "channel": "EMAIL", "to": "+525500000000", "from": "1"}, "to"),
        ({"vendor": "symplify", "channel": "EMAIL", "to": "a@example.com"}, "list_id"),
        (
            {"vendor": "symplify", "channel": "EMAIL", "to": "a@example.com", "list_id": 9},
            "list_id",
        ),
        (
            {"vendor": "symplify", "channel": "WHATSAPP", "to": "a@example.com", "list_id": 42},
            "channel",
        ),
        ({"vendor": "symplify", "channel": "EMAIL", "to": "nope", "list_id": 42}, "to"),
        ({"vendor": "capillary", "channel": "SMS", "to": "919353491050", "extra": 1}, "extra"),
    ],
)
def test_bad_explain_input_is_a_400_naming_the_field(
    tenant: Tenant, body: dict[str, Any], field: str
) -> None:
    before = held(tenant)
    response = explain(tenant, **body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field
    assert held(tenant)[0] == before[0]


def test_explain_of_an_unknown_tenant_is_a_404(http: httpx.Client) -> None:
    body = {"vendor": "capillary", "channel": "SMS", "to": "919353491050"}
    response = http.post("/_sandbox/tenants/nobody/explain", json=body)
    assert response.status_code == 404


def test_a_bare_list_id_needs_a_tenant_of_one_account(sandbox: Any) -> None:
    """With two Symplify accounts, `42` could be either's list 42: the answer asks for
    `account/list` instead of picking one."""
    two = {
        "symplify": {
            "accounts": [
                {"customer_id": "1234", "lists": [{"id": 42}]},
                {
                    "customer_id": "5678",
                    "lists": [{"id": 42, "contacts": [{"original_id": "1", "email": "a@x.se"}]}],
                },
            ]
        }
    }
    tenant = sandbox.create_tenant(two)
    probe = {"vendor": "symplify", "channel": "EMAIL", "to": "a@x.se"}
    refused = explain(tenant, **probe, list_id="42")
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "list_id"
    assert "5678/42" in refused.json()["error"]["message"]
    answer = explain(tenant, **probe, list_id="5678/42").json()
    assert answer["status"] == "DELIVERED"
    tenant.delete()
