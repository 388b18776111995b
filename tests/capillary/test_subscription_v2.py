"""v2 subscriptions (seed 002): POST /v2/customers/{userId}/subscriptions and the lookup
variant apply every entry or, when one is invalid, none; GET shows OPTIN/OPTOUT."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from .helpers import (
    ACTIVE,
    EMAIL,
    EXTERNAL_ID,
    FREE_MOBILE,
    MOBILE,
    OPTED_OUT,
    UNKNOWN_ID,
    Cap,
    assert_names,
    v2_error,
)
from .subs import (
    LOOKUP,
    PAIRS,
    entry,
    everyone,
    lookup_params,
    preferences,
    seed_v2,
    update_v2,
    v2_state,
    v2_types,
)

Post = Callable[[Cap, int, Any], httpx.Response]

WAYS: dict[str, Post] = {
    "userId": lambda cap, who, body: cap.post(
        f"/v2/customers/{who}/subscriptions", body, params={"format": "json"}
    ),
    "lookup mobile": lambda cap, who, body: cap.post(
        LOOKUP, body, params=lookup_params(MOBILE[who])
    ),
    "lookup email": lambda cap, who, body: cap.post(
        LOOKUP, body, params=lookup_params(EMAIL[who], "email")
    ),
    "lookup externalId": lambda cap, who, body: cap.post(
        LOOKUP, body, params=lookup_params(EXTERNAL_ID[who], "externalId")
    ),
    "lookup id": lambda cap, who, body: cap.post(
        LOOKUP, body, params=lookup_params(str(who), "id")
    ),
}
ways = pytest.mark.parametrize("way", list(WAYS.values()), ids=list(WAYS))


@ways
def test_seed_body_applies_every_entry_and_is_echoed(cap: Cap, way: Post) -> None:
    body = seed_v2(valid_only=True)
    response = way(cap, ACTIVE, body)
    assert response.status_code == 200, response.text
    assert response.json() == {**body, "warnings": []}
    assert preferences(cap, ACTIVE) == {
        ("EMAIL", "BULK"): "UNSUBSCRIBED",
        ("SMS", "BULK"): "SUBSCRIBED",
        ("EMAIL", "TRANS"): "SUBSCRIBED",
        ("SMS", "TRANS"): "NOT_SET",
    }
    assert v2_state(cap, ACTIVE) == {
        ("EMAIL", "TRANS"): "OPTIN",
        ("SMS", "TRANS"): "OPTIN",
        ("EMAIL", "BULK"): "OPTOUT",
        ("SMS", "BULK"): "OPTIN",
    }


@pytest.mark.parametrize("way", [WAYS["userId"], WAYS["lookup mobile"]], ids=["userId", "lookup"])
@pytest.mark.parametrize("who", [ACTIVE, OPTED_OUT], ids=["active", "opted out"])
def test_seed_example_with_tans_is_refused_whole(cap: Cap, way: Post, who: int) -> None:
    """Seed 002's own example: its fourth entry's priority "TANS" refuses the request, and the
    three valid entries before it (which would change both customers) are not applied."""
    before = everyone(cap)
    outbox = cap.outbox()
    response = way(cap, who, seed_v2())
    assert response.status_code == 400, response.text
    error = v2_error(response)
    assert error["code"] == 1102, error
    assert "subscriptions[3].priority" in error["message"], error
    assert_names(error["message"], "BULK")
    assert_names(error["message"], "TRANS")
    assert everyone(cap) == before
    assert cap.outbox() == outbox


def test_entries_apply_in_order(cap: Cap) -> None:
    response = update_v2(
        cap,
        OPTED_OUT,
        entry("MOBILE", "BULK", "OPTIN"),
        entry("EMAIL", "TRANS", "OPTOUT"),
        entry("MOBILE", "BULK", "OPTOUT"),
        entry("MOBILE", "TRANS", "OPTIN"),
    )
    assert response.status_code == 200, response.text
    assert v2_state(cap, OPTED_OUT) == {
        ("SMS", "BULK"): "OPTOUT",
        ("EMAIL", "TRANS"): "OPTOUT",
        ("SMS", "TRANS"): "OPTIN",
        ("EMAIL", "BULK"): "OPTOUT",
    }


def test_minimal_body_is_answered_with_defaults(cap: Cap) -> None:
    response = update_v2(cap, ACTIVE, entry("EMAIL", "BULK", "OPTOUT"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["subscriptions"] == [entry("EMAIL", "BULK", "OPTOUT")]
    assert body["warnings"] == []
    assert v2_state(cap, ACTIVE)[("EMAIL", "BULK")] == "OPTOUT"


@pytest.mark.parametrize(
    "path",
    [f"/v2/customers/{OPTED_OUT}/subscriptions", LOOKUP],
    ids=["userId", "lookup"],
)
def test_get_shows_optin_and_optout(cap: Cap, path: str) -> None:
    params = lookup_params(MOBILE[OPTED_OUT]) if path == LOOKUP else None
    response = cap.call("GET", path, params=params)
    assert v2_types(response) == {
        ("EMAIL", "TRANS"): "OPTIN",
        ("SMS", "TRANS"): "OPTOUT",
        ("EMAIL", "BULK"): "OPTOUT",
        ("SMS", "BULK"): "OPTOUT",
    }
    assert set(v2_state(cap, ACTIVE).values()) == {"OPTIN"}
    assert set(v2_state(cap, ACTIVE)) == set(PAIRS)


def test_v11_and_v2_agree(cap: Cap) -> None:
    update_v2(cap, ACTIVE, entry("MOBILE", "TRANS", "OPTOUT"))
    lookup = cap.get(LOOKUP, **lookup_params(EMAIL[ACTIVE], "email"))
    assert v2_types(lookup)[("SMS", "TRANS")] == "OPTOUT"
    assert preferences(cap, ACTIVE)[("SMS", "TRANS")] == "UNSUBSCRIBED"


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_unknown_user_id_is_1012(cap: Cap, method: str) -> None:
    before = everyone(cap)
    body = {"subscriptions": [entry("EMAIL", "BULK", "OPTOUT")]} if method == "POST" else None
    response = cap.call(method, f"/v2/customers/{UNKNOWN_ID}/subscriptions", body)
    assert response.status_code == 400, response.text
    assert v2_error(response)["code"] == 1012
    assert_names(v2_error(response)["message"], str(UNKNOWN_ID))
    assert everyone(cap) == before


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_lookup_of_unknown_identifier_is_8015(cap: Cap, method: str) -> None:
    before = everyone(cap)
    body = {"subscriptions": [entry("EMAIL", "BULK", "OPTOUT")]} if method == "POST" else None
    response = cap.call(method, LOOKUP, body, params=lookup_params(FREE_MOBILE))
    assert response.status_code == 400, response.text
    assert v2_error(response)["code"] == 8015
    assert everyone(cap) == before


BAD = [
    ("channel SMS", {"channel": "SMS"}, 1101, "subscriptions[1].channel"),
    ("channel whatsapp", {"channel": "WHATSAPP"}, 1101, "subscriptions[1].channel"),
    ("channel lowercase", {"channel": "email"}, 1101, "subscriptions[1].channel"),
    ("type UNSUBSCRIBE", {"type": "UNSUBSCRIBE"}, 1106, "subscriptions[1].type"),
    ("type lowercase", {"type": "optout"}, 1106, "subscriptions[1].type"),
    ("type missing", {"type": None}, 1106, "type"),
    ("priority PROMO", {"priority": "PROMO"}, 1102, "subscriptions[1].priority"),
    ("sourceName", {"sourceName": "MYSPACE"}, None, "subscriptions[1].sourceName"),
]


@ways
@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_entry_refuses_the_request(cap: Cap, way: Post, case: tuple[Any, ...]) -> None:
    _, change, code, field = case
    bad = {k: v for k, v in {**entry("MOBILE", "TRANS", "OPTOUT"), **change}.items() if v}
    before = everyone(cap)
    response = way(cap, ACTIVE, {"subscriptions": [entry("EMAIL", "BULK", "OPTOUT"), bad]})
    assert response.status_code == 400, response.text
    error = v2_error(response)
    if code is not None:
        assert error["code"] == code, error
    assert field in error["message"], error
    assert everyone(cap) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "subscriptions"),
        ({"subscriptions": []}, "subscriptions"),
        ({"subscriptions": entry("EMAIL", "BULK", "OPTOUT")}, "subscriptions"),
        ({**seed_v2(True), "scope": {"scope": "ORG", "subScope": "NONE"}}, "scope"),
        ({**seed_v2(True), "campaignId": "campaign"}, "campaignId"),
        (b'{"subscriptions": [', "JSON"),
    ],
    ids=["empty", "no entries", "object not list", "scope", "campaignId", "bad JSON"],
)
def test_malformed_request_is_refused(cap: Cap, body: Any, field: str) -> None:
    before = everyone(cap)
    raw = body if isinstance(body, bytes) else None
    response = cap.post(f"/v2/customers/{ACTIVE}/subscriptions", None if raw else body, content=raw)
    assert response.status_code == 400, response.text
    assert_names(v2_error(response)["message"], field)
    assert everyone(cap) == before


# Capillary's "Sample response update subscription - 500" (update-subscription-details)
ALL_FAILED = {"status": False, "message": "All requests have failed due to errors", "code": 500}


@ways
def test_a_batch_whose_every_entry_fails_answers_capillary_s_documented_failure(
    cap: Cap, way: Post
) -> None:
    """The documented body first (answered HTTP 400, not the sample's 500: the sandbox never
    answers 5xx to a client's input), then each entry's own error naming its field."""
    before = everyone(cap)
    bad = [entry("fax", "BULK", "OPTOUT"), entry("EMAIL", "PROMO", "OPTOUT"), "not an entry"]
    response = way(cap, ACTIVE, {"subscriptions": bad})
    assert response.status_code == 400, response.text
    body = response.json()
    assert list(body) == ["warnings", "errors"] and body["warnings"] == []
    assert body["errors"][0] == ALL_FAILED
    assert [e["code"] for e in body["errors"][1:]] == [1101, 1102, 400]
    for index, (error, field) in enumerate(
        zip(body["errors"][1:], ["channel", "priority", ""], strict=True)
    ):
        assert error["status"] is False
        assert f"subscriptions[{index}]{'.' if field else ''}{field}" in error["message"], error
    assert everyone(cap) == before


@ways
def test_a_batch_where_some_entries_fail_lists_each_and_applies_none(cap: Cap, way: Post) -> None:
    before = everyone(cap)
    entries = [
        entry("EMAIL", "BULK", "OPTOUT"),
        entry("SMS", "BULK", "OPTOUT"),
        entry("whatsapp", "BULK", "OPTOUT"),
        entry("MOBILE", "BULK", "UNSUBSCRIBE"),
    ]
    response = way(cap, ACTIVE, {"subscriptions": entries})
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert ALL_FAILED not in errors
    assert [e["code"] for e in errors] == [1101, 1106]
    assert "subscriptions[1].channel" in errors[0]["message"]
    assert "subscriptions[3].type" in errors[1]["message"]
    assert everyone(cap) == before


@pytest.mark.parametrize("channel", ["wechat", "whatsapp", "ios", "android", "line"])
def test_every_documented_channel_is_accepted_and_the_list_names_them(
    cap: Cap, channel: str
) -> None:
    response = update_v2(cap, ACTIVE, entry(channel, "TRANS", "OPTOUT"))
    assert response.status_code == 200, response.text
    refused = update_v2(cap, ACTIVE, entry(channel.upper(), "TRANS", "OPTOUT"))
    assert refused.status_code == 400
    [summary, error] = refused.json()["errors"]
    assert (summary, error["code"]) == (ALL_FAILED, 1101)
    message = error["message"]
    for documented in ("MOBILE", "EMAIL", "wechat", "whatsapp", "ios", "android", "line"):
        assert_names(message, documented)
