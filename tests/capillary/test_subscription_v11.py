"""POST /v1.1/customer/subscriptions (seed 002): any identifier names the customer, enums in
any case, each item succeeds or fails alone with its own code."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import (
    ACTIVE,
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
from .subs import PAIRS, V11, everyone, item, preferences, update_v11

NOT_SET = dict.fromkeys(PAIRS, "NOT_SET")


def answered(response: Any, code: int, total: int, succeeded: int) -> list[dict[str, Any]]:
    status = v11_status(response)
    assert int(status["code"]) == code, status
    assert (int(status["total"]), int(status["success_count"])) == (total, succeeded), status
    assert str(status["success"]) == ("true" if succeeded else "false"), status
    items: list[dict[str, Any]] = response.json()["response"]["subscriptions"]["subscription"]
    assert len(items) == total
    return items


def assert_updated(answer: dict[str, Any], who: int, channel: str, priority: str, sub: str) -> None:
    shown = (answer["user_id"], answer["channel"], answer["priority"], answer["scope"])
    assert shown == (str(who), channel, priority, "ALL"), answer
    assert str(answer["is_subscribed"]) == sub, answer
    status = answer["item_status"]
    assert str(status["success"]) == "true", status
    assert int(status["code"]) == 1000, status
    assert status["message"] == "Subscription successfully updated"


def test_seed_example_applies_every_item(cap: Cap) -> None:
    items = [
        item("email", "bulk", "1", email=EMAIL[ACTIVE]),
        item("sms", "bulk", "0", email=EMAIL[ACTIVE]),
    ]
    response = cap.post(V11, {"root": {"subscription": items}}, params={"format": "json"})
    assert response.status_code == 200, response.text
    first, second = answered(response, 200, 2, 2)
    assert_updated(first, ACTIVE, "EMAIL", "BULK", "1")
    assert_updated(second, ACTIVE, "SMS", "BULK", "0")
    expected = {**NOT_SET, ("EMAIL", "BULK"): "SUBSCRIBED", ("SMS", "BULK"): "UNSUBSCRIBED"}
    assert preferences(cap, ACTIVE) == expected


@pytest.mark.parametrize(
    "identifier",
    [
        {"mobile": MOBILE[ACTIVE]},
        {"mobile": "+91 99882 21100"},
        {"email": EMAIL[ACTIVE]},
        {"email": EMAIL[ACTIVE].upper()},
        {"external_id": EXTERNAL_ID[ACTIVE]},
        {"id": str(ACTIVE)},
        {"id": ACTIVE},
    ],
    ids=["mobile", "mobile formatted", "email", "email upper", "external_id", "id", "id int"],
)
def test_any_identifier_names_the_customer(cap: Cap, identifier: dict[str, Any]) -> None:
    before = everyone(cap)
    response = update_v11(cap, item("sms", "BULK", "0", **identifier))
    assert response.status_code == 200, response.text
    [answer] = answered(response, 200, 1, 1)
    assert_updated(answer, ACTIVE, "SMS", "BULK", "0")
    after = everyone(cap)
    assert after[ACTIVE][0] == {**NOT_SET, ("SMS", "BULK"): "UNSUBSCRIBED"}
    assert after[ACTIVE][1][("SMS", "BULK")] == "OPTOUT"
    assert {c: s for c, s in after.items() if c != ACTIVE} == {
        c: s for c, s in before.items() if c != ACTIVE
    }


@pytest.mark.parametrize("mobile", [int(MOBILE[ACTIVE]), "+91 99882 21100"], ids=["int", "+"])
def test_answer_gives_the_mobile_in_country_code_format(cap: Cap, mobile: Any) -> None:
    """Seed 002: the answer's `mobile` is a string, "91xxxxxxxxxx"."""
    response = update_v11(cap, item("sms", "bulk", "0", mobile=mobile))
    [answer] = answered(response, 200, 1, 1)
    assert answer["mobile"] == MOBILE[ACTIVE], answer


SPELLINGS = [
    ("sms", "bulk", "all", "0"),
    ("SMS", "Bulk", "ALL", 0),
    ("Email", "TRANS", "All", "0"),
    ("email", "trans", None, 0),
    ("sms", "Trans", "all", "1"),
    ("email", "BULK", None, 1),
    ("Sms", "bULK", "aLL", "1"),
]


@pytest.mark.parametrize(("channel", "priority", "scope", "subscribed"), SPELLINGS)
def test_enums_in_any_case(
    cap: Cap, channel: str, priority: str, scope: Any, subscribed: Any
) -> None:
    who = ACTIVE if str(subscribed) == "0" else OPTED_OUT
    body = item(channel, priority, subscribed, id=str(who))
    if scope is None:
        del body["scope"]
    else:
        body["scope"] = scope
    before = preferences(cap, who)
    response = update_v11(cap, body)
    assert response.status_code == 200, response.text
    [answer] = answered(response, 200, 1, 1)
    pair = (channel.upper(), priority.upper())
    assert_updated(answer, who, *pair, str(subscribed))
    state = "SUBSCRIBED" if str(subscribed) == "1" else "UNSUBSCRIBED"
    assert preferences(cap, who) == {**before, pair: state}


# each bad item would opt ACTIVE out of SMS TRANS if it were wrongly applied
BAD = [
    ("channel fax", {"channel": "fax"}, 1101, "channel"),
    ("channel whatsapp", {"channel": "whatsapp"}, 1101, "channel"),
    ("channel missing", {"channel": None}, 1101, "channel"),
    ("priority TANS", {"priority": "TANS"}, 1102, "priority"),
    ("priority promotional", {"priority": "PROMOTIONAL"}, 1102, "priority"),
    ("priority missing", {"priority": None}, 1102, "priority"),
    ("scope USER", {"scope": "USER"}, 1103, "scope"),
    ("no identifier", {"mobile": None}, 1104, "identifier"),
    ("blank identifier", {"mobile": ""}, 1104, "identifier"),
    ("is_subscribed 2", {"is_subscribed": "2"}, 1106, "is_subscribed"),
    ("is_subscribed yes", {"is_subscribed": "yes"}, 1106, "is_subscribed"),
    ("is_subscribed true", {"is_subscribed": True}, 1106, "is_subscribed"),
    ("is_subscribed missing", {"is_subscribed": None}, 1106, "is_subscribed"),
    ("unknown mobile", {"mobile": FREE_MOBILE}, 1012, FREE_MOBILE),
    ("unknown email", {"mobile": None, "email": FREE_EMAIL}, 1012, FREE_EMAIL),
    ("unknown id", {"mobile": None, "id": UNKNOWN_ID}, 1012, str(UNKNOWN_ID)),
]


def bad_item(change: dict[str, Any]) -> dict[str, Any]:
    """ACTIVE out of SMS TRANS, with `change` applied (None removes the field)."""
    body = {**item("sms", "trans", "0", mobile=MOBILE[ACTIVE]), **change}
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_item_fails_alone(cap: Cap, case: tuple[Any, ...]) -> None:
    _, change, code, named = case
    before = everyone(cap)
    response = update_v11(
        cap,
        item("email", "bulk", "0", id=str(ACTIVE)),
        bad_item(change),
        item("sms", "Bulk", 0, email=EMAIL[ACTIVE]),
    )
    assert response.status_code == 201, response.text
    good, bad, later = answered(response, 201, 3, 2)
    assert_updated(good, ACTIVE, "EMAIL", "BULK", "0")
    assert_updated(later, ACTIVE, "SMS", "BULK", "0")
    assert str(bad["item_status"]["success"]) == "false", bad
    assert int(bad["item_status"]["code"]) == code, bad
    assert_names(bad["item_status"]["message"], named)
    after = everyone(cap)
    changed = {("EMAIL", "BULK"): "UNSUBSCRIBED", ("SMS", "BULK"): "UNSUBSCRIBED"}
    assert after[ACTIVE][0] == {**NOT_SET, **changed}  # SMS TRANS untouched
    assert {c: s for c, s in after.items() if c != ACTIVE} == {
        c: s for c, s in before.items() if c != ACTIVE
    }
    assert cap.outbox() == []


def test_all_items_bad_is_400_with_code_500(cap: Cap) -> None:
    before = everyone(cap)
    response = update_v11(cap, bad_item({"channel": "fax"}), bad_item({"mobile": FREE_MOBILE}))
    assert response.status_code == 400, response.text
    first, second = answered(response, 500, 2, 0)
    assert [int(first["item_status"]["code"]), int(second["item_status"]["code"])] == [1101, 1012]
    assert everyone(cap) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"root": {"subscription": []}}, "subscription"),
        ({}, "root"),
        ({"root": {}}, "subscription"),
        ({"root": {"subscription": item("sms", "bulk", "0", id=ACTIVE)}}, "subscription"),
        ({"subscription": [item("sms", "bulk", "0", id=ACTIVE)]}, "root"),
        (b'{"root": {"subscription": [', "JSON"),
    ],
    ids=["empty list", "no root", "no list", "object not list", "list outside root", "bad JSON"],
)
def test_malformed_request_is_400_and_changes_nothing(cap: Cap, body: Any, field: str) -> None:
    before = everyone(cap)
    raw = body if isinstance(body, bytes) else None
    response = cap.post(V11, None if raw else body, content=raw)
    assert response.status_code == 400, response.text
    status = v11_status(response)
    assert (str(status["success"]), int(status["code"])) == ("false", 400), status
    assert_names(status["message"], field)
    assert everyone(cap) == before
    assert cap.outbox() == []
