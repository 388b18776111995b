"""The subscription change log (GET /v2/customers/{userId}/subscriptionStatusChangeLog,
Capillary's `get-customer-subscription-log`): every opt-in and opt-out the sandbox applies,
whatever API made it, oldest first; a request that fails writes none; it survives snapshots,
restarts and the fixture round trip; it is read by the customer's index."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.store.collection import Collection
from sandbox.testing import Sandbox, in_process
from sandbox.testing.example import EXAMPLE_FIXTURE
from sandbox.vendors.capillary import messaging

from .helpers import (
    ACTIVE,
    BLOCKED,
    MOBILE,
    OPTED_OUT,
    SOURCE,
    UNKNOWN_ID,
    Cap,
    assert_names,
    subscription,
    v2_error,
)
from .subs import LOOKUP, entry, item, lookup_params, update_v2, update_v11

CONFIGURE = "/v2/internal/subscription/configuration"
DAY = r"^\d{4}-\d{2}-\d{2}$"

# Capillary's "Update Subscription Details" page (CapDocs 03-customer-1/10-update-subscription-
# details.md), its curl sample verbatim: path, query and body (customer 565039505 is in the
# example fixture)
REFERENCE_PATH = "/v2/customers/565039505/subscriptions?format=json"
REFERENCE_BODY = """
{
  "communicationId": -1,
  "campaignId": -1,
  "reason": "This is V2 subscription api",
  "scope": {
    "scope": "USER",
    "subScope": "NONE"
  },
  "subscriptions": [
    {
      "channel": "EMAIL",
      "priority": "BULK",
      "type": "OPTOUT",
      "orgUnitId": 200031782,
      "sourceName": "FACEBOOK",
      "accountId": "01"
    },
    {
      "channel": "MOBILE",
      "accountId": "01",
      "priority": "BULK",
      "type": "OPTIN",
      "orgUnitId": 200031782,
      "sourceName": "FACEBOOK"
    },
    {
      "channel": "EMAIL",
      "accountId": "01",
      "priority": "TRANS",
      "type": "OPTIN",
      "orgUnitId": 200031782,
      "sourceName": "FACEBOOK"
    },
    {
      "channel": "MOBILE",
      "accountId": "01",
      "priority": "TRANS",
      "type": "OPTOUT",
      "orgUnitId": 200031782,
      "sourceName": "FACEBOOK"
    }
  ]
}
"""
# the page's "Sample response update subscription"
REFERENCE_ANSWER = {
    "scope": {"scope": "USER", "subScope": "NONE"},
    "subscriptions": [
        {"channel": "EMAIL", "accountId": "01", "priority": "BULK", "type": "OPTOUT",
         "orgUnitId": 200031782, "sourceName": "FACEBOOK"},
        {"channel": "MOBILE", "accountId": "01", "priority": "BULK", "type": "OPTIN",
         "orgUnitId": 200031782, "sourceName": "FACEBOOK"},
        {"channel": "EMAIL", "accountId": "01", "priority": "TRANS", "type": "OPTIN",
         "orgUnitId": 200031782, "sourceName": "FACEBOOK"},
        {"channel": "MOBILE", "accountId": "01", "priority": "TRANS", "type": "OPTOUT",
         "orgUnitId": 200031782, "sourceName": "FACEBOOK"},
    ],
    "campaignId": -1,
    "communicationId": -1,
    "reason": "This is V2 subscription api",
    "warnings": [],
}  # fmt: skip


COOKIE = "_cfuvid=rxRpkG0ZaHhqCspOGoNMJ1Zw3B.833ToyoOw1GvD6HU-1750747343765-0.0.1.1-604800000"


def raw_post(cap: Cap, path_and_query: str, text: str) -> httpx.Response:
    """A call as the page's curl makes it: the body as written, the query in the URL, its
    headers (the tenant's credentials for the page's)."""
    headers = {
        "accept": "application/json",
        "content-type": "application/json",
        **cap.auth,
        "Cookie": COOKIE,
    }
    return cap.http.post(f"/capillary{path_and_query}", content=text.encode(), headers=headers)


def logged(cap: Cap, who: int) -> list[tuple[str, str, bool, str]]:
    """(commChannelType, priority, status, reason) of each entry, in the order read."""
    return [
        (e["commChannelType"], e["priority"], e["status"], e["reason"])
        for e in cap.subscription_log(who)
    ]


# --- Capillary's own calls --------------------------------------------------------------------
def test_the_reference_update_is_answered_as_its_sample_and_logged(frozen: Cap) -> None:
    cap = frozen
    response = raw_post(cap, REFERENCE_PATH, REFERENCE_BODY)
    assert response.status_code == 200, response.text
    assert response.json() == REFERENCE_ANSWER
    entries = cap.subscription_log(BLOCKED)
    assert entries == [
        {
            "orgUnitId": 200031782,
            "source": "FACEBOOK",
            "accountId": "01",
            "orgSourceId": -1,
            "commChannelId": channel_id,
            "commChannelType": channel,
            "communicationCategoryId": -1,
            "priority": priority,
            "status": status,
            "addedBy": -1,
            "addedOn": "2026-11-23",
            "reason": "This is V2 subscription api",
        }
        for channel, channel_id, priority, status in [
            ("email", 2, "BULK", False),
            ("mobile", 1, "BULK", True),
            ("email", 2, "TRANS", True),
            ("mobile", 1, "TRANS", False),
        ]
    ]


def test_the_reference_log_call_reads_the_log(cap: Cap) -> None:
    """The page's code sample (`https://apac.api.capillarytech.com/v2/customers/987564/
    subscriptionStatusChangeLog`), on a customer of this tenant: a GET with no query."""
    assert update_v2(cap, ACTIVE, entry("whatsapp", "TRANS", "OPTOUT")).status_code == 200
    response = cap.http.get(
        f"/capillary/v2/customers/{ACTIVE}/subscriptionStatusChangeLog", headers=cap.auth
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["warnings"], body["errors"]) == ([], [])
    [only] = body["data"]
    assert (only["commChannelId"], only["commChannelType"], only["status"]) == (
        9,
        "whatsapp",
        False,
    )


# --- every API writes it ----------------------------------------------------------------------
Change = Callable[[Cap], httpx.Response]
WRITERS: dict[str, Change] = {
    "v1.1": lambda cap: update_v11(cap, item("sms", "bulk", "0", mobile=MOBILE[ACTIVE])),
    "v2 userId": lambda cap: update_v2(cap, ACTIVE, entry("MOBILE", "BULK", "OPTOUT")),
    "v2 lookup": lambda cap: cap.post(
        LOOKUP, {"subscriptions": [entry("MOBILE", "BULK", "OPTOUT")]},
        params=lookup_params(MOBILE[ACTIVE]),
    ),
    "#14 configuration": lambda cap: cap.post(
        CONFIGURE, subscription(ACTIVE, "MOBILE", "BULK", "OPTOUT")
    ),
}  # fmt: skip


@pytest.mark.parametrize("write", list(WRITERS.values()), ids=list(WRITERS))
def test_every_api_that_opts_out_writes_one_entry(frozen: Cap, write: Change) -> None:
    cap = frozen
    assert cap.subscription_log(ACTIVE) == []
    response = write(cap)
    assert response.status_code == 200, response.text
    [written] = cap.subscription_log(ACTIVE)
    assert written == {
        "orgUnitId": -1,
        "source": "INSTORE",  # the customer's own, when the request names none
        "accountId": "",
        "orgSourceId": -1,
        "commChannelId": 1,
        "commChannelType": "mobile",
        "communicationCategoryId": -1,
        "priority": "BULK",
        "status": False,
        "addedBy": -1,
        "addedOn": "2026-11-23",
        "reason": "Direct",
    }
    assert cap.subscription_log(BLOCKED) == []  # nobody else's


def test_changes_are_listed_oldest_first_each_one_even_a_repeat(cap: Cap) -> None:
    update_v11(cap, item("email", "trans", "0", id=str(ACTIVE)))
    update_v2(cap, ACTIVE, entry("EMAIL", "TRANS", "OPTIN"), entry("line", "BULK", "OPTOUT"))
    cap.post(CONFIGURE, subscription(ACTIVE, "EMAIL", "TRANS", "OPTIN"))
    update_v2(cap, ACTIVE, entry("line", "BULK", "OPTOUT"))  # as it already is: still logged
    assert logged(cap, ACTIVE) == [
        ("email", "TRANS", False, "Direct"),
        ("email", "TRANS", True, "Direct"),
        ("line", "BULK", False, "Direct"),
        ("email", "TRANS", True, "Direct"),
        ("line", "BULK", False, "Direct"),
    ]


def test_the_v2_reason_is_the_entry_reason(cap: Cap) -> None:
    body = {
        "reason": "customer asked at the till",
        "subscriptions": [entry("EMAIL", "BULK", "OPTOUT")],
    }
    assert cap.post(f"/v2/customers/{ACTIVE}/subscriptions", body).status_code == 200
    assert logged(cap, ACTIVE) == [("email", "BULK", False, "customer asked at the till")]


def test_the_configuration_answers_its_entry_id(cap: Cap) -> None:
    """#14's createdId numbers its change: the changes made by the other APIs take numbers
    of the same sequence, so the next configuration's id is past them."""
    first = cap.post(CONFIGURE, subscription(ACTIVE, "EMAIL", "BULK", "OPTOUT")).json()
    update_v2(cap, ACTIVE, entry("EMAIL", "BULK", "OPTIN"), entry("EMAIL", "TRANS", "OPTIN"))
    second = cap.post(CONFIGURE, subscription(ACTIVE, "EMAIL", "BULK", "OPTOUT")).json()
    assert (first["createdId"], second["createdId"]) == (20_000_001, 20_000_004)


# --- a fixture's declared preferences ---------------------------------------------------------
def test_declared_preferences_are_shown_first_as_the_fixture_s(frozen: Cap) -> None:
    cap = frozen
    declared = [
        ("mobile", "BULK", False, "fixture"),
        ("mobile", "TRANS", False, "fixture"),
        ("email", "BULK", False, "fixture"),
    ]
    assert logged(cap, OPTED_OUT) == declared
    update_v11(cap, item("sms", "bulk", "1", id=str(OPTED_OUT)))
    update_v11(cap, item("sms", "bulk", "0", id=str(OPTED_OUT)))
    # the declared opt-out stays first, as declared, though the APIs changed it since
    assert logged(cap, OPTED_OUT) == [
        *declared,
        ("mobile", "BULK", True, "Direct"),
        ("mobile", "BULK", False, "Direct"),
    ]
    assert all(e["addedOn"] == "2026-11-23" for e in cap.subscription_log(OPTED_OUT)[3:])


def test_a_customer_registered_through_the_api_starts_with_an_empty_log(cap: Cap) -> None:
    body = {"profiles": [{"identifiers": [{"type": "mobile", "value": "919100000077"}]}]}
    created = cap.post("/v2/customers", body).json()["createdId"]
    assert cap.subscription_log(created) == []
    update_v2(cap, created, entry("EMAIL", "BULK", "OPTOUT"))
    assert logged(cap, created) == [("email", "BULK", False, "Direct")]


# --- refusals write nothing -------------------------------------------------------------------
REFUSED: dict[str, Change] = {
    "v2 every entry bad": lambda cap: update_v2(
        cap, ACTIVE, entry("fax", "BULK", "OPTOUT"), entry("EMAIL", "PROMO", "OPTOUT")
    ),
    "v2 one entry bad": lambda cap: update_v2(
        cap, ACTIVE, entry("EMAIL", "BULK", "OPTOUT"), entry("EMAIL", "PROMO", "OPTOUT")
    ),
    "v2 unknown customer": lambda cap: update_v2(cap, UNKNOWN_ID, entry("EMAIL", "BULK", "OPTOUT")),
    "v1.1 every item bad": lambda cap: update_v11(cap, item("fax", "bulk", "0", id=str(ACTIVE))),
    "#14 unknown customer": lambda cap: cap.post(
        CONFIGURE, subscription(UNKNOWN_ID, "EMAIL", "BULK", "OPTOUT")
    ),
    "wrong credentials": lambda cap: cap.call(
        "POST", f"/v2/customers/{ACTIVE}/subscriptions",
        {"subscriptions": [entry("EMAIL", "BULK", "OPTOUT")]},
        headers={"Authorization": "Basic bm9ib2R5Om5vdGhpbmc="},
    ),
}  # fmt: skip


@pytest.mark.parametrize("refused", list(REFUSED.values()), ids=list(REFUSED))
def test_a_refused_request_writes_no_entry(cap: Cap, refused: Change) -> None:
    before = cap.snapshot()
    response = refused(cap)
    assert 400 <= response.status_code < 500, response.text
    assert cap.snapshot() == before


def test_a_v11_batch_logs_exactly_the_items_it_reports_accepted(cap: Cap) -> None:
    response = update_v11(
        cap,
        item("sms", "bulk", "0", id=str(ACTIVE)),
        item("fax", "bulk", "0", id=str(ACTIVE)),
        item("email", "trans", "0", id=str(ACTIVE)),
    )
    assert response.status_code == 201, response.text
    assert logged(cap, ACTIVE) == [
        ("mobile", "BULK", False, "Direct"),
        ("email", "TRANS", False, "Direct"),
    ]


def test_a_failure_after_the_change_leaves_no_entry(
    cap: Cap, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#14 logs the change, then sends its notification: a bug in the send undoes both."""
    before = cap.snapshot()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug while sending the notification")

    monkeypatch.setattr(messaging, "send_to_customer", broken)
    response = cap.post(CONFIGURE, subscription(ACTIVE, "EMAIL", "BULK", "OPTOUT"))
    assert response.status_code == 500
    assert cap.snapshot() == before
    monkeypatch.undo()
    retried = cap.post(CONFIGURE, subscription(ACTIVE, "EMAIL", "BULK", "OPTOUT"))
    assert retried.json()["createdId"] == 20_000_001  # the undone change took no number
    assert logged(cap, ACTIVE) == [("email", "BULK", False, "Direct")]


# --- not found and bad input ------------------------------------------------------------------
# (an unknown customer: test_log_reads.py, the status log's 404 on both logs)
@pytest.mark.parametrize("user_id", ["abc", "0", "-5", "1.5"])
def test_a_user_id_that_is_no_id_is_refused_naming_it(cap: Cap, user_id: str) -> None:
    response = cap.get(f"/v2/customers/{user_id}/subscriptionStatusChangeLog")
    assert response.status_code == 400, response.text
    assert_names(v2_error(response)["message"], "userId")


# --- reads by the customer's index ------------------------------------------------------------
def test_a_read_never_walks_the_whole_log(cap: Cap, monkeypatch: pytest.MonkeyPatch) -> None:
    """O(the customer's entries): the read goes through the index by customer; walking every
    entry of the tenant fails the read."""
    update_v2(cap, BLOCKED, entry("EMAIL", "BULK", "OPTOUT"))
    update_v2(cap, ACTIVE, entry("EMAIL", "TRANS", "OPTOUT"))

    def walked(self: Collection) -> Any:
        raise AssertionError(f"walked every document of {self.spec.name}")

    for name in ("values", "snapshot", "newest"):
        monkeypatch.setattr(Collection, name, walked)
    assert logged(cap, ACTIVE) == [("email", "TRANS", False, "Direct")]


# --- it lasts ---------------------------------------------------------------------------------
def change_everything(cap: Cap) -> None:
    update_v11(cap, item("sms", "bulk", "1", id=str(OPTED_OUT)))
    update_v2(cap, ACTIVE, entry("whatsapp", "BULK", "OPTOUT"), entry("EMAIL", "TRANS", "OPTOUT"))
    cap.post(CONFIGURE, subscription(BLOCKED, "MOBILE", "TRANS", "OPTOUT"))


def every_log(cap: Cap) -> dict[int, Any]:
    return {who: cap.subscription_log(who) for who in (BLOCKED, ACTIVE, OPTED_OUT)}


def test_a_snapshot_loads_back_with_the_log_and_goes_on_numbering(
    sandbox: Sandbox, cap: Cap
) -> None:
    change_everything(cap)
    taken = cap.http.get(f"{cap.tenant.control}/snapshot").json()
    assert len(taken["capillary"]["subscription_log"]) == 4
    copy_of = sandbox.create_tenant(taken)
    try:
        other = Cap(cap.http, copy_of, copy_of.capillary_auth())
        assert every_log(other) == every_log(cap)
        created = other.post(CONFIGURE, subscription(ACTIVE, "EMAIL", "BULK", "OPTOUT"))
        assert created.json()["createdId"] == 20_000_005
        # and the copy's snapshot is the same document again
        again = other.http.get(f"{copy_of.control}/snapshot").json()["capillary"]
        assert again["subscription_log"][:4] == taken["capillary"]["subscription_log"]
    finally:
        copy_of.delete()


@pytest.mark.parametrize("compact_bytes", [None, 1], ids=["journal", "compacted"])
def test_the_log_survives_a_restart(tmp_path: Path, compact_bytes: int | None) -> None:
    settings: dict[str, Any] = {"data_dir": tmp_path}
    if compact_bytes is not None:
        settings["compact_bytes"] = compact_bytes
    with in_process(**settings) as sandbox:
        tenant = sandbox.create_tenant(EXAMPLE_FIXTURE, name="lasting")
        cap = Cap(sandbox.http, tenant, tenant.capillary_auth())
        change_everything(cap)
        before = every_log(cap)
    assert sum(len(entries) for entries in before.values()) == 7  # 3 declared, 4 changes
    with in_process(data_dir=tmp_path) as sandbox:
        tenant = sandbox.tenant("lasting")
        cap = Cap(sandbox.http, tenant, tenant.capillary_auth())
        assert every_log(cap) == before


def test_a_fixture_may_declare_the_log(sandbox: Sandbox) -> None:
    document = copy.deepcopy(EXAMPLE_FIXTURE)
    document["capillary"]["subscription_log"] = [
        {
            "id": 20_000_041,
            "customer_id": str(OPTED_OUT),
            "channel": "MOBILE",
            "priority": "BULK",
            "status": False,
            "previous": None,
            "reason": "asked by phone",
            "source": "INSTORE",
            "addedOn": "2026-01-05T09:00:00Z",
        }
    ]
    tenant = sandbox.create_tenant(document)
    try:
        cap = Cap(sandbox.http, tenant, tenant.capillary_auth())
        # MOBILE BULK's declared state is the logged change's (not set before it): no
        # "fixture" entry for it; the other two declared preferences have one each
        assert logged(cap, OPTED_OUT) == [
            ("mobile", "TRANS", False, "fixture"),
            ("email", "BULK", False, "fixture"),
            ("mobile", "BULK", False, "asked by phone"),
        ]
        assert cap.subscription_log(OPTED_OUT)[2]["addedOn"] == "2026-01-05"
        created = cap.post(CONFIGURE, subscription(ACTIVE, "EMAIL", "BULK", "OPTOUT"))
        assert created.json()["createdId"] == 20_000_042  # numbered past the declared ids
    finally:
        tenant.delete()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_id": str(UNKNOWN_ID)}, "capillary.subscription_log[0].customer_id"),
        ({"channel": "sms"}, "capillary.subscription_log[0].channel"),
        ({"addedOn": "yesterday"}, "capillary.subscription_log[0].addedOn"),
        ({"status": "false"}, "capillary.subscription_log[0].status"),
    ],
    ids=["unknown customer", "channel", "addedOn", "status"],
)
def test_a_declared_entry_the_log_cannot_use_is_refused(
    sandbox: Sandbox, change: dict[str, Any], field: str
) -> None:
    document = copy.deepcopy(EXAMPLE_FIXTURE)
    document["capillary"]["subscription_log"] = [
        {
            "id": 1,
            "customer_id": str(ACTIVE),
            "channel": "EMAIL",
            "priority": "BULK",
            "status": False,
            "addedOn": "2026-01-05T09:00:00Z",
            **change,
        }
    ]
    response = sandbox.http.put("/_sandbox/tenants/declared-log", json=document)
    assert response.status_code == 400, response.text
    assert field in response.text


# --- channels without a rule ------------------------------------------------------------------
@pytest.mark.parametrize("channel", ["wechat", "whatsapp", "ios", "android", "line"])
def test_a_channel_without_a_rule_is_recorded_and_read_back(cap: Cap, channel: str) -> None:
    response = update_v2(cap, ACTIVE, entry(channel, "BULK", "OPTOUT"))
    assert response.status_code == 200, response.text
    assert response.json()["subscriptions"] == [entry(channel, "BULK", "OPTOUT")]
    read = cap.get(f"/v2/customers/{ACTIVE}/subscriptions").json()["subscriptions"]
    assert read[-1] == {"channel": channel, "priority": "BULK", "type": "OPTOUT"}
    assert len(read) == 5
    looked_up = cap.get(LOOKUP, **lookup_params(MOBILE[ACTIVE])).json()["subscriptions"]
    assert looked_up == read
    embedded = cap.get(f"/v2/customers/{ACTIVE}", embed="subscriptions", **SOURCE).json()
    assert embedded["subscriptionInfo"]["subscriptions"] == read
    assert logged(cap, ACTIVE) == [(channel, "BULK", False, "Direct")]


def test_a_whatsapp_opt_out_suppresses_no_send(cap: Cap) -> None:
    """Recorded, not applied: the engine has no WhatsApp subscription rule, and says so."""
    update_v2(
        cap, ACTIVE, entry("whatsapp", "BULK", "OPTOUT"), entry("whatsapp", "TRANS", "OPTOUT")
    )
    body = {"whatsappMessage": [{"receiver": MOBILE[ACTIVE], "template": "order_shipped"}]}
    response = cap.post("/v2/communications/sendMessage?channel=whatsapp", body)
    assert response.status_code == 200, response.text
    [message] = cap.outbox()
    assert message["status"] == "DELIVERED", message
    [rule] = [step for step in message["decision"] if step["rule"] == "subscription_opt_out"]
    assert rule == {
        "rule": "subscription_opt_out",
        "outcome": "not_applicable",
        "detail": "no subscription preference applies to WHATSAPP messages",
    }


def test_the_v11_read_shows_only_its_own_channels(cap: Cap) -> None:
    update_v2(cap, ACTIVE, entry("ios", "TRANS", "OPTOUT"))
    response = cap.get("/v1.1/customer/subscriptions", id=str(ACTIVE))
    [found] = response.json()["response"]["subscriptions"]["subscription"]
    assert [channel["name"] for channel in found["channel"]] == ["SMS", "EMAIL"]


def test_a_declared_log_with_a_repeated_id_is_refused(sandbox: Sandbox) -> None:
    document = copy.deepcopy(EXAMPLE_FIXTURE)
    declared = {
        "id": 7,
        "customer_id": str(ACTIVE),
        "channel": "EMAIL",
        "priority": "BULK",
        "status": False,
        "addedOn": "2026-01-05T09:00:00Z",
    }
    document["capillary"]["subscription_log"] = [declared, {**declared, "status": True}]
    response = sandbox.http.put("/_sandbox/tenants/repeated-log", json=document)
    assert response.status_code == 400, response.text
    assert "capillary.subscription_log[1].id" in response.text


def test_an_entry_keeps_only_what_differs_from_the_defaults(cap: Cap) -> None:
    """A big log stays small: the stored entry of a v1.1 change holds no reason, org unit,
    source or account (the defaults are filled in when it is read)."""
    update_v11(cap, item("sms", "bulk", "0", id=str(ACTIVE)))
    update_v2(cap, ACTIVE, {**entry("EMAIL", "BULK", "OPTOUT"), "sourceName": "WEBSITE"})
    stored = cap.http.get(f"{cap.tenant.control}/snapshot").json()["capillary"]
    first, second = stored["subscription_log"]
    assert set(first) == {"id", "customer_id", "channel", "priority", "status", "addedOn"}
    assert set(second) - set(first) == {"source"}
    assert [e["source"] for e in cap.subscription_log(ACTIVE)] == ["INSTORE", "WEBSITE"]
