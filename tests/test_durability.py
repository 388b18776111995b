"""An acknowledged write survives kill -9 of the server and a restart on the same data dir;
so do signed keys (Capillary tokens, Messangi login keys)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from live_server import server

from sandbox.testing import Sandbox
from sandbox.testing.example import EXAMPLE_FIXTURE as FIXTURE


def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    with server(tmp_path) as (process, client):
        tenant = Sandbox(client).create_tenant(FIXTURE, name="durable")
        auth = tenant.capillary_auth()
        acknowledged = []
        for number in range(50):
            response = client.post(
                "/capillary/v2/communications/sendMessage",
                json={"sms": [{"to": "919988221100", "body": f"message {number}"}]},
                headers=auth,
            )
            assert response.status_code == 200
            acknowledged.append(f"message {number}")
        added = client.post(
            "/capillary/v2/customers",
            json={"profiles": [{"identifiers": [{"type": "mobile", "value": "919000000042"}]}]},
            headers=auth,
        )
        new_id = added.json()["createdId"]
        messangi = tenant.messangi_auth()
        entry = {"to": "+14155550100", "reason": "UNSUBSCRIBED", "type": "SMS", "from": "528811"}
        entry_id = client.post("/messangi/subscribers", json=entry, headers=messangi).json()
        removed = client.delete("/messangi/subscribers/000000000000000000000001", headers=messangi)
        assert removed.status_code == 200
        client.put(f"{tenant.control}/clock", json={"now": "2030-01-01T00:00:00Z", "frozen": True})
        login = client.post(  # a key valid for 24 hours of the (frozen) tenant clock
            "/messangi/kingslanding/login",
            json={k: tenant.credentials["messangi"][k] for k in ("username", "password")},
        )
        login_key = {"Authorization": login.headers["authorization"]}
        blocked = client.put(  # until the end of 2030-01-02 on the frozen tenant clock
            "/symplify/1234/lists/contacts/tempblock",
            json={
                "findBy": "ORIGINALID",
                "listId": "42",
                "searchValue": "111",
                "blockUntil": "2030-01-02",
            },
            headers=tenant.symplify_auth(),
        )
        assert blocked.status_code == 200
        os.killpg(process.pid, signal.SIGKILL)  # no shutdown hook runs
        process.wait()

    with server(tmp_path) as (_, client):
        outbox = client.get(f"{tenant.control}/outbox", params={"limit": 1000}).json()
        assert sorted(m["body"] for m in outbox["items"]) == sorted(acknowledged)
        customer = client.get(
            f"/capillary/v2/customers/{new_id}", params={"source": "INSTORE"}, headers=auth
        )
        assert customer.status_code == 200
        lookup = {"type": "SMS", "from": "528811", "listType": "BLACK", "to": "14155550100"}
        found = client.get("/messangi/subscribers", params=lookup, headers=login_key)
        assert found.json()["data"]["id"] == entry_id["data"]["id"]  # the login key survives too
        lookup.update({"from": "141555549", "to": "+525500000000"})
        assert (
            client.get("/messangi/subscribers", params=lookup, headers=login_key).status_code == 404
        )
        assert client.get(f"{tenant.control}/clock").json() == {
            "now": "2030-01-01T00:00:00.000Z",
            "frozen": True,
        }
        status = client.get(
            "/symplify/1234/lists/contacts/tempblock",
            params={"findBy": "ORIGINALID", "listId": "42", "searchValue": "111"},
            headers=tenant.symplify_auth(),
        )
        assert status.json()["blockUntil"] == "2030-01-02"
        assert client.get("/_sandbox/tenants/demo").status_code == 200
