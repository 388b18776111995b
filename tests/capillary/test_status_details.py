"""What a Capillary integrator reads back, field by field: the status log, the ids of status and
subscription changes, the default label a V2 registration gets, the subscription notice, and
the 8086 error that lists the configured labels. (Each of these let a mutant of the code live.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.testing import Sandbox

from .helpers import (
    ACTIVE,
    BLOCKED,
    EMAIL,
    FREE_MOBILE,
    MOBILE,
    OPTED_OUT,
    Cap,
    sms_v11,
    status_query,
    subscription,
    v2_error,
)

STATUS = "/v2/customers/lookup/status"
CONFIGURE = "/v2/internal/subscription/configuration"
NOW = "2026-11-23T10:00:00Z"
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def assign(cap: Cap, who: str, label: str, reason: str = "r") -> httpx.Response:
    response = cap.put(STATUS, {"reason": reason, "label": label}, params=status_query(who))
    assert response.status_code == 200, response.text
    return response


def test_a_status_change_is_logged_with_every_field(frozen: Cap) -> None:
    assign(frozen, MOBILE[ACTIVE], "Suspended", reason="fraud check")
    first, change = frozen.status_log(ACTIVE)
    assert change == {
        # the till user the call authenticated as
        "createdByUser": frozen.tenant.credentials["capillary"]["username"],
        "reason": "fraud check",
        "createdBy": 75_000_001,
        "actions": [],
        "autoUpdateTime": "2026-11-23",
        "createdOn": "2026-11-23T10:00:00Z",
        "entityId": ACTIVE,
        "isActive": True,
        "label": "Suspended",
        "status": "SUSPENDED",
        "prevLabel": "Active",
    }
    # the label the fixture gave, which no API call logged
    assert first.pop("createdOn")[:10] == first.pop("autoUpdateTime")
    assert first == {
        "createdByUser": "fixture",
        "reason": "fixture",
        "createdBy": 75_000_001,
        "actions": [],
        "entityId": ACTIVE,
        "isActive": False,
        "label": "Active",
        "status": "ACTIVE",
    }


def test_the_fixture_entry_is_dated_like_every_other(cap: Cap) -> None:
    [entry] = cap.status_log(BLOCKED)
    assert MOMENT.match(entry["createdOn"]) and DAY.match(entry["autoUpdateTime"])
    assert "prevLabel" not in entry


def test_status_changes_are_numbered_as_capillary_numbers_them(cap: Cap) -> None:
    ids = [assign(cap, MOBILE[ACTIVE], label).json()["createdId"] for label in ("Suspended",) * 2]
    ids.append(assign(cap, MOBILE[OPTED_OUT], "Suspended").json()["createdId"])
    assert ids == [566_000_001, 566_000_002, 566_000_003]


def test_subscription_changes_are_numbered_as_capillary_numbers_them(cap: Cap) -> None:
    ids = [
        cap.post(CONFIGURE, subscription(ACTIVE, "EMAIL", "BULK", kind)).json()["createdId"]
        for kind in ("OPTOUT", "OPTIN")
    ]
    assert ids == [20_000_001, 20_000_002]


@pytest.mark.parametrize(
    ("channel", "kind", "to", "text"),
    [
        ("EMAIL", "OPTOUT", EMAIL[ACTIVE], "You have been unsubscribed from BULK email messages."),
        ("MOBILE", "OPTIN", MOBILE[ACTIVE], "You have been subscribed to BULK mobile messages."),
    ],
)
def test_the_subscription_notice_says_what_changed(
    cap: Cap, channel: str, kind: str, to: str, text: str
) -> None:
    assert cap.post(CONFIGURE, subscription(ACTIVE, channel, "BULK", kind)).status_code == 200
    [notice] = cap.outbox()
    assert (notice["to"], notice["body"]) == (to, text)
    # an e-mail's subject is its first sentence; an SMS has none
    assert notice["subject"] == (text.removesuffix(".") if channel == "EMAIL" else None)


def test_an_unknown_label_is_refused_naming_the_configured_ones(cap: Cap) -> None:
    response = cap.put(
        STATUS, {"reason": "r", "label": "Nope"}, params=status_query(MOBILE[ACTIVE])
    )
    assert response.status_code == 400
    assert v2_error(response) == {
        **v2_error(response),
        "code": 8086,
        "message": "Status label passed is not valid: 'Nope' (configured: Active, Suspended)",
    }


# --- a tenant whose labels make the default label matter ------------------------------------
LABELS = [
    # ACTIVE but blocking: never the default, or every new customer would be suppressed
    {"name": "Watch", "status": "ACTIVE", "block_communications": True},
    # not blocking but not ACTIVE: not the default either
    {"name": "Staff", "status": "INTERNAL", "block_communications": False},
    {"name": "Member", "status": "ACTIVE", "block_communications": False},
]


def _tenant(sandbox: Sandbox, labels: list[dict[str, Any]]) -> Iterator[Cap]:
    created = sandbox.create_tenant(
        {
            "capillary": {
                "status_labels": labels,
                "customers": [{"id": 565039601, "mobile": "919111111111"}],
            }
        }
    )
    yield Cap(sandbox.http, created, created.capillary_auth())
    created.delete()


@pytest.fixture
def labelled(sandbox: Sandbox) -> Iterator[Cap]:
    yield from _tenant(sandbox, LABELS)


@pytest.fixture
def unlabelled(sandbox: Sandbox) -> Iterator[Cap]:
    """No label is ACTIVE and non-blocking: the org has no default label."""
    yield from _tenant(sandbox, LABELS[:2])


def register(cap: Cap) -> httpx.Response:
    body = {
        "profiles": [
            {
                "firstName": "Ana",
                "source": "INSTORE",
                "identifiers": [{"type": "mobile", "value": FREE_MOBILE}],
            }
        ]
    }
    response = cap.post("/v2/customers", body)
    assert response.status_code == 200, response.text
    return response


def sms_to(cap: Cap, mobile: str) -> dict[str, Any]:
    assert cap.post("/v1.1/communications/sms", sms_v11(mobile)).status_code == 200
    return cap.outbox()[0]


def test_registration_gets_the_first_active_label_that_does_not_block(labelled: Cap) -> None:
    created = register(labelled).json()["createdId"]
    [entry] = labelled.status_log(created)
    assert (entry["label"], entry["status"], entry["reason"]) == (
        "Member",
        "ACTIVE",
        "Default status on registration",
    )
    message = sms_to(labelled, FREE_MOBILE)
    assert (message["status"], message["decision"][0]) == (
        "DELIVERED",
        {
            "rule": "customer_status_block",
            "outcome": "pass",
            "detail": "status label 'Member' does not block communications",
        },
    )


def test_without_a_default_label_registration_warns_and_assigns_none(unlabelled: Cap) -> None:
    response = register(unlabelled)
    assert response.json()["warnings"] == [
        {"status": False, "code": 8107, "message": "Default customer status label not set"}
    ]
    assert unlabelled.status_log(response.json()["createdId"]) == []


def test_a_known_customer_without_a_label_is_delivered(unlabelled: Cap) -> None:
    message = sms_to(unlabelled, "919111111111")
    assert (message["status"], message["reason"], message["customer_id"]) == (
        "DELIVERED",
        None,
        "565039601",
    )
    assert message["decision"][0] == {
        "rule": "customer_status_block",
        "outcome": "pass",
        "detail": "customer has no status label",
    }


def test_the_change_counters_are_kept_in_the_snapshot(cap: Cap) -> None:
    """A snapshot carries each counter under its name, so a tenant loaded from it goes on
    numbering where this one stopped."""
    assign(cap, MOBILE[ACTIVE], "Suspended")
    assert cap.post(CONFIGURE, subscription(ACTIVE, "EMAIL", "BULK", "OPTOUT")).status_code == 200
    response = cap.http.get(f"{cap.tenant.control}/snapshot")
    assert response.status_code == 200, response.text
    sequences = response.json()["sequences"]
    assert (sequences["status_log"], sequences["subscription_change"]) == (566_000_001, 20_000_001)


@pytest.fixture
def no_labels(sandbox: Sandbox) -> Iterator[Cap]:
    """An org that has configured no status label at all."""
    yield from _tenant(sandbox, [])


def test_an_org_without_labels_says_none_are_configured(no_labels: Cap) -> None:
    response = no_labels.put(
        STATUS, {"reason": "r", "label": "Active"}, params=status_query("919111111111")
    )
    assert response.status_code == 400
    assert v2_error(response)["message"] == (
        "Status label passed is not valid: 'Active' (configured: none)"
    )
