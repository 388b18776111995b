"""`GET /v2/customers/lookup/customerDetails` (issue 24, research 8a): a customer found by
identifier, with the status label and the subscriptions its `embed` asks for."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .helpers import (
    ACTIVE,
    BLOCKED,
    EMAIL,
    EXTERNAL_ID,
    FREE_EMAIL,
    FREE_MOBILE,
    MOBILE,
    OPTED_OUT,
    SOURCE,
    Cap,
    batch,
    status_query,
    v2_error,
)

DETAILS = "/v2/customers/lookup/customerDetails"


def details(cap: Cap, value: str, name: str = "mobile", **params: Any) -> httpx.Response:
    return cap.get(DETAILS, **status_query(value, name), **params)


def found(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_customer_is_answered_as_get_customer_answers_it(cap: Cap) -> None:
    body = found(details(cap, MOBILE[ACTIVE]))
    same = cap.get(f"/v2/customers/{ACTIVE}", **SOURCE).json()
    assert body == same
    assert "customerStatus" not in body and "subscriptionInfo" not in body


def test_embed_customer_status_shows_the_label_that_blocks(cap: Cap) -> None:
    blocked = found(details(cap, MOBILE[BLOCKED], embed="customerStatus"))["customerStatus"]
    active = found(details(cap, EMAIL[ACTIVE], "email", embed="CUSTOMERSTATUS"))["customerStatus"]
    assert (blocked["label"], blocked["status"], blocked["isActive"]) == (
        "Suspended",
        "SUSPENDED",
        True,
    )
    assert (active["label"], active["status"], active["entityId"]) == ("Active", "ACTIVE", ACTIVE)


def test_the_status_follows_a_label_assigned_through_the_api(cap: Cap) -> None:
    assigned = cap.put(
        "/v2/customers/lookup/status",
        {"reason": "fraud check", "label": "Suspended"},
        params=status_query(MOBILE[ACTIVE]),
    )
    assert assigned.status_code == 200, assigned.text
    shown = found(details(cap, MOBILE[ACTIVE], embed="customerStatus"))["customerStatus"]
    assert (shown["label"], shown["status"], shown["reason"]) == (
        "Suspended",
        "SUSPENDED",
        "fraud check",
    )
    # the status log's active entry, as its own API shows it
    assert shown == cap.status_log(ACTIVE)[-1]


def test_a_customer_never_given_a_label_reads_not_set(cap: Cap) -> None:
    added = cap.post("/v1.1/customer/add", batch("customer", {"mobile": FREE_MOBILE}))
    assert added.status_code == 200, added.text
    shown = found(details(cap, FREE_MOBILE, embed="customerStatus"))["customerStatus"]
    assert shown == {"label": "N/A", "status": "NOT SET"}


def test_embed_subscriptions_shows_the_opt_outs(cap: Cap) -> None:
    body = found(details(cap, MOBILE[OPTED_OUT], embed="subscriptions,customerStatus"))
    kinds = {
        (s["channel"], s["priority"]): s["type"] for s in body["subscriptionInfo"]["subscriptions"]
    }
    assert kinds[("SMS", "TRANS")] == kinds[("SMS", "BULK")] == "OPTOUT"
    assert kinds[("EMAIL", "TRANS")] == "OPTIN" and kinds[("EMAIL", "BULK")] == "OPTOUT"
    assert body["customerStatus"]["label"] == "Active"


def test_card_details_are_a_list_a_neo_flow_can_walk(cap: Cap) -> None:
    body = found(details(cap, EXTERNAL_ID[ACTIVE], "externalId", embed="cardLoyaltyDetails"))
    assert body["cardDetails"] == [] and body["id"] == ACTIVE


def test_several_identifiers_as_the_pages_example_writes_them(cap: Cap) -> None:
    """`identifierName=email,mobile,externalID`: the first that finds someone does."""
    response = cap.get(
        DETAILS,
        source="INSTORE",
        identifierName="email,mobile,externalID",
        identifierValue=f"{FREE_EMAIL},{MOBILE[BLOCKED]},{EXTERNAL_ID[ACTIVE]}",
    )
    assert found(response)["id"] == BLOCKED


@pytest.mark.parametrize(
    ("name", "value", "code", "field"),
    [
        ("mobile", FREE_MOBILE, 8015, FREE_MOBILE),
        ("email,mobile", f"{FREE_EMAIL},{FREE_MOBILE}", 8015, FREE_EMAIL),
        ("email,mobile", FREE_EMAIL, 8013, "identifierValue"),
        ("phone", "1", 8013, "identifierName"),
        ("mobile", "not a number", 8013, "identifierValue"),
    ],
    ids=["unknown", "none of several", "pairs do not line up", "bad name", "bad mobile"],
)
def test_refusals_name_what_is_wrong_and_change_nothing(
    cap: Cap, name: str, value: str, code: int, field: str
) -> None:
    before = cap.snapshot()
    response = cap.get(DETAILS, source="INSTORE", identifierName=name, identifierValue=value)
    assert response.status_code == 400, response.text
    error = v2_error(response)
    assert error["code"] == code and field in error["message"], error
    assert cap.snapshot() == before


def test_the_source_is_required(cap: Cap) -> None:
    response = cap.get(DETAILS, identifierName="mobile", identifierValue=MOBILE[ACTIVE])
    assert response.status_code == 400
    assert "source" in v2_error(response)["message"]
