"""What a failing request does not undo (docs/contract.md section 13): scheduled items that
fell due before it, delivered at its start, and the counters of the fault that stopped it."""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from symplify.helpers import FIXTURE as SYMPLIFY

from sandbox import schedule
from sandbox.catalog import Catalog
from sandbox.errors import StorageUnavailable
from sandbox.request_log import RequestLogs
from sandbox.store import TenantData
from sandbox.store import files as files_module
from sandbox.store.files import files_of
from sandbox.store.journal import Journal
from sandbox.store.unit import open_unit
from sandbox.testing import Sandbox, Tenant, in_process
from sandbox.testing.example import EXAMPLE_FIXTURE
from sandbox.vendors import VENDORS


@pytest.fixture
def shop(sandbox: Sandbox) -> Iterator[Tenant]:
    made = sandbox.create_tenant(SYMPLIFY)
    made.set_clock(now="2020-01-15T09:00:00Z", frozen=True)
    yield made
    made.delete()


def stored(sandbox: Sandbox, tenant: Tenant) -> TenantData:
    found: TenantData | None = sandbox.caller.app.store.get(tenant.name)  # type: ignore[union-attr]
    assert found is not None
    return found


def due_trigger(sandbox: Sandbox, shop: Tenant) -> TenantData:
    """A trigger message due at 10:00, the clock at 11:00, and no look for due items since."""
    fired = sandbox.http.post(
        "/symplify/1234/triggers/7/messages",
        json={"originalId": "111", "deliveryTime": "2020-01-15T10:00:00+0000"},
        headers=shop.symplify_auth(),
    )
    assert fired.status_code == 200, fired.text
    shop.advance_clock(7200)  # (its look for due items came before the clock moved)
    data = stored(sandbox, shop)
    assert len(data["scheduled"]) == 1 and not len(data["messages"])
    return data


def test_items_delivered_at_the_start_of_a_refused_request_stay_delivered(
    sandbox: Sandbox, shop: Tenant
) -> None:
    data = due_trigger(sandbox, shop)
    refused = sandbox.http.put(f"{shop.control}/settings", json={"webhook_url": "not a url"})
    assert refused.status_code == 400  # after its look delivered the due item
    assert not len(data["scheduled"])  # read from the store: no look of its own
    [message] = data["messages"].values()
    assert message["created_at"] == "2020-01-15T10:00:00.000Z"


def test_a_look_for_due_items_in_the_middle_of_a_requests_writes_waits(
    sandbox: Sandbox, shop: Tenant
) -> None:
    data = due_trigger(sandbox, shop)
    due = Catalog.of(VENDORS).due  # the app's vendors' deliveries
    with open_unit():
        tx = data.begin()
        tx.put("meta", {"id": "written by the request"})
        tx.commit()
        assert schedule.run_due(due, data, RequestLogs()) == 0  # its writes first, then what is due
    assert len(data["scheduled"]) == 1
    assert schedule.run_due(due, data, RequestLogs()) == 1  # the next look


def test_the_fault_that_stops_a_login_call_is_spent(sandbox: Sandbox, shop: Tenant) -> None:
    """A login call's tenant, and so its fault, is known only after its handler ran."""
    credentials = shop.credentials["capillary"]
    body = {"key": credentials["oauth_key"], "secret": credentials["oauth_secret"]}
    shop.set_fault("generateOAuthToken", 503, times=1)
    token = "/capillary/v3/oauth/token/generate"
    assert sandbox.http.post(token, json=body).status_code == 503
    assert sandbox.http.post(token, json=body).status_code == 200
    [fault] = sandbox.http.get(f"{shop.control}/faults").json()["faults"]
    assert (fault["remaining"], fault["calls"], fault["faulted"]) == (0, 1, 1)


@pytest.mark.parametrize("blank", [b"\r\n", b" ", b"\t\n"])
def test_a_body_of_blanks_is_not_an_absent_body(sandbox: Sandbox, blank: bytes) -> None:
    """The contract fuzzer's finding (seed 20261123, 150 examples): `PUT /_sandbox/tenants/{t}`
    with the body "\\r\\n" created an empty tenant, answered 201, as if no body was sent."""
    headers = {"Content-Type": "application/json"}
    answer = sandbox.http.put("/_sandbox/tenants/blank-body", content=blank, headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["field"] == "body"
    assert sandbox.http.get("/_sandbox/tenants/blank-body").status_code == 404


def test_a_compaction_that_cannot_start_does_not_fail_a_durable_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The journal past its size, the new journal cannot be made (a full disk, no file
    descriptor left): the request's line is already written and applied. It answered 503
    ("storage full"), and its message was in the outbox: an answer saying failed after a
    write. It answers 200; the old journal goes on, and a later write compacts."""
    with in_process(data_dir=tmp_path, compact_bytes=1) as sandbox:
        shop = sandbox.create_tenant(EXAMPLE_FIXTURE, name="shop")
        data = stored(sandbox, shop)
        files = files_of(data.backend)
        files.wait()
        files._snapshot_bytes = 0  # (the journal is past its size at the next write)
        generation = files.generation
        made = Journal

        def refused(path: Path, *args: Any, **kwargs: Any) -> Any:
            if path.exists():  # (the journal written now is opened again as usual)
                return made(path, *args, **kwargs)
            raise StorageUnavailable(f"storage full: {path.name} cannot be created")

        monkeypatch.setattr(files_module, "Journal", refused)
        with caplog.at_level(logging.ERROR, "sandbox.store.tenant"):
            sent = sandbox.http.post(
                "/capillary/v2/communications/sendMessage?channel=sms",
                json={"sms": [{"to": "919988221100", "body": "Your order has shipped"}]},
                headers=shop.capillary_auth(),
            )
        assert sent.status_code == 200, sent.text
        assert [m["body"] for m in shop.outbox()] == ["Your order has shipped"]
        assert files.generation == generation
        assert "compaction not started (storage full: journal." in caplog.text
        monkeypatch.undo()
        again = sandbox.http.post(
            "/capillary/v2/communications/sendMessage?channel=sms",
            json={"sms": [{"to": "919988221100", "body": "Out for delivery"}]},
            headers=shop.capillary_auth(),
        )
        assert again.status_code == 200, again.text
        assert files.generation == generation + 1  # compacted now
        files.wait()
    with in_process(data_dir=tmp_path) as sandbox:
        bodies = [m["body"] for m in sandbox.tenant("shop").outbox()]
        assert sorted(bodies) == ["Out for delivery", "Your order has shipped"]


def test_a_webhook_removal_the_journal_refuses_keeps_the_webhook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The settings' change is undone (503), so the webhook stays set, and delivered to: the
    handler stopped watching it before the commit, and nothing put the watch back (the
    tenant's messages reached no webhook though its settings named one)."""
    with in_process(data_dir=tmp_path) as sandbox:
        shop = sandbox.create_tenant(EXAMPLE_FIXTURE, name="shop")
        events = sandbox.caller.app.store.listener  # type: ignore[union-attr]
        url = "http://127.0.0.1:9/hook"
        settings = f"{shop.control}/settings"
        assert sandbox.http.put(settings, json={"webhook_url": url}).status_code == 200

        def disk_full(fd: int, data: bytes | memoryview) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        monkeypatch.setattr(os, "write", disk_full)
        refused = sandbox.http.put(settings, json={"webhook_url": None})
        monkeypatch.undo()
        assert refused.status_code == 503, refused.text
        assert sandbox.http.get(settings).json()["webhook_url"] == url
        listening = events.tenants.get("shop")
        assert listening is not None and listening.webhook is not None
        assert sandbox.http.put(settings, json={"webhook_url": None}).status_code == 200
        assert "webhook_url" not in sandbox.http.get(settings).json()


def test_a_request_failing_between_a_list_sends_steps_undoes_only_its_own_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Symplify list send runs in steps (sandbox/pacing.py); a trigger send that fails
    between two of them undoes its own writes and none of the steps' (ids stay unique, the
    list send answers every contact, and a restart loads the same state)."""
    import httpx
    from symplify.helpers import ACCOUNT, interleaved

    from sandbox import pacing
    from sandbox.request_path import RequestPath

    contacts = pacing.STEP * 3
    emails = [{"original_id": str(n), "email": f"c{n}@example.com"} for n in range(contacts)]
    triggers = [{"id": 7, "name": "x", "list_id": 42, "body": "hi"}]
    with in_process(data_dir=tmp_path) as sandbox:
        made = sandbox.create_tenant(
            {
                "symplify": {
                    "accounts": [
                        {
                            "customer_id": ACCOUNT,
                            "lists": [{"id": 42, "contacts": emails}],
                            "triggers": triggers,
                        }
                    ]
                }
            },
            name="big",
        )
        data = stored(sandbox, made)
        real = RequestPath.commit

        def failing(self: Any, call: Any, reply: Any, writes: Any) -> Any:
            if call.op.operation_id == "sendTrigger":
                raise RuntimeError("a bug after the trigger's writes")
            return real(self, call, reply, writes)

        monkeypatch.setattr(RequestPath, "commit", failing)
        large = httpx.Request(
            "POST",
            f"http://localhost/symplify/{ACCOUNT}/lists/42/send",
            json={"subject": "Sale", "body": "Hi"},
            headers=made.symplify_auth(),
        )
        other = httpx.Request(
            "POST",
            f"http://localhost/symplify/{ACCOUNT}/triggers/7/messages",
            json={"originalId": "5"},
            headers=made.symplify_auth(),
        )
        result = interleaved(sandbox, data, large, other)
        monkeypatch.undo()
        assert result.other.status_code == 500
        assert 1 <= result.committed < result.commits
        assert result.large.status_code == 200, result.large.text
        messages = list(data["messages"].values())
        assert len(messages) == contacts
        ids = sorted(int(m["id"]) for m in messages)
        assert len(set(ids)) == contacts
        ok = sandbox.http.post(
            f"/symplify/{ACCOUNT}/triggers/7/messages",
            json={"originalId": "5"},
            headers=made.symplify_auth(),
        )
        assert ok.status_code == 200, ok.text
        assert len(data["messages"]) == contacts + 1
        snap = made.snapshot()
        snap.pop("clock")
        snap.pop("snapshot")
    with in_process(data_dir=tmp_path) as sandbox:
        again = sandbox.tenant("big").snapshot()
        again.pop("clock")
        again.pop("snapshot")
        assert again == snap


def test_a_failed_send_into_a_full_outbox_puts_back_what_it_evicted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A send whose third item fails, into an outbox at its retention: the messages its first
    items evicted are back, in their order, in the store and after a restart."""
    from sandbox.vendors.capillary import messaging

    with in_process(data_dir=tmp_path) as sandbox:
        t = sandbox.create_tenant(EXAMPLE_FIXTURE, name="shop")
        t.set_clock(now="2026-11-23T10:00:00Z", frozen=True)
        assert (
            sandbox.http.put(f"{t.control}/settings", json={"outbox_retention": 3}).status_code
            == 200
        )
        send = "/capillary/v2/communications/sendMessage?channel=sms"
        for n in range(4):
            r = sandbox.http.post(
                send,
                json={"sms": [{"to": "919988221100", "body": f"m{n}"}]},
                headers=t.capillary_auth(),
            )
            assert r.status_code == 200, r.text
        before = t.snapshot()
        store_before = [m["id"] for m in stored(sandbox, t)["messages"].values()]
        real = messaging.send
        calls = []

        def second_fails(*a: Any, **k: Any) -> Any:
            calls.append(1)
            if len(calls) == 3:
                raise RuntimeError("bug")
            return real(*a, **k)

        monkeypatch.setattr(messaging, "send", second_fails)
        r = sandbox.http.post(
            send,
            json={
                "sms": [
                    {"to": "919988221100", "body": "x"},
                    {"to": "919988221101", "body": "y"},
                    {"to": "919988221100", "body": "z"},
                ]
            },
            headers=t.capillary_auth(),
        )
        monkeypatch.undo()
        assert r.status_code == 500
        assert t.snapshot() == before
        data = stored(sandbox, t)
        assert [m["id"] for m in data["messages"].values()] == store_before
        r = sandbox.http.post(
            send, json={"sms": [{"to": "919988221100", "body": "w"}]}, headers=t.capillary_auth()
        )
        assert r.status_code == 200
        snap = t.snapshot()
        ids = [m["id"] for m in data["messages"].values()]
    with in_process(data_dir=tmp_path) as sandbox:
        assert sandbox.tenant("shop").snapshot() == snap
        assert [
            m["id"] for m in stored(sandbox, sandbox.tenant("shop"))["messages"].values()
        ] == ids
