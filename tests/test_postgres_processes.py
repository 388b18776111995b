"""Several sandbox processes on one PostgreSQL (issue 28; docs/architecture.md "PostgreSQL"):
real server processes (tests/live_server.py) started with the same --database-url, against the
cluster the harness starts (tests/pg_cluster.py). What one process acknowledged, a request
through another sees; concurrent writes through both are each recorded once, ids unique and
increasing; a reset, replace, delete or create through one is what the other serves next; a
process killed with SIGKILL loses nothing acknowledged; a scheduled item is delivered once;
an event stream on one process hears what another recorded as soon as it is committed (no
request needed: LISTEN/NOTIFY), and a webhook is delivered once; faults, snapshots and the CLI
work across them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from event_stream import listening, wait_for
from live_server import server
from pg_cluster import Cluster
from webhook_receiver import Receiver

from sandbox.testing import Sandbox, Tenant
from sandbox.testing.example import EXAMPLE_FIXTURE

SEND = "/capillary/v2/communications/sendMessage"
ACTIVE = "919988221100"
Pair = tuple[httpx.Client, httpx.Client]


@pytest.fixture(scope="module")
def database(postgres_cluster: Cluster) -> str:
    return postgres_cluster.database()


@pytest.fixture(scope="module")
def pair(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Two server processes, A and B, on one database (and no data directory of their own
    in use: each has an empty one)."""
    args = ("--database-url", database)
    with (
        server(tmp_path_factory.mktemp("a"), args=args) as (_, a),
        server(tmp_path_factory.mktemp("b"), args=args) as (_, b),
    ):
        yield a, b


def created(client: httpx.Client, name: str) -> Tenant:
    return Sandbox(client).create_tenant(EXAMPLE_FIXTURE, name=name)


def sms(client: httpx.Client, tenant: Tenant, body: str, to: str = ACTIVE) -> httpx.Response:
    return client.post(
        SEND, json={"sms": [{"to": to, "body": body}]}, headers=tenant.capillary_auth()
    )


def outbox(client: httpx.Client, tenant: Tenant) -> list[dict[str, Any]]:
    """Every message of the tenant's outbox as `client`'s process serves it, oldest first."""
    return list(reversed(list(Tenant(tenant.name, tenant.credentials, client).messages())))


def test_a_block_set_through_one_process_suppresses_the_next_send_through_another(
    pair: Pair,
) -> None:
    a, b = pair
    tenant = created(a, "blocks")
    symplify = tenant.symplify_auth()
    trigger = "/symplify/1234/triggers/7/messages"
    before = b.post(trigger, json={"originalId": "111"}, headers=symplify)
    assert before.status_code == 200
    blocked = a.put(
        "/symplify/1234/lists/contacts/tempblock",
        json={
            "findBy": "ORIGINALID",
            "listId": "42",
            "searchValue": "111",
            "blockUntil": "2099-01-02",
        },
        headers=symplify,
    )
    assert blocked.status_code == 200, blocked.text
    assert b.post(trigger, json={"originalId": "111"}, headers=symplify).status_code == 200

    messangi = tenant.messangi_auth()
    listed = a.post(
        "/messangi/subscribers",
        json={"to": "+14155550100", "from": "528811", "type": "SMS", "reason": "UNSUBSCRIBED"},
        headers=messangi,
    )
    assert listed.status_code in (200, 201), listed.text
    sent = b.post(
        "/messangi/raven/v2/messages",
        json={"text": "Hello", "type": "MT", "from": "528811", "to": "+14155550100"},
        headers=messangi,
    )
    assert sent.status_code == 200, sent.text

    decided = [(m["vendor"], m["status"], m.get("reason")) for m in outbox(b, tenant)]
    assert decided == [
        ("symplify", "DELIVERED", None),
        ("symplify", "SUPPRESSED", "CONTACT_TEMP_BLOCKED"),
        ("messangi", "SUPPRESSED", decided[2][2]),
    ]
    assert decided[2][2] is not None
    assert outbox(a, tenant) == outbox(b, tenant)


def test_concurrent_sends_through_two_processes_are_each_recorded_once(pair: Pair) -> None:
    a, b = pair
    tenant = created(a, "busy")
    acknowledged: dict[str, list[str]] = {"a": [], "b": []}
    refused: list[str] = []

    def sends(client: httpx.Client, side: str) -> None:
        for number in range(150):
            answer = sms(client, tenant, f"{side}-{number}")
            if answer.status_code == 200:
                acknowledged[side].append(f"{side}-{number}")
            else:  # only a contention that outlasted every retry may refuse, changing nothing
                assert answer.status_code == 503 and "contention" in answer.text, answer.text
                refused.append(f"{side}-{number}")

    threads = [threading.Thread(target=sends, args=(c, s)) for c, s in ((a, "a"), (b, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    seen_by_a, seen_by_b = outbox(a, tenant), outbox(b, tenant)
    assert seen_by_a == seen_by_b
    bodies = [m["body"] for m in seen_by_b]
    assert sorted(bodies) == sorted(acknowledged["a"] + acknowledged["b"])  # each once
    assert len(refused) < 30 and len(bodies) > 270
    ids = [int(m["id"]) for m in seen_by_b]
    assert ids == sorted(set(ids))  # unique, increasing in the order recorded
    for side in ("a", "b"):  # each process's sends in the order it acknowledged them
        assert [body for body in bodies if body.startswith(side)] == acknowledged[side]


def test_a_reset_replace_or_delete_through_one_process_is_what_the_other_serves_next(
    pair: Pair,
) -> None:
    a, b = pair
    tenant = created(a, "changing")
    assert sms(b, tenant, "before the reset").status_code == 200
    assert a.post(f"{tenant.control}/reset").status_code == 200
    assert outbox(b, tenant) == []
    assert sms(b, tenant, "after the reset").status_code == 200
    assert [m["body"] for m in outbox(a, tenant)] == ["after the reset"]

    replaced = {**EXAMPLE_FIXTURE, "clock": {"now": "2031-05-06T07:08:09Z", "frozen": True}}
    assert a.put(tenant.control, json=replaced).status_code == 200  # keeps its credentials
    assert outbox(b, tenant) == []
    assert b.get(f"{tenant.control}/clock").json()["now"].startswith("2031-05-06T07:08:09")
    assert sms(b, tenant, "after the replace").status_code == 200

    assert a.delete(tenant.control).status_code == 204
    assert b.get(tenant.control).status_code == 404
    assert sms(b, tenant, "after the delete").status_code == 401
    assert b.get(f"{tenant.control}/outbox").status_code == 404
    assert "changing" not in b.get("/_sandbox/tenants").json()["tenants"]


def test_the_web_outbox_of_one_process_shows_what_another_recorded(pair: Pair) -> None:
    a, b = pair
    tenant = created(a, "seen-on-the-web")
    page = f"/_sandbox/ui/tenants/{tenant.name}"
    assert "written through A" not in b.get(page).text  # B has the tenant loaded now
    assert sms(a, tenant, "written through A").status_code == 200
    shown = b.get(page)
    assert shown.status_code == 200 and "written through A" in shown.text


def test_a_tenant_created_through_one_process_is_served_by_the_other(pair: Pair) -> None:
    a, b = pair
    b.get("/_sandbox/tenants/born-in-a")  # B has looked for it before it exists
    tenant = created(a, "born-in-a")
    listed = created(a, "listed-by-b")  # B never asks for this one by name
    assert listed.name in b.get("/_sandbox/tenants").json()["tenants"]
    assert b.get(tenant.control).json()["credentials"] == tenant.credentials
    other = created(a, "also-born-in-a")
    assert sms(b, other, "by its credentials alone").status_code == 200  # no name in the call
    assert [m["body"] for m in outbox(a, other)] == ["by its credentials alone"]
    assert {"born-in-a", "also-born-in-a"} <= set(b.get("/_sandbox/tenants").json()["tenants"])
    messangi = other.credentials["messangi"]
    login = b.post(  # a login key B issued is honoured by A: the signing secret is shared
        "/messangi/kingslanding/login",
        json={"username": messangi["username"], "password": messangi["password"]},
    )
    assert login.status_code == 200, login.text
    answer = a.post(
        "/messangi/raven/v2/messages",
        json={"text": "Hello", "type": "MT", "from": "528811", "to": "+14155550100"},
        headers={"Authorization": login.headers["authorization"]},
    )
    assert answer.status_code == 200, answer.text


def test_a_scheduled_item_is_delivered_once_with_both_processes_looking(pair: Pair) -> None:
    a, b = pair
    tenant = created(a, "scheduled")
    now = datetime.fromisoformat(a.get(f"{tenant.control}/clock").json()["now"])
    due = (now + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%S+0000")
    for _ in range(5):
        answer = a.post(
            "/symplify/1234/triggers/7/messages",
            json={"originalId": "111", "deliveryTime": due},
            headers=tenant.symplify_auth(),
        )
        assert answer.status_code == 200 and "scheduled" in answer.json()["message"]
    # B catches up (it knows the five items now): both processes' tickers look for them
    assert b.get(f"{tenant.control}/outbox").json()["items"] == []
    time.sleep(3)
    for client in (a, b):
        triggered = wait_for(lambda c=client: len(outbox(c, tenant)) >= 5 and outbox(c, tenant))
        assert len(triggered) == 5 and len({m["id"] for m in triggered}) == 5
    assert outbox(a, tenant) == outbox(b, tenant)
    snapshot = b.get(f"{tenant.control}/snapshot").json()
    assert snapshot.get("scheduled", []) == []


def test_a_stream_on_one_process_hears_at_once_what_another_recorded_and_a_webhook_hears_it_once(
    pair: Pair, receiver: str
) -> None:
    a, b = pair
    tenant = created(a, "heard")
    # the webhook is set through B: A, which records the message, learns it as it catches up
    settings = b.put(f"{tenant.control}/settings", json={"webhook_url": receiver})
    assert settings.status_code == 200
    with listening(b, f"{tenant.control}/events") as events:
        assert sms(a, tenant, "recorded through A").status_code == 200  # and no request to B
    assert [e["body"] for e in events] == ["recorded through A"]
    wait_for(lambda: Receiver.received)
    time.sleep(0.5)  # a second delivery, from B, would have come by now
    assert [m["body"] for m in Receiver.received] == ["recorded through A"]


def test_a_process_killed_under_load_loses_nothing_acknowledged_and_a_database_stop_is_a_503(
    postgres_cluster: Cluster, postgres_url: str, tmp_path: Path
) -> None:
    args = ("--database-url", postgres_url)
    with (
        server(tmp_path / "a", args=args) as (process, a),
        server(tmp_path / "b", args=args) as (_, b),
    ):
        tenant = created(b, "survivor")
        acknowledged: list[str] = []
        stop = threading.Event()

        def load(thread: int) -> None:
            number = 0
            while not stop.is_set():
                number += 1
                try:
                    answer = sms(a, tenant, f"a{thread}-{number}")
                except httpx.TransportError:
                    return  # killed
                if answer.status_code == 200:
                    acknowledged.append(f"a{thread}-{number}")

        threads = [threading.Thread(target=load, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        wait_for(lambda: len(acknowledged) >= 40)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        stop.set()
        for thread in threads:
            thread.join(10)
        assert sms(b, tenant, "b keeps serving").status_code == 200
        bodies = [m["body"] for m in outbox(b, tenant)]
        assert set(acknowledged) <= set(bodies) and bodies[-1] == "b keeps serving"
        assert len(bodies) == len(set(bodies))

        postgres_cluster.stop()
        try:
            down = sms(b, tenant, "while the database is down")
            read = b.get(f"{tenant.control}/outbox")
        finally:
            postgres_cluster.start()
        for answer in (down, read):
            assert answer.status_code == 503, answer.text
            assert "PostgreSQL at 127.0.0.1" in answer.text
        assert sms(b, tenant, "after the restart").status_code == 200
        assert [m["body"] for m in outbox(b, tenant)][-1:] == ["after the restart"]


def test_faults_snapshots_and_the_cli_work_across_processes(pair: Pair) -> None:
    """What the control plane sets through one process holds on the other: a fault set
    through A stops the next call through B (once: its count is shared state), a snapshot
    exported through B loads through A into a tenant B then serves, and the CLI pointed at
    either process lists the outbox both wrote."""
    a, b = pair
    tenant = created(a, "controlled")
    fault = {"status": 503, "times": 1}
    put = a.put(f"{tenant.control}/faults/sendMessage", json=fault)
    assert put.status_code in (200, 201), put.text
    assert sms(b, tenant, "stopped by A's fault").status_code == 503
    assert sms(a, tenant, "after the fault").status_code == 200  # its one time was used on B
    assert sms(b, tenant, "through B").status_code == 200

    snapshot = b.get(f"{tenant.control}/snapshot")
    assert snapshot.status_code == 200
    copy = Sandbox(a).create_tenant(snapshot.json(), name="controlled-copy")
    assert [m["body"] for m in outbox(b, copy)] == ["after the fault", "through B"]
    assert sms(b, copy, "to the copy").status_code == 200

    for client in (a, b):
        listed = subprocess.run(
            [sys.executable, "-m", "sandbox", "--url", str(client.base_url), "outbox",
             "--tenant", copy.name, "--json"],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        bodies = [json.loads(line)["body"] for line in listed.stdout.splitlines() if line]
        assert sorted(bodies) == ["after the fault", "through B", "to the copy"]
