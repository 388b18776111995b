"""Helpers for the subscription tests (seed 002): request bodies and the state read back
through the vendor's own APIs, v1.1 and v2."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from .helpers import ACTIVE, BLOCKED, OPTED_OUT, SOURCE, Cap

V11 = "/v1.1/customer/subscriptions"
LOOKUP = "/v2/customers/lookup/subscriptions"
EVERYONE = (BLOCKED, ACTIVE, OPTED_OUT)
PAIRS = [(c, p) for c in ("SMS", "EMAIL") for p in ("TRANS", "BULK")]

# seed 002's v2 example, verbatim: its fourth entry has the typo priority "TANS"
SEED_V2: dict[str, Any] = {
    "communicationId": -1,
    "campaignId": -1,
    "reason": "This is V2 subscription api",
    "scope": {"scope": "USER", "subScope": "NONE"},
    "subscriptions": [
        {
            "channel": "EMAIL",
            "priority": "BULK",
            "type": "OPTOUT",
            "orgUnitId": 200031782,
            "sourceName": "FACEBOOK",
            "accountId": "01",
        },
        {
            "channel": "MOBILE",
            "accountId": "01",
            "priority": "BULK",
            "type": "OPTIN",
            "orgUnitId": 200031782,
            "sourceName": "FACEBOOK",
        },
        {
            "channel": "EMAIL",
            "accountId": "01",
            "priority": "TRANS",
            "type": "OPTIN",
            "orgUnitId": 200031782,
            "sourceName": "FACEBOOK",
        },
        {
            "channel": "MOBILE",
            "accountId": "01",
            "priority": "TANS",
            "type": "OPTOUT",
            "orgUnitId": 200031782,
            "sourceName": "FACEBOOK",
        },
    ],
}


def seed_v2(valid_only: bool = False) -> dict[str, Any]:
    body = copy.deepcopy(SEED_V2)
    if valid_only:
        body["subscriptions"] = body["subscriptions"][:3]
    return body


def item(channel: Any, priority: Any, subscribed: Any, **identifier: Any) -> dict[str, Any]:
    """One v1.1 subscription item, spelled as seed 002 spells it (scope "all")."""
    return {
        **identifier,
        "priority": priority,
        "scope": "all",
        "channel": channel,
        "is_subscribed": subscribed,
    }


def update_v11(cap: Cap, *items: Any) -> httpx.Response:
    return cap.post(V11, {"root": {"subscription": list(items)}})


def entry(channel: str, priority: str, kind: str) -> dict[str, str]:
    return {"channel": channel, "priority": priority, "type": kind}


def lookup_params(value: str, name: str = "mobile") -> dict[str, str]:
    return {**SOURCE, "identifierName": name, "identifierValue": value}


def update_v2(cap: Cap, who: int, *entries: Any) -> httpx.Response:
    return cap.post(f"/v2/customers/{who}/subscriptions", {"subscriptions": list(entries)})


def update_lookup(cap: Cap, value: str, *entries: Any, name: str = "mobile") -> httpx.Response:
    body = {"subscriptions": list(entries)}
    return cap.post(LOOKUP, body, params=lookup_params(value, name))


def v11_channels(cap: Cap, who: int, **filters: str) -> list[dict[str, Any]]:
    """The v1.1 GET's channel list for one customer, named by id."""
    response = cap.get(V11, id=str(who), **filters)
    assert response.status_code == 200, response.text
    [found] = response.json()["response"]["subscriptions"]["subscription"]
    assert found["user_id"] == str(who), found
    channels: list[dict[str, Any]] = found["channel"]
    return channels


def preferences(cap: Cap, who: int) -> dict[tuple[str, str], str]:
    """(SMS|EMAIL, TRANS|BULK) -> NOT_SET, SUBSCRIBED or UNSUBSCRIBED, from the v1.1 GET."""
    return {
        (channel["name"], priority["name"]): priority["user_preference"]
        for channel in v11_channels(cap, who)
        for priority in channel["priority"]
    }


def v2_types(response: httpx.Response) -> dict[tuple[str, str], str]:
    """(SMS|EMAIL, TRANS|BULK) -> OPTIN or OPTOUT, from a v2 GET answer."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["warnings"] == [], body
    found = {(s["channel"], s["priority"]): s["type"] for s in body["subscriptions"]}
    assert len(found) == len(body["subscriptions"]) == 4, body
    return found


def v2_state(cap: Cap, who: int) -> dict[tuple[str, str], str]:
    return v2_types(cap.get(f"/v2/customers/{who}/subscriptions"))


def everyone(cap: Cap, *people: int) -> dict[int, Any]:
    """Every customer's preferences as both versions show them, and their change log."""
    return {
        c: (preferences(cap, c), v2_state(cap, c), cap.subscription_log(c))
        for c in people or EVERYONE
    }
