"""An integrator's tests: the `comms_sandbox` fixture, no conftest.py."""

from __future__ import annotations

import asyncio

import pytest
import shop

FIXTURE = {
    "capillary": {
        "status_labels": [
            {"name": "Suspended", "status": "SUSPENDED", "block_communications": True}
        ],
        "customers": [{"id": 565039505, "mobile": "919353491050", "status_label": "Suspended"}],
    }
}


def test_blocked_customer_gets_nothing(comms_sandbox):
    tenant = comms_sandbox.create_tenant(FIXTURE)
    answer = shop.send_shipping_sms(tenant.capillary_auth(), "919353491050")
    assert answer.status_code == 200  # Capillary answers its normal success either way
    assert tenant.outbox()[0]["reason"] == "CUSTOMER_STATUS_BLOCKED"
    tenant.assert_suppressed(to="919353491050", reason="CUSTOMER_STATUS_BLOCKED")
    tenant.assert_nothing_delivered()


@pytest.mark.comms_sandbox(fixture="shop.yaml", clock="2020-01-31T12:00:00Z")
def test_the_marker_declares_the_tenant_and_its_clock(comms_sandbox):
    tenant = comms_sandbox.tenant
    assert tenant.clock() == {"now": "2020-01-31T12:00:00.000Z", "frozen": True}
    tenant.assert_nothing_sent()
    shop.send_shipping_sms(tenant.capillary_auth(), "919988221100")
    [delivered] = tenant.assert_delivered(to="+91 99882 21100")
    assert delivered["created_at"] == "2020-01-31T12:00:00.000Z"


@pytest.mark.comms_sandbox(fixture="shop.yaml")
def test_an_async_client_reaches_messangi(comms_sandbox):
    tenant = comms_sandbox.tenant
    answer = asyncio.run(shop.send_promo_sms(tenant.messangi_auth(), "141555549", "525500000000"))
    assert answer.json()["data"]["status"] == "ACCEPTED"
    tenant.assert_suppressed(to="+525500000000", reason="SENDER_BLOCKLISTED")
    # the sender is a filter, a count is checked, a typo fails (in-process and live alike)
    tenant.assert_suppressed(from_="141555549", to="+525500000000", count=1)
    tenant.assert_nothing_sent(**{"from": "528811"})
    with pytest.raises(TypeError, match="unknown filter 'vendr'; did you mean 'vendor'"):
        tenant.assert_suppressed(to="+525500000000", vendr="messangi")


@pytest.mark.comms_sandbox(fixture="shop.yaml", clock="2020-01-31T12:00:00Z")
def test_symplify_hosts_and_their_rest_base_path(comms_sandbox):
    tenant = comms_sandbox.tenant
    token = tenant.symplify_auth()
    assert shop.pause_newsletter(token, "1234", "111", "2020-02-01") == 200
    assert shop.send_newsletter(token, "1234", "42") == 200
    tenant.assert_suppressed(to="lady_gaga@example.com", reason="CONTACT_TEMP_BLOCKED")
    tenant.assert_delivered(to="tom@example.com")


def test_a_failed_assertion_shows_the_decision_trace(comms_sandbox):
    tenant = comms_sandbox.create_tenant(FIXTURE)
    shop.send_shipping_sms(tenant.capillary_auth(), "919353491050")
    with pytest.raises(AssertionError) as failure:
        tenant.assert_delivered(to="919353491050")
    text = str(failure.value)
    assert "expected a delivered message (to='919353491050')" in text
    assert "SUPPRESSED CUSTOMER_STATUS_BLOCKED" in text
    assert "customer_status_block: suppress - status label 'Suspended'" in text


CREATED: list[str] = []


def test_a_tenant_lives_while_its_test_runs(comms_sandbox):
    CREATED.append(comms_sandbox.create_tenant().name)
    assert CREATED[0] in comms_sandbox.http.get("/_sandbox/tenants").json()["tenants"]


def test_and_is_deleted_after_it(comms_sandbox):
    assert (
        CREATED and CREATED[0] not in comms_sandbox.http.get("/_sandbox/tenants").json()["tenants"]
    )
