"""The integrator's requests, urllib3 and sbcommons code under `comms_sandbox`: no server, no
conftest.py, no change to the code."""

from __future__ import annotations

import crm_sync
import pytest
import requests

from sandbox.testing.network import NetworkBlocked


@pytest.mark.comms_sandbox(fixture="shop.yaml")
def test_requests_with_a_retrying_session(comms_sandbox):
    tenant = comms_sandbox.tenant
    tenant.set_fault("sendMessage", 503, times=1)  # retried by the session's adapter
    assert crm_sync.send_receipt_sms(tenant.capillary_auth(), "919353491050").status_code == 200
    tenant.assert_suppressed(to="919353491050", reason="CUSTOMER_STATUS_BLOCKED", count=1)


@pytest.mark.comms_sandbox(fixture="shop.yaml")
def test_urllib3(comms_sandbox):
    tenant = comms_sandbox.tenant
    answer = crm_sync.send_alert_sms(tenant.messangi_auth(), "141555549", "525500000000")
    assert answer.json()["data"]["status"] == "ACCEPTED"
    tenant.assert_suppressed(to="+525500000000", reason="SENDER_BLOCKLISTED")


@pytest.mark.comms_sandbox(fixture="shop.yaml")
def test_sbcommons_imports_and_cleans_a_list(comms_sandbox):
    tenant = comms_sandbox.tenant
    token = tenant.symplify_auth()["X-Carma-Authentication-Token"]

    def contacts():
        listed = comms_sandbox.http.get(
            "/symplify/1234/lists/42/contacts/all", headers=tenant.symplify_auth()
        )
        return [(c["originalId"], c["emailAddress"]) for c in listed.json()]

    csv = b"originalId,emailAddress\n111,gaga@example.com\n555,dee@example.com\n"
    assert crm_sync.import_newsletter_list(token, "1234", 42, csv) is True
    assert contacts() == [("111", "gaga@example.com"), ("555", "dee@example.com")]
    assert crm_sync.clean_newsletter_list(token, "1234", 42) is True
    assert contacts() == []


@pytest.mark.comms_sandbox_block_network
def test_nothing_leaves_but_for_the_vendors(comms_sandbox):
    tenant = comms_sandbox.create_tenant()
    with pytest.raises(NetworkBlocked):
        requests.get("https://api.example.com/orders/1")
    unknown = requests.get(
        "https://eu.api.capillarytech.com/v2/communication/sendMesage",
        headers=tenant.capillary_auth(),
    )
    assert unknown.status_code == 404  # the sandbox's, naming what it emulates
    assert "the nearest emulated: POST /capillary/v2/communications/sendMessage" in unknown.text
