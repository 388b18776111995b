"""Records a tenant document declares with ids (Capillary's status log, requests and OTPs, the
scheduled messages, Messangi's blocklist entries, Symplify's property definitions) move the id
sequence they are drawn from past every declared id, so the next API write never takes one of
them and silently replaces the declared record; a snapshot whose `sequences` were lowered by
hand is raised to its highest declared id. Two records with one id are a 400 naming the section,
the index and the id."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from sandbox.testing import Sandbox, Tenant
from sandbox.testing.example import ACTIVE, EXAMPLE_FIXTURE

FROZEN = "2030-01-01T10:00:00.000Z"
CUSTOMER = str(ACTIVE)


def status_entry(entry_id: int) -> dict[str, Any]:
    return {
        "id": entry_id,
        "customer_id": CUSTOMER,
        "label": "Active",
        "status": "ACTIVE",
        "createdOn": "2029-12-01T00:00:00Z",
    }


def goodwill(request_id: int, status: str = "PENDING") -> dict[str, Any]:
    return {
        "id": request_id,
        "customer_id": CUSTOMER,
        "status": status,
        "type": "GOODWILL",
        "base_type": "POINTS",
        "points": 50,
        "requested_on": "2029-12-01T00:00:00Z",
    }


def otp(created_id: int, mobile: str = "919988221100") -> dict[str, Any]:
    return {
        "subject": f"MOBILE:{mobile}:REGISTRATION",
        "code": "123456",
        "created_id": created_id,
        "expires_at": "2030-01-01T10:10:00Z",
    }


def scheduled(item_id: str, due: str = "2030-01-01T11:00:00Z") -> dict[str, Any]:
    work = {
        "account": "1234",
        "trigger_id": 7,
        "original_id": "111",
        "properties": {},
        "opt_out": False,
    }
    return {"id": item_id, "due": due, "vendor": "symplify", "work": work}


def document(**sections: Any) -> dict[str, Any]:
    """The example tenant on a frozen clock, its `capillary` section given `sections`."""
    base = copy.deepcopy(EXAMPLE_FIXTURE)
    scheduled_items = sections.pop("scheduled", None)
    base["capillary"].update(sections)
    base["clock"] = {"now": FROZEN, "frozen": True}
    if scheduled_items is not None:
        base["scheduled"] = scheduled_items
    return base


def v2(tenant: Tenant, http: httpx.Client, method: str, path: str, body: Any) -> Any:
    answer = http.request(method, f"/capillary{path}", json=body, headers=tenant.capillary_auth())
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_status_change_does_not_take_a_declared_log_entry_s_id(sandbox: Sandbox) -> None:
    tenant = sandbox.create_tenant(document(status_log=[status_entry(566_000_001)]))
    created = v2(
        tenant,
        sandbox.http,
        "PUT",
        f"/v2/customers/lookup/status?source=INSTORE&identifierName=id&identifierValue={CUSTOMER}",
        {"reason": "moved", "label": "Suspended"},
    )
    assert created["createdId"] == 566_000_002
    log = tenant.snapshot()["capillary"]["status_log"]
    assert [entry["id"] for entry in log] == [566_000_001, 566_000_002]


def test_a_new_request_does_not_replace_a_declared_one(sandbox: Sandbox) -> None:
    tenant = sandbox.create_tenant(document(requests=[goodwill(13_000_001)]))
    created = v2(
        tenant,
        sandbox.http,
        "POST",
        f"/v2/customer/{CUSTOMER}/goodwillRequest",
        {"baseType": "POINTS", "points": 10},
    )
    assert created["createdId"] == 13_000_002
    requests = tenant.snapshot()["capillary"]["requests"]
    assert [(r["id"], r["points"]) for r in requests] == [(13_000_001, 50), (13_000_002, 10)]


def test_a_new_otp_does_not_take_a_declared_one_s_id(sandbox: Sandbox) -> None:
    tenant = sandbox.create_tenant(document(otps=[otp(10_001, mobile="919353491050")]))
    created = v2(
        tenant,
        sandbox.http,
        "POST",
        "/v2/otp/generate",
        {
            "entityType": "MOBILE",
            "entityValue": "919988221100",
            "action": "REGISTRATION",
            "channels": [{"type": "SMS"}],
        },
    )
    assert created["createdId"] == 10_002


def test_a_new_scheduled_message_does_not_replace_a_declared_one(sandbox: Sandbox) -> None:
    tenant = sandbox.create_tenant(document(scheduled=[scheduled("1")]))
    sent = sandbox.http.post(
        "/symplify/1234/triggers/7/messages",
        json={"originalId": "111", "deliveryTime": "2030-01-01T12:00:00+0000"},
        headers=tenant.symplify_auth(),
    )
    assert sent.status_code == 200, sent.text
    assert [item["id"] for item in tenant.snapshot()["scheduled"]] == ["1", "2"]
    tenant.set_clock(now="2030-01-01T13:00:00Z")
    assert len(tenant.outbox(to="lady_gaga@example.com")) == 2  # both were sent


def test_a_snapshot_with_lowered_sequences_is_raised_past_its_records(sandbox: Sandbox) -> None:
    """Every sequence set to 0 by hand: the copy still gives ids past the records it holds."""
    source = sandbox.create_tenant(
        document(
            status_log=[status_entry(566_000_004)],
            requests=[goodwill(13_000_009)],
            otps=[otp(10_007, mobile="919353491050")],
            scheduled=[scheduled("5")],
        )
    )
    taken = source.snapshot()
    lowered = {**taken, "sequences": dict.fromkeys(taken["sequences"], 0)}
    copy_ = sandbox.create_tenant(lowered)
    auth = copy_.capillary_auth()
    status = sandbox.http.put(
        "/capillary/v2/customers/lookup/status",
        params={"source": "INSTORE", "identifierName": "id", "identifierValue": CUSTOMER},
        json={"reason": "moved", "label": "Suspended"},
        headers=auth,
    )
    assert status.json()["createdId"] == 566_000_005
    request = sandbox.http.post(
        f"/capillary/v2/customer/{CUSTOMER}/goodwillRequest",
        json={"baseType": "POINTS", "points": 10},
        headers=auth,
    )
    assert request.json()["createdId"] == 13_000_010
    sequences = copy_.snapshot()["sequences"]
    assert sequences["otp"] == 10_007
    assert sequences["scheduled"] == 5
    assert sequences["message"] >= int(taken["outbox"][-1]["id"]) if taken["outbox"] else True


def test_messangi_entries_added_after_a_snapshot_keep_their_own_ids(sandbox: Sandbox) -> None:
    """An entry id is the second it was made and a serial: on a frozen clock, a copy whose
    serial was lowered by hand would give a new entry the id of one it holds."""
    source = sandbox.create_tenant(document())
    auth = source.messangi_auth()
    declared = "000000000000000000000001"  # the fixture's first entry: serial 1 of 2
    assert sandbox.http.delete(f"/messangi/subscribers/{declared}", headers=auth).is_success
    for number in range(3):  # serials 3, 4 and 5
        entry = {"to": f"+1415555010{number}", "type": "SMS", "from": "528811", "reason": "STOP"}
        assert sandbox.http.post("/messangi/subscribers", json=entry, headers=auth).is_success
    taken = source.snapshot()
    copy_ = sandbox.create_tenant({**taken, "sequences": {}})
    added = sandbox.http.post(
        "/messangi/subscribers",
        json={"to": "+14155550199", "type": "SMS", "from": "528811", "reason": "STOP"},
        headers=copy_.messangi_auth(),
    )
    ids = [entry["id"] for entry in copy_.snapshot()["messangi"]["blocklist"]]
    assert len(ids) == len(set(ids)) == len(taken["messangi"]["blocklist"]) + 1, added.text


def test_a_new_property_definition_does_not_take_a_declared_id(sandbox: Sandbox) -> None:
    fixture = copy.deepcopy(EXAMPLE_FIXTURE)
    fixture["symplify"]["accounts"][0]["properties"] = [{"id": 40, "name": "tier", "created": 0}]
    tenant = sandbox.create_tenant({**fixture, "sequences": {"symplify_property": 6}})
    csv = "originalId,email,colour\n222,someone@example.com,red\n"
    created = sandbox.http.post(
        "/symplify/1234/lists/42/imports", json={}, headers=tenant.symplify_auth()
    )
    import_id = created.json()["id"]
    posted = sandbox.http.post(
        f"/symplify/1234/lists/42/recipients/{import_id}",
        content=csv,
        headers={**tenant.symplify_auth(), "Content-Type": "text/csv"},
    )
    assert posted.status_code == 200, posted.text
    defined = sandbox.http.get("/symplify/1234/properties", headers=tenant.symplify_auth()).json()
    ids = {p["name"]: p["id"] for p in defined if not p["staticProperty"]}
    assert ids == {"tier": 40, "colour": 41}


DUPLICATES = [
    (document(status_log=[status_entry(5), status_entry(5)]), "capillary.status_log[1].id"),
    (document(requests=[goodwill(9), goodwill(9, "APPROVED")]), "capillary.requests[1].id"),
    (
        document(otps=[otp(3), {**otp(4), "subject": otp(3)["subject"]}]),
        "capillary.otps[1].subject",
    ),
    (
        document(otps=[otp(3, mobile="919353491050"), otp(3)]),
        "capillary.otps[1].created_id",
    ),
    (document(scheduled=[scheduled("2"), scheduled("2")]), "scheduled[1].id"),
    # one subject written two ways: the load reads both into one key, which the second
    # would silently take (its first record dropped)
    (
        document(otps=[otp(3), otp(4, mobile="+91 99882 21100")]),
        "capillary.otps[1].subject",
    ),
    (
        document(otps=[otp(3), otp(4, mobile="09988221100")]),
        "capillary.otps[1].subject",
    ),
    (
        document(
            otps=[
                {**otp(3), "subject": "EMAIL:tom@example.com:LOGIN"},
                {**otp(4), "subject": "EMAIL:Tom <TOM@Example.com.>:LOGIN"},
            ]
        ),
        "capillary.otps[1].subject",
    ),
]


@pytest.mark.parametrize(("declared", "field"), DUPLICATES)
def test_two_records_with_one_id_are_refused_naming_the_second(
    http: httpx.Client, declared: dict[str, Any], field: str
) -> None:
    name = f"/_sandbox/tenants/duplicated-{field.replace('[', '-').replace(']', '')}"
    answer = http.put(name, json=declared)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["field"] == field, error
    assert "repeated" in error["message"]
    assert http.get(name).status_code == 404


def test_two_property_definitions_with_one_id_or_name_are_refused(http: httpx.Client) -> None:
    for repeated, field in (
        ({"id": 40, "name": "size", "created": 0}, "id"),
        ({"id": 41, "name": "tier", "created": 0}, "name"),
    ):
        fixture = copy.deepcopy(EXAMPLE_FIXTURE)
        fixture["symplify"]["accounts"][0]["properties"] = [
            {"id": 40, "name": "tier", "created": 0},
            repeated,
        ]
        answer = http.put(f"/_sandbox/tenants/duplicated-property-{field}", json=fixture)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["field"] == f"symplify.accounts[0].properties[1].{field}"
