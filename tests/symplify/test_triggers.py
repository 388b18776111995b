"""Symplify's triggers (issue 16, research 7c): listed and read as TriggerDTOs, sent to one
contact of the trigger's list with SendTriggerDTO, answered 200 `{"message"}` whether or not
the message is suppressed; the temporary block and the contact's opt-out decide it (a trigger
with ignoreOptOut bypasses the opt-out); a deliveryTime schedules it on the tenant clock."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.testing import Sandbox

from .helpers import ACCOUNT, ANN, FIXTURE, GAGA, Sym, error

TRIGGERS = f"/{ACCOUNT}/triggers"


def fire(sym: Sym, trigger: int = 7, **body: Any) -> httpx.Response:
    return sym.call("POST", f"{TRIGGERS}/{trigger}/messages", {"originalId": "111", **body})


def outbox(sym: Sym) -> list[dict[str, Any]]:
    return sym.tenant.outbox(operation="sendTrigger")


def test_triggers_are_listed_and_read_as_trigger_dtos(sym: Sym) -> None:
    listed = sym.call("GET", TRIGGERS)
    assert listed.status_code == 200
    assert [(t["id"], t["name"], t["listId"], t["channelTypeId"]) for t in listed.json()] == [
        (7, "Order confirmation", 42, 1),
        (8, "Login code", 42, 2),
    ]
    one = sym.call("GET", f"{TRIGGERS}/8")
    assert one.status_code == 200
    assert one.json() == listed.json()[1]
    assert one.json()["ignoreOptOut"] is True and one.json()["active"] is True
    # what carmaclient's TriggerDTO decodes as int64 is an integer
    assert all(isinstance(one.json()[k], int) for k in ("type", "projectId", "activeCampaign"))


@pytest.mark.parametrize("path", [f"{TRIGGERS}/9", "/5678/triggers/7", f"{TRIGGERS}/9/messages"])
def test_an_unknown_trigger_is_a_404_naming_it(sym: Sym, path: str) -> None:
    method = "POST" if path.endswith("messages") else "GET"
    response = sym.call(method, path, {"originalId": "111"} if method == "POST" else None)
    assert error(response, 404) == "triggerId"
    assert outbox(sym) == []


def test_a_trigger_sends_one_message_to_the_contact_with_its_properties(sym: Sym) -> None:
    response = fire(sym, properties={"orderId": "A-1001"})
    assert response.status_code == 200
    assert isinstance(response.json()["message"], str)
    [message] = outbox(sym)
    assert (message["vendor"], message["channel"], message["to"]) == ("symplify", "EMAIL", GAGA)
    assert (message["category"], message["status"]) == ("TRANSACTIONAL", "DELIVERED")
    assert message["subject"] == "Order confirmation"
    assert message["body"] == "Order A-1001 is confirmed"
    log = sym.http.get(f"{sym.tenant.control}/requests", params={"limit": 1}).json()["items"]
    assert log[0]["operationId"] == "sendTrigger" and log[0]["message_ids"] == [message["id"]]


def test_a_blocked_contact_gets_200_and_a_suppressed_message(sym: Sym) -> None:
    assert sym.block(until="2020-01-20").status_code == 200
    assert fire(sym).status_code == 200
    [message] = outbox(sym)
    assert (message["status"], message["reason"]) == ("SUPPRESSED", "CONTACT_TEMP_BLOCKED")
    rules = [step["rule"] for step in message["decision"]]
    assert "contact_temp_block" in rules and "subscription_opt_out" in rules


def test_opt_outs_suppress_a_trigger_unless_it_ignores_them(sym: Sym) -> None:
    for original_id, flag in (("111", "unsubscribed"), ("333", "mobileUnsubscribed")):
        updated = sym.call(
            "PUT", f"/{ACCOUNT}/lists/42/contacts/{original_id}/update", {flag: True}
        )
        assert updated.status_code == 200, updated.text
    assert fire(sym, 7).status_code == 200  # e-mail: opted out
    assert fire(sym, 8, originalId="333", properties={"code": "123456"}).status_code == 200
    by_to = {m["to"]: m for m in outbox(sym)}
    assert (by_to[GAGA]["status"], by_to[GAGA]["reason"]) == (
        "SUPPRESSED",
        "SUBSCRIPTION_OPTED_OUT",
    )
    sms = by_to[ANN]
    assert (sms["status"], sms["body"]) == ("DELIVERED", "Your code is 123456")
    [step] = [s for s in sms["decision"] if s["rule"] == "subscription_opt_out"]
    assert step["outcome"] == "bypass"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"originalId": "999"}, "originalId"),  # on no list of the trigger
        ({"originalId": "333"}, "originalId"),  # Ann has no e-mail address
        ({"deliveryTime": "2020-02-09T11:00:00+01:00"}, "deliveryTime"),
        ({"deliveryTime": "2020-02-09 11:00:00+0100"}, "deliveryTime"),
        ({"deliveryTime": "2020-13-09T11:00:00+0100"}, "deliveryTime"),
        ({"deliveryTime": "tomorrow"}, "deliveryTime"),
        ({"properties": {"orderId": 5}}, "properties.orderId"),
        ({"originalId": None}, "originalId"),
    ],
)
def test_bad_sends_name_the_field_and_record_nothing(sym: Sym, body: Any, field: str) -> None:
    status = 404 if body == {"originalId": "999"} else 400
    assert error(fire(sym, **body), status) == field
    assert outbox(sym) == []


def test_a_later_delivery_time_is_sent_when_due_and_decided_then(sym: Sym) -> None:
    # 2020-01-15T09:00Z now; due at 10:00Z, written in +0100
    answer = fire(sym, deliveryTime="2020-01-15T11:00:00+0100")
    assert answer.status_code == 200 and "scheduled" in answer.json()["message"]
    assert outbox(sym) == []
    assert sym.block(until="2020-01-15").status_code == 200  # blocked through that day
    sym.tenant.advance_clock(1800)
    assert outbox(sym) == []  # 09:30: not yet
    sym.tenant.advance_clock(3600)
    [message] = outbox(sym)
    assert message["created_at"] == "2020-01-15T10:00:00.000Z"
    assert (message["status"], message["reason"]) == ("SUPPRESSED", "CONTACT_TEMP_BLOCKED")


def test_a_scheduled_delivery_has_its_message_page(sym: Sym) -> None:
    """Recorded when due by no request: its page says the request is not known (not a 500)."""
    assert fire(sym, deliveryTime="2020-01-15T11:00:00+0100").status_code == 200
    sym.tenant.advance_clock(3600)
    [message] = outbox(sym)
    page = sym.http.get(f"/_sandbox/ui/tenants/{sym.tenant.name}/messages/{message['id']}")
    assert page.status_code == 200, page.text
    assert "The request that recorded it is not known" in page.text


def test_a_past_delivery_time_is_sent_now(sym: Sym) -> None:
    assert fire(sym, deliveryTime="2016-02-09T11:00:00+0100").status_code == 200
    [message] = outbox(sym)
    assert message["created_at"] == "2020-01-15T09:00:00.000Z"


def test_a_scheduled_message_travels_in_a_snapshot(sandbox: Sandbox, sym: Sym) -> None:
    assert fire(sym, deliveryTime="2020-01-16T09:00:00+0000").status_code == 200
    snapshot = sym.http.get(f"{sym.tenant.control}/snapshot").json()
    assert [item["due"] for item in snapshot["scheduled"]] == ["2020-01-16T09:00:00.000Z"]
    copy = sandbox.create_tenant(snapshot)
    try:
        copy.advance_clock(86_400)
        [message] = copy.outbox(operation="sendTrigger")
        assert message["to"] == GAGA and message["created_at"] == "2020-01-16T09:00:00.000Z"
        assert copy.outbox(operation="sendTrigger") == [message]  # recorded once
    finally:
        copy.delete()


def test_opt_out_unsubscribes_the_contact_after_the_send(sym: Sym) -> None:
    assert fire(sym, optOut=True).status_code == 200
    contact = sym.call("GET", f"/{ACCOUNT}/lists/42/contacts/111").json()
    assert contact["unsubscribed"] is True
    assert fire(sym).status_code == 200
    first, second = sorted(outbox(sym), key=lambda m: int(m["id"]))
    assert first["status"] == "DELIVERED"
    assert (second["status"], second["reason"]) == ("SUPPRESSED", "SUBSCRIPTION_OPTED_OUT")


@pytest.mark.parametrize(
    ("trigger", "field"),
    [
        ({"id": 1, "list_id": 99}, "symplify.accounts[0].triggers[0].list_id"),
        ({"id": "x", "list_id": 42}, "symplify.accounts[0].triggers[0].id"),
        (
            {"id": 1, "list_id": 42, "channel": "WHATSAPP"},
            "symplify.accounts[0].triggers[0].channel",
        ),
    ],
)
def test_a_bad_declared_trigger_is_a_400_naming_its_path(
    sandbox: Sandbox, trigger: dict[str, Any], field: str
) -> None:
    document = {
        "symplify": {
            "accounts": [{"customer_id": "1", "lists": [{"id": 42}], "triggers": [trigger]}]
        }
    }
    response = sandbox.http.put("/_sandbox/tenants/bad-trigger", json=document)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["field"] == field
    assert sandbox.http.get("/_sandbox/tenants/bad-trigger").status_code == 404


def test_snapshot_keeps_the_triggers(sandbox: Sandbox, sym: Sym) -> None:
    snapshot = sym.http.get(f"{sym.tenant.control}/snapshot").json()
    declared = FIXTURE["symplify"]["accounts"][0]["triggers"]
    assert [t["id"] for t in snapshot["symplify"]["accounts"][0]["triggers"]] == [
        t["id"] for t in declared
    ]
    copy = sandbox.create_tenant(snapshot)
    try:
        listed = sandbox.http.get(f"/symplify{TRIGGERS}", headers=copy.symplify_auth())
        assert listed.json() == sym.call("GET", TRIGGERS).json()
    finally:
        copy.delete()
