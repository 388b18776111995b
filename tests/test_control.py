"""The control plane (docs/contract.md sections 2-4): tenants, fixtures, outbox, clock, journal."""

from __future__ import annotations

import base64

import httpx
import yaml

from sandbox.testing import Sandbox, Tenant
from sandbox.testing.example import ACTIVE, BLOCKED
from sandbox.testing.example import EXAMPLE_FIXTURE as FIXTURE


def basic(username: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


SEND = "/capillary/v2/communications/sendMessage"


def send_sms(tenant: Tenant, to: str, **item: str) -> httpx.Response:
    return tenant.http.post(
        SEND, json={"sms": [{"to": to, "body": "hello", **item}]}, headers=tenant.capillary_auth()
    )


def test_health(http: httpx.Client) -> None:
    assert http.get("/_sandbox/health").json() == {"status": "ok"}


def test_demo_tenant_exists_with_the_documented_credentials(http: httpx.Client) -> None:
    demo = http.get("/_sandbox/tenants/demo").json()
    assert demo["credentials"]["capillary"]["username"] == "demo_till"
    assert demo["credentials"]["capillary"]["password"] == "demo-password"
    assert demo["credentials"]["messangi"]["value"] == "Bearer demo-messangi-key"
    assert demo["credentials"]["symplify"]["value"] == "demo-symplify-token"


def test_create_then_replace_keeps_credentials_and_drops_state(sandbox: Sandbox) -> None:
    created = sandbox.http.put("/_sandbox/tenants/acme", json=FIXTURE)
    assert created.status_code == 201
    tenant = Tenant("acme", created.json()["credentials"], sandbox.http)
    send_sms(tenant, "919988221100")
    replaced = sandbox.http.put("/_sandbox/tenants/acme", json={"capillary": {"customers": []}})
    assert replaced.status_code == 200
    assert replaced.json()["credentials"] == created.json()["credentials"]
    assert tenant.outbox() == []
    lookup = sandbox.http.get(
        "/capillary/v2/customers/lookup",
        params={"source": "INSTORE", "identifierName": "mobile", "identifierValue": "919988221100"},
        headers=tenant.capillary_auth(),
    )
    assert lookup.json()["errors"][0]["code"] == 8015
    tenant.delete()


def test_fixture_in_yaml(http: httpx.Client) -> None:
    response = http.put(
        "/_sandbox/tenants/yaml-one",
        content=yaml.safe_dump(FIXTURE),
        headers={"Content-Type": "application/yaml"},
    )
    assert response.status_code == 201
    auth = basic(
        response.json()["credentials"]["capillary"]["username"],
        response.json()["credentials"]["capillary"]["password"],
    )
    customer = http.get(
        "/capillary/v2/customers/565039505", params={"source": "INSTORE"}, headers=auth
    )
    assert customer.json()["id"] == BLOCKED
    http.delete("/_sandbox/tenants/yaml-one")


def test_unknown_fixture_key_is_a_400_naming_its_path(http: httpx.Client) -> None:
    bad = {"capillary": {"customers": [{"mobile": "919000000001", "colour": "red"}]}}
    response = http.put("/_sandbox/tenants/bad-fixture", json=bad)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "capillary.customers[0].colour"
    assert http.get("/_sandbox/tenants/bad-fixture").status_code == 404


def test_fixture_cross_references_are_checked(http: httpx.Client) -> None:
    unknown_label = {"capillary": {"customers": [{"mobile": "919000000001", "status_label": "X"}]}}
    response = http.put("/_sandbox/tenants/bad-label", json=unknown_label)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "capillary.customers[0].status_label"
    twice = {"capillary": {"customers": [{"mobile": "919000000001"}, {"mobile": "+91 9000000001"}]}}
    response = http.put("/_sandbox/tenants/bad-dup", json=twice)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "capillary.customers[1].mobile"


def test_bad_tenant_names_and_unknown_tenants(http: httpx.Client) -> None:
    assert http.put("/_sandbox/tenants/-bad", json={}).status_code == 400
    assert http.get("/_sandbox/tenants/nobody").status_code == 404
    assert http.get("/_sandbox/tenants/nobody/outbox").json()["error"]["code"] == "NOT_FOUND"


def test_tenants_are_isolated(sandbox: Sandbox) -> None:
    one, two = sandbox.create_tenant(FIXTURE), sandbox.create_tenant({})
    assert send_sms(one, "919988221100").status_code == 200
    assert two.outbox() == []
    lookup = sandbox.http.get(
        "/capillary/v2/customers/565039506",
        params={"source": "INSTORE"},
        headers=two.capillary_auth(),
    )
    assert lookup.json()["errors"][0]["code"] == 8015
    one.set_clock(now="2030-01-01T00:00:00Z", frozen=True)
    assert sandbox.http.get(f"{two.control}/clock").json()["frozen"] is False


def test_deleted_tenant_loses_its_credentials(sandbox: Sandbox) -> None:
    tenant = sandbox.create_tenant(FIXTURE)
    deleted = sandbox.http.delete(tenant.control)
    assert deleted.status_code == 204 and deleted.content == b""  # HTTP forbids a 204 body
    assert send_sms(tenant, "919988221100").status_code == 401
    assert sandbox.http.delete(tenant.control).status_code == 404


def test_reset_restores_the_fixture_and_real_time(tenant: Tenant) -> None:
    relabel = tenant.http.put(
        "/capillary/v2/customers/lookup/status",
        params={"source": "INSTORE", "identifierName": "id", "identifierValue": str(BLOCKED)},
        json={"reason": "cleared", "label": "Active"},
        headers=tenant.capillary_auth(),
    )
    assert relabel.status_code == 200
    send_sms(tenant, "919353491050")
    tenant.set_clock(now="2030-01-01T00:00:00Z", frozen=True)
    assert tenant.http.post(f"{tenant.control}/reset").status_code == 200
    assert tenant.outbox() == []
    assert tenant.http.get(f"{tenant.control}/clock").json()["frozen"] is False
    send_sms(tenant, "919353491050")
    assert tenant.outbox()[0]["reason"] == "CUSTOMER_STATUS_BLOCKED"


def test_status_label_changes_at_run_time(tenant: Tenant) -> None:
    send_sms(tenant, "919988221100")
    label = tenant.http.put(
        f"{tenant.control}/capillary/status-labels/Active", json={"block_communications": True}
    )
    assert label.json() == {"name": "Active", "status": "ACTIVE", "block_communications": True}
    send_sms(tenant, "919988221100")
    assert [m["status"] for m in tenant.outbox()] == ["SUPPRESSED", "DELIVERED"]


def test_outbox_filters_and_paging(tenant: Tenant) -> None:
    send_sms(tenant, "919353491050")
    send_sms(tenant, "+91 99882 21100")
    send_sms(tenant, "919988221100", priority="BULK")
    assert len(tenant.outbox()) == 3
    assert [m["customer_id"] for m in tenant.outbox(status="SUPPRESSED")] == [str(BLOCKED)]
    assert len(tenant.outbox(to="919988221100")) == 2  # the same number however written
    assert len(tenant.outbox(customer_id=str(ACTIVE))) == 2
    assert len(tenant.outbox(category="PROMOTIONAL")) == 1
    assert tenant.outbox(reason="CUSTOMER_STATUS_BLOCKED")[0]["to"] == "919353491050"
    assert tenant.outbox(operation="sendMessage", vendor="capillary", channel="SMS")
    page = tenant.http.get(f"{tenant.control}/outbox", params={"limit": 1, "offset": 1}).json()
    assert page["total"] == 3 and len(page["items"]) == 1
    # the middle one, sent to "+91 99882 21100": recorded as Capillary holds the number
    assert (page["items"][0]["to"], page["items"][0]["priority"]) == ("919988221100", "TRANS")
    bad = tenant.http.get(f"{tenant.control}/outbox", params={"status": "LOST"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "status"


def test_outbox_message_by_id_and_clearing(tenant: Tenant) -> None:
    send_sms(tenant, "919353491050")
    message = tenant.outbox()[0]
    one = tenant.http.get(f"{tenant.control}/outbox/{message['id']}").json()
    assert one == message and one["decision"][0]["rule"] == "customer_status_block"
    assert tenant.http.get(f"{tenant.control}/outbox/nope").status_code == 404
    assert tenant.http.delete(f"{tenant.control}/outbox").status_code == 204
    assert tenant.outbox() == []


def test_clock_set_freeze_advance(tenant: Tenant) -> None:
    frozen = tenant.set_clock(now="2026-02-01T12:00:00Z", frozen=True)
    assert frozen == {"now": "2026-02-01T12:00:00.000Z", "frozen": True}
    assert tenant.advance_clock(3600)["now"] == "2026-02-01T13:00:00.000Z"
    send_sms(tenant, "919988221100")
    assert tenant.outbox()[0]["created_at"] == "2026-02-01T13:00:00.000Z"
    bad = tenant.http.put(f"{tenant.control}/clock", json={"now": "soon"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "now"
    assert (
        tenant.http.post(f"{tenant.control}/clock/advance", json={"seconds": -5}).status_code == 400
    )
    assert tenant.http.put(f"{tenant.control}/clock", json={}).status_code == 400


def test_request_journal(tenant: Tenant) -> None:
    send_sms(tenant, "919353491050")
    tenant.http.post(SEND, content=b"{", headers=tenant.capillary_auth())
    entries = tenant.http.get(f"{tenant.control}/requests", params={"limit": 2}).json()["items"]
    assert [(e["operationId"], e["status"]) for e in entries] == [
        ("sendMessage", 400),
        ("sendMessage", 200),
    ]
    assert entries[1]["message_ids"] == [tenant.outbox()[0]["id"]]


def test_outbox_retention_setting(tenant: Tenant) -> None:
    settings = tenant.http.put(f"{tenant.control}/settings", json={"outbox_retention": 2})
    assert settings.json() == {"outbox_retention": 2, "rate_limits": {}}
    for _ in range(3):
        send_sms(tenant, "919988221100")
    assert len(tenant.outbox()) == 2
    unknown = tenant.http.put(f"{tenant.control}/settings", json={"retention": 2})
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "retention"


def test_openapi_documents_are_served(http: httpx.Client) -> None:
    response = http.get("/openapi/capillary.yaml")
    assert response.status_code == 200
    assert yaml.safe_load(response.text)["openapi"] == "3.1.0"
    assert http.get("/openapi/nothing.yaml").status_code == 404


def test_unknown_control_path_is_a_404_in_the_control_envelope(http: httpx.Client) -> None:
    response = http.get("/_sandbox/nope")
    assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"


def test_every_path_is_answered_in_its_vendors_envelope(http: httpx.Client) -> None:
    newline = http.get("/_sandbox/tenants/a%0Ab/clock")
    assert newline.status_code == 400 and newline.json()["error"]["field"] == "tenant"
    v11 = http.get("/capillary/v1.1/customer/add")  # a POST-only path
    assert v11.status_code == 405 and v11.headers["allow"] == "POST"
    assert v11.json()["response"]["status"]["code"] == 405
    unknown_v11 = http.get("/capillary/v1.1/nothing/here")
    assert unknown_v11.status_code == 404 and "response" in unknown_v11.json()
    trace = http.request("TRACE", "/_sandbox/health")
    assert trace.status_code == 405 and trace.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    elsewhere = http.get("/nowhere")
    assert elsewhere.status_code == 404 and elsewhere.json()["error"]["code"] == "NOT_FOUND"


def test_the_clock_stays_within_the_calendar(tenant: Tenant) -> None:
    early = tenant.http.put(f"{tenant.control}/clock", json={"now": "0999-06-01T00:00:00Z"})
    assert early.status_code == 400 and early.json()["error"]["field"] == "now"
    edge = tenant.http.put(f"{tenant.control}/clock", json={"now": "9999-12-31T23:59:59-23:59"})
    assert edge.status_code == 400
    tenant.set_clock(now="9000-12-31T00:00:00Z", frozen=True)
    far = tenant.http.post(f"{tenant.control}/clock/advance", json={"seconds": 3153600000})
    assert far.status_code == 400 and far.json()["error"]["field"] == "seconds"
    assert tenant.http.get(f"{tenant.control}/clock").json()["now"] == "9000-12-31T00:00:00.000Z"
