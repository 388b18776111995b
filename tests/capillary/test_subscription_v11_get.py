"""GET /v1.1/customer/subscriptions (seed 002): per customer the channels SMS and EMAIL, each
with its TRANS and BULK state; filters; several customers at once; unknown ones fail alone."""

from __future__ import annotations

from typing import Any

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
    UNKNOWN_ID,
    Cap,
    assert_names,
    v11_status,
)
from .subs import V11, item, update_v11, v11_channels

IN = ("ALL", "", "NOT_SET")
OUT = ("", "ALL", "UNSUBSCRIBED")
# the fixture's opted-out customer: SMS TRANS, SMS BULK and EMAIL BULK opted out
FIXTURE_OPTED_OUT = {
    "SMS": {"TRANS": OUT, "BULK": OUT},
    "EMAIL": {"TRANS": IN, "BULK": OUT},
}


def shown(channels: list[dict[str, Any]]) -> dict[str, dict[str, tuple[str, str, str]]]:
    result: dict[str, dict[str, tuple[str, str, str]]] = {}
    for channel in channels:
        assert channel["name"] not in result, channels
        result[channel["name"]] = {
            p["name"]: (p["subscribed"], p["unsubscribed"], p["user_preference"])
            for p in channel["priority"]
        }
        assert len(result[channel["name"]]) == len(channel["priority"]), channels
    return result


def found(response: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = response.json()["response"]["subscriptions"]["subscription"]
    return items


def test_shows_every_channel_and_priority(cap: Cap) -> None:
    response = cap.get(V11, mobile=MOBILE[OPTED_OUT], format="json")
    assert response.status_code == 200, response.text
    status = v11_status(response)
    assert (str(status["success"]), int(status["code"])) == ("true", 200), status
    [customer] = found(response)
    assert customer["user_id"] == str(OPTED_OUT)
    assert int(customer["item_status"]["code"]) == 1000
    assert shown(customer["channel"]) == FIXTURE_OPTED_OUT
    fresh = shown(v11_channels(cap, ACTIVE))
    assert fresh == {"SMS": {"TRANS": IN, "BULK": IN}, "EMAIL": {"TRANS": IN, "BULK": IN}}


def test_shows_what_was_set_explicitly(cap: Cap) -> None:
    response = update_v11(
        cap,
        item("sms", "bulk", "1", id=str(OPTED_OUT)),
        item("email", "trans", "0", id=str(OPTED_OUT)),
        item("email", "bulk", "1", id=str(ACTIVE)),
    )
    assert response.status_code == 200, response.text
    assert shown(v11_channels(cap, OPTED_OUT)) == {
        "SMS": {"TRANS": OUT, "BULK": ("ALL", "", "SUBSCRIBED")},
        "EMAIL": {"TRANS": OUT, "BULK": OUT},
    }
    assert shown(v11_channels(cap, ACTIVE))["EMAIL"]["BULK"] == ("ALL", "", "SUBSCRIBED")


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"channel": "sms"}, {"SMS": ["TRANS", "BULK"]}),
        ({"channel": "EMAIL"}, {"EMAIL": ["TRANS", "BULK"]}),
        ({"priority": "bulk"}, {"SMS": ["BULK"], "EMAIL": ["BULK"]}),
        ({"priority": "TRANS"}, {"SMS": ["TRANS"], "EMAIL": ["TRANS"]}),
        ({"channel": "Email", "priority": "Trans"}, {"EMAIL": ["TRANS"]}),
        ({"scope": "all"}, {"SMS": ["TRANS", "BULK"], "EMAIL": ["TRANS", "BULK"]}),
    ],
    ids=["sms", "EMAIL", "bulk", "TRANS", "email trans", "scope all"],
)
def test_channel_and_priority_filters(
    cap: Cap, filters: dict[str, str], expected: dict[str, list[str]]
) -> None:
    result = shown(v11_channels(cap, OPTED_OUT, **filters))
    assert {c: sorted(p) for c, p in result.items()} == {c: sorted(p) for c, p in expected.items()}
    for channel, priorities in result.items():
        for priority, state in priorities.items():
            assert state == FIXTURE_OPTED_OUT[channel][priority]


@pytest.mark.parametrize(
    "params",
    [
        {"email": EMAIL[ACTIVE]},
        {"external_id": EXTERNAL_ID[ACTIVE]},
        {"id": str(ACTIVE)},
        {"mobile": "+" + MOBILE[ACTIVE]},
    ],
    ids=["email", "external_id", "id", "mobile with +"],
)
def test_any_identifier(cap: Cap, params: dict[str, str]) -> None:
    update_v11(cap, item("email", "bulk", "0", id=str(ACTIVE)))
    response = cap.get(V11, **params)
    assert response.status_code == 200, response.text
    [customer] = found(response)
    assert customer["user_id"] == str(ACTIVE)
    assert shown(customer["channel"])["EMAIL"]["BULK"] == ("", "ALL", "UNSUBSCRIBED")


def test_comma_separated_identifiers(cap: Cap) -> None:
    response = cap.get(V11, mobile=f"{MOBILE[ACTIVE]},{MOBILE[OPTED_OUT]}", id=str(BLOCKED))
    assert response.status_code == 200, response.text
    status = v11_status(response)
    assert (int(status["total"]), int(status["success_count"])) == (3, 3)
    users = {c["user_id"]: shown(c["channel"]) for c in found(response)}
    assert set(users) == {str(ACTIVE), str(OPTED_OUT), str(BLOCKED)}
    assert users[str(OPTED_OUT)] == FIXTURE_OPTED_OUT


def test_unknown_customer_fails_alone_with_1012(cap: Cap) -> None:
    response = cap.get(V11, mobile=f"{MOBILE[ACTIVE]},{FREE_MOBILE}")
    assert response.status_code == 201, response.text
    status = v11_status(response)
    assert int(status["code"]) == 201, status
    assert (int(status["total"]), int(status["success_count"])) == (2, 1)
    known, unknown = found(response)
    assert known["user_id"] == str(ACTIVE) and int(known["item_status"]["code"]) == 1000
    assert unknown["mobile"] == FREE_MOBILE
    assert str(unknown["item_status"]["success"]) == "false"
    assert int(unknown["item_status"]["code"]) == 1012


@pytest.mark.parametrize(
    "params",
    [{"mobile": FREE_MOBILE}, {"email": FREE_EMAIL}, {"id": str(UNKNOWN_ID)}],
    ids=["mobile", "email", "id"],
)
def test_only_unknown_customers_is_400(cap: Cap, params: dict[str, str]) -> None:
    response = cap.get(V11, **params)
    assert response.status_code == 400, response.text
    assert int(v11_status(response)["code"]) == 500
    [unknown] = found(response)
    assert int(unknown["item_status"]["code"]) == 1012


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "identifier"),
        ({"mobile": ""}, "identifier"),
        ({"mobile": MOBILE[ACTIVE], "channel": "whatsapp"}, "channel"),
        ({"mobile": MOBILE[ACTIVE], "priority": "TANS"}, "priority"),
        ({"mobile": MOBILE[ACTIVE], "scope": "USER"}, "scope"),
    ],
    ids=["no identifier", "blank identifier", "bad channel", "bad priority", "bad scope"],
)
def test_bad_query_is_400(cap: Cap, params: dict[str, str], field: str) -> None:
    response = cap.get(V11, **params)
    assert response.status_code == 400, response.text
    status = v11_status(response)
    assert (str(status["success"]), int(status["code"])) == ("false", 400), status
    assert_names(status["message"], field)
