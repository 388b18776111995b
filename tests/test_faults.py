"""Injected faults and rate limits (docs/contract.md section 7), in-process and on a real server."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_durability import server  # tests/ is on sys.path (pytest rootdir-less test modules)

from sandbox.faults import draw
from sandbox.testing import Sandbox, Tenant, in_process
from sandbox.testing.example import EXAMPLE_FIXTURE as FIXTURE
from sandbox.testing.messangi import SENDS

SEND = "/capillary/v2/communications/sendMessage"
ACTIVE_MOBILE = "919988221100"


def send_sms(tenant: Tenant) -> httpx.Response:
    return tenant.http.post(
        SEND, json={"sms": [{"to": ACTIVE_MOBILE, "body": "hi"}]}, headers=tenant.capillary_auth()
    )


def put_fault(tenant: Tenant, operation_id: str, **spec: Any) -> httpx.Response:
    return tenant.http.put(f"{tenant.control}/faults/{operation_id}", json=spec)


def test_a_fault_answers_its_status_the_next_times_calls_and_changes_nothing(
    tenant: Tenant,
) -> None:
    created = put_fault(tenant, "sendMessage", status=503, times=2)
    assert created.status_code == 201
    assert created.json() == {
        "operationId": "sendMessage",
        "vendor": "capillary",
        "status": 503,
        "times": 2,
        "latency_ms": 0,
        "probability": 1.0,
        "seed": 0,
        "remaining": 2,
        "calls": 0,
        "faulted": 0,
    }
    answers = [send_sms(tenant) for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 200]
    error = answers[0].json()["errors"][0]  # Capillary v2's envelope
    assert error["code"] == 503 and "sendMessage" in error["message"]
    assert len(tenant.outbox()) == 1  # only the call that went ahead sent anything
    fault = tenant.http.get(f"{tenant.control}/faults/sendMessage").json()
    assert (fault["remaining"], fault["calls"], fault["faulted"]) == (0, 2, 2)
    journal = tenant.http.get(f"{tenant.control}/requests", params={"limit": 3}).json()
    assert [e["status"] for e in journal["items"]] == [200, 503, 503]


def test_a_fault_comes_before_validation_and_only_touches_its_operation(tenant: Tenant) -> None:
    put_fault(tenant, "sendMessage", status=500)
    malformed = tenant.http.post(
        SEND, content=b"{not json", headers={**tenant.capillary_auth(), "content-type": "x"}
    )
    assert malformed.status_code == 500  # an outage answers whatever the request
    other = tenant.http.get(
        "/capillary/v2/customers/lookup",
        params={"source": "INSTORE", "identifierName": "mobile", "identifierValue": ACTIVE_MOBILE},
        headers=tenant.capillary_auth(),
    )
    assert other.status_code == 200
    wrong_credentials = tenant.http.post(
        SEND, json={"sms": []}, headers={"Authorization": "Basic bm86bm8="}
    )
    assert wrong_credentials.status_code == 401  # no tenant, so no fault


def test_faults_belong_to_their_tenant(sandbox: Sandbox, tenant: Tenant) -> None:
    other = sandbox.create_tenant(FIXTURE)
    try:
        put_fault(tenant, "sendMessage", status=503)
        assert send_sms(other).status_code == 200
        assert send_sms(tenant).status_code == 503
    finally:
        other.delete()


@pytest.mark.parametrize(
    ("operation_id", "call", "envelope"),
    [
        ("sendSms", "messangi", lambda body: body["data"] is None and "explain" in body["meta"]),
        ("sendToList", "symplify", lambda body: body["status"] == 429 and "error" in body),
    ],
)
def test_faults_answer_in_each_vendors_envelope(
    tenant: Tenant, operation_id: str, call: str, envelope: Any
) -> None:
    put_fault(tenant, operation_id, status=429, times=1)
    if call == "messangi":
        path, body = SENDS["SMS"]
        answer = tenant.http.post(
            path,
            json={**body, "from": "528811", "to": "+525500000001"},
            headers=tenant.messangi_auth(),
        )
    else:
        answer = tenant.http.post(
            "/symplify/1234/lists/42/send",
            json={"subject": "s", "body": "b"},
            headers=tenant.symplify_auth(),
        )
    assert answer.status_code == 429
    assert envelope(answer.json())
    assert tenant.outbox() == []


def test_a_login_is_faulted_once_its_credentials_name_the_tenant(tenant: Tenant) -> None:
    put_fault(tenant, "login", status=503, times=1)
    creds = tenant.credentials["messangi"]
    login = {"username": creds["username"], "password": creds["password"]}
    wrong = tenant.http.post("/messangi/kingslanding/login", json={**login, "password": "x"})
    assert wrong.status_code == 401  # whose tenant is unknown: not counted
    assert tenant.http.post("/messangi/kingslanding/login", json=login).status_code == 503
    assert tenant.http.post("/messangi/kingslanding/login", json=login).status_code == 200


def test_a_seeded_probability_repeats_exactly(sandbox: Sandbox) -> None:
    def run() -> list[int]:
        tenant = sandbox.create_tenant(FIXTURE)
        try:
            put_fault(tenant, "sendMessage", status=503, probability=0.5, seed=7, times=20)
            return [send_sms(tenant).status_code for _ in range(22)]
        finally:
            tenant.delete()

    first = run()
    assert first == run()
    expected = [503 if draw(7, n) < 0.5 else 200 for n in range(20)] + [200, 200]
    assert first == expected
    assert 0 < first.count(503) < 20  # a share, not all or none


def test_latency_delays_the_answer(tenant: Tenant) -> None:
    put_fault(tenant, "sendMessage", status=504, latency_ms=200, times=1)
    started = time.monotonic()
    assert send_sms(tenant).status_code == 504
    assert time.monotonic() - started >= 0.2  # a lower bound: the injected wait happened


def test_status_0_drops_the_connection_in_process(tenant: Tenant) -> None:
    put_fault(tenant, "sendMessage", status=0, times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        send_sms(tenant)
    assert tenant.outbox() == []
    assert send_sms(tenant).status_code == 200


def test_listing_replacing_and_clearing_faults(tenant: Tenant) -> None:
    assert put_fault(tenant, "sendMessage", status=503).status_code == 201
    replaced = put_fault(tenant, "sendMessage", status=502, times=3)
    assert replaced.status_code == 200 and replaced.json()["remaining"] == 3
    put_fault(tenant, "sendSms", status=500)
    listed = tenant.http.get(f"{tenant.control}/faults").json()["faults"]
    assert [(f["operationId"], f["status"]) for f in listed] == [
        ("sendMessage", 502),
        ("sendSms", 500),
    ]
    assert tenant.http.delete(f"{tenant.control}/faults/sendSms").status_code == 204
    assert tenant.http.delete(f"{tenant.control}/faults/sendSms").status_code == 204
    assert tenant.http.get(f"{tenant.control}/faults/sendSms").status_code == 404
    assert tenant.http.delete(f"{tenant.control}/faults").status_code == 204
    assert tenant.http.get(f"{tenant.control}/faults").json() == {"faults": []}
    assert send_sms(tenant).status_code == 200


@pytest.mark.parametrize(
    ("operation_id", "spec", "field"),
    [
        ("noSuchOperation", {"status": 503}, "operationId"),
        ("listOutbox", {"status": 503}, "operationId"),  # the control plane is not faultable
        ("sendMessage", {}, "status"),
        ("sendMessage", {"status": 200}, "status"),
        ("sendMessage", {"status": 600}, "status"),
        ("sendMessage", {"status": 503, "times": 0}, "times"),
        ("sendMessage", {"status": 503, "probability": 1.5}, "probability"),
        ("sendMessage", {"status": 503, "latency_ms": -1}, "latency_ms"),
        ("sendMessage", {"status": 503, "retries": 1}, "retries"),
    ],
)
def test_bad_faults_are_refused_naming_the_field(
    tenant: Tenant, operation_id: str, spec: dict[str, Any], field: str
) -> None:
    answer = put_fault(tenant, operation_id, **spec)
    # an operationId that is no vendor's names nothing that could have a fault: 404
    assert answer.status_code == (404 if field == "operationId" else 400)
    assert answer.json()["error"]["field"] == field
    assert tenant.http.get(f"{tenant.control}/faults").json() == {"faults": []}


def test_reset_clears_faults_and_rate_limits(tenant: Tenant) -> None:
    put_fault(tenant, "sendMessage", status=503)
    tenant.http.put(f"{tenant.control}/settings", json={"rate_limits": {"capillary": 1}})
    tenant.http.post(f"{tenant.control}/reset")
    assert tenant.http.get(f"{tenant.control}/faults").json() == {"faults": []}
    assert tenant.http.get(f"{tenant.control}/settings").json()["rate_limits"] == {}
    assert [send_sms(tenant).status_code for _ in range(2)] == [200, 200]


def test_rate_limit_per_minute_on_the_tenant_clock(tenant: Tenant) -> None:
    tenant.set_clock(now="2026-11-23T10:00:00Z", frozen=True)
    assert tenant.set_rate_limits(capillary=3)["rate_limits"] == {"capillary": 3}
    answers = [send_sms(tenant) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.headers["Retry-After"] == "60"
    assert refused.json()["errors"][0]["code"] == 429
    assert len(tenant.outbox()) == 3  # the refused call sent nothing
    # other vendors are not limited; the clock, not the wall, opens the next window
    assert tenant.http.get("/symplify/1234/lists", headers=tenant.symplify_auth()).is_success
    tenant.advance_clock(45)
    assert send_sms(tenant).headers["Retry-After"] == "15"
    tenant.advance_clock(15)
    assert send_sms(tenant).status_code == 200


def test_rate_limits_are_replaced_as_a_whole_and_validated(tenant: Tenant) -> None:
    control = tenant.control
    tenant.http.put(f"{control}/settings", json={"rate_limits": {"capillary": 1, "messangi": 5}})
    replaced = tenant.http.put(f"{control}/settings", json={"rate_limits": {"messangi": None}})
    assert replaced.json()["rate_limits"] == {}
    for bad, field in [({"capillary": 0}, "rate_limits.capillary"), ({"twilio": 5}, "twilio")]:
        answer = tenant.http.put(f"{control}/settings", json={"rate_limits": bad})
        assert answer.status_code == 400
        assert field in answer.json()["error"]["field"]
    assert tenant.http.get(f"{control}/settings").json()["rate_limits"] == {}


def test_faults_survive_a_restart_and_drop_real_connections(tmp_path: Path) -> None:
    with server(tmp_path) as (_, client):
        tenant = Sandbox(client).create_tenant(FIXTURE, name="faulty")
        assert put_fault(tenant, "sendMessage", status=503, times=2).status_code == 201
        assert send_sms(tenant).status_code == 503
    with server(tmp_path) as (_, client):  # killed with -9 in between
        document = client.get("/_sandbox/tenants/faulty").json()
        tenant = Tenant("faulty", document["credentials"], client)
        assert send_sms(tenant).status_code == 503  # one left, not re-armed to two
        assert send_sms(tenant).status_code == 200
        put_fault(tenant, "sendMessage", status=0, times=1)
        with pytest.raises(httpx.RemoteProtocolError):
            send_sms(tenant)
        assert send_sms(tenant).status_code == 200  # a new connection is served as usual


def test_in_process_sandbox_keeps_faults_per_app() -> None:
    with in_process() as first, in_process() as second:
        a, b = first.create_tenant(FIXTURE, name="same"), second.create_tenant(FIXTURE, name="same")
        a.set_fault("sendMessage", 503)
        assert send_sms(b).status_code == 200
        assert send_sms(a).status_code == 503
        a.clear_faults()
        assert send_sms(a).status_code == 200
