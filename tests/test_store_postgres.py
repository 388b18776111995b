"""The tenants kept in PostgreSQL (sandbox/store/postgres.py), against the real server the
harness starts (tests/pg_cluster.py): the same writes, compactions, reset and reopen give the
state the embedded files give; a unit the database cannot take (it is stopped) leaves the
state as it was and answers 503 naming it; a new store on the same database has every tenant
back; a server killed with SIGKILL loses no acknowledged write."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from live_server import free_port, server
from pg_cluster import Cluster
from test_store_backend import FIXTURE, Rows, history, reopened
from test_store_unit import SPECS, every_kind_of_write, state

from sandbox.errors import StorageUnavailable
from sandbox.settings import Settings
from sandbox.store import TenantData
from sandbox.store.files import TenantFiles
from sandbox.store.pg_rows import TenantRows
from sandbox.store.postgres import FORMAT, Registry
from sandbox.store.store import Store
from sandbox.store.unit import open_unit
from sandbox.testing import Sandbox, in_process
from sandbox.testing.example import EXAMPLE_FIXTURE

SEND_PATH = "/capillary/v2/communications/sendMessage"


def rows_of(registry: Registry, compact_bytes: int = 64 * 1024 * 1024) -> TenantRows:
    return registry.backend("t", None, compact_bytes)


def journal_rows(url: str, storage: str) -> list[int]:
    with psycopg.connect(url) as connection:
        found = connection.execute(
            "SELECT seq FROM sandbox_journal WHERE storage = %s ORDER BY seq", (storage,)
        )
        return [seq for (seq,) in found]


def test_the_database_gives_the_state_the_files_give(
    registry: Registry, postgres_url: str, tmp_path: Path
) -> None:
    rows = rows_of(registry, compact_bytes=300)  # small: appends ask for compactions
    data = TenantData("t", SPECS, rows, capacity=4)
    history(data)
    rows.wait()
    on_disk = TenantData("t", SPECS, TenantFiles("t", tmp_path), capacity=4)
    history(on_disk)
    assert state(data) == state(on_disk)
    assert data["people"].get(3) is None and data["people"].get(2) is not None
    # a compaction ran in the background: the rows it covers are gone, the later ones kept
    assert journal_rows(postgres_url, rows.storage)[:1] != [1]

    again = reopened(data, registry.backend("t", rows.storage, 300))
    assert state(again) == state(on_disk)
    assert again.fixture() == FIXTURE


def test_a_unit_the_stopped_database_cannot_take_changes_nothing(
    registry: Registry, postgres_cluster: Cluster, postgres_url: str
) -> None:
    rows = rows_of(registry)
    data = TenantData("t", SPECS, rows, capacity=4)
    data.initialise(FIXTURE, FIXTURE)
    tx = data.begin()
    tx.put("notes", {"id": "before"})
    tx.commit()
    before, stored = state(data), journal_rows(postgres_url, rows.storage)
    postgres_cluster.stop()
    try:
        with (
            # (its idle connection broke with the stop: the unit may have been sent, and the
            # answer says so once the database stays silent, store/outcome.py)
            pytest.raises(StorageUnavailable, match=r"PostgreSQL at 127\.0\.0\.1:\d+/t_\w+ \w"),
            open_unit() as unit,
        ):
            every_kind_of_write(data)
            unit.commit()
        with pytest.raises(StorageUnavailable, match="PostgreSQL"):
            tx = data.begin()
            tx.put("notes", {"id": "alone"})
            tx.commit()
        assert state(data) == before
    finally:
        postgres_cluster.start()
    assert journal_rows(postgres_url, rows.storage) == stored
    tx = data.begin()  # the database is back: the next write connects again, and lands
    tx.put("notes", {"id": "after"})
    tx.commit()
    again = reopened(data, registry.backend("t", rows.storage, 1 << 20))
    assert again["notes"].get("after") is not None and again["notes"].get("alone") is None


def test_a_unit_another_backend_refuses_is_taken_back_out_of_the_database(
    registry: Registry, postgres_url: str
) -> None:
    rows, refusing = rows_of(registry), Rows()
    one = TenantData("one", SPECS, rows, capacity=4)
    two = TenantData("two", SPECS, refusing, capacity=4)
    for data in (one, two):
        data.initialise(FIXTURE, FIXTURE)
    before: list[Any] = [state(one), journal_rows(postgres_url, rows.storage)]
    refusing.refuse = True
    with pytest.raises(StorageUnavailable), open_unit() as unit:
        every_kind_of_write(one)
        every_kind_of_write(two)
        unit.commit()
    assert [state(one), journal_rows(postgres_url, rows.storage)] == before
    assert state(reopened(one, registry.backend("one", rows.storage, 1 << 20))) == before[0]


def test_a_new_store_on_the_same_database_has_every_tenant_back(postgres_url: str) -> None:
    send = {"sms": [{"to": "919988221100", "body": "kept across a restart"}]}
    with in_process(database_url=postgres_url) as sandbox:
        kept = sandbox.create_tenant(EXAMPLE_FIXTURE, name="kept")
        gone = sandbox.create_tenant(EXAMPLE_FIXTURE, name="gone")
        replaced = sandbox.create_tenant(EXAMPLE_FIXTURE, name="replaced")
        for tenant in (kept, replaced):
            sent = sandbox.http.post(
                SEND_PATH,
                json=send,
                headers=tenant.capillary_auth(),
            )
            assert sent.status_code == 200
        reset = sandbox.create_tenant(EXAMPLE_FIXTURE, name="reset")
        assert sandbox.http.post(SEND_PATH, json=send, headers=reset.capillary_auth()).is_success
        reset.reset()
        gone.delete()
        replaced = sandbox.create_tenant(EXAMPLE_FIXTURE, name="replaced")  # a new state
        outbox = sandbox.http.get(f"{kept.control}/outbox").json()
        assert len(outbox["items"]) == 1
    store = Store(Settings(database_url=postgres_url))
    try:
        assert sorted(store.tenants) == ["demo", "kept", "replaced", "reset"] and not store.degraded
    finally:
        store.close()
    with in_process(database_url=postgres_url) as again:
        assert again.http.get(f"{kept.control}/outbox").json() == outbox
        assert again.http.get(f"{replaced.control}/outbox").json()["items"] == []
        assert again.http.get(f"{reset.control}/outbox").json()["items"] == []
        assert again.http.get(f"{reset.control}").status_code == 200
        assert again.http.get(gone.control).status_code == 404
        answer = again.http.post(  # its credentials are back: a send authenticates
            SEND_PATH,
            json=send,
            headers=kept.capillary_auth(),
        )
        assert answer.status_code == 200


def test_a_server_killed_with_sigkill_keeps_every_acknowledged_write(
    postgres_url: str, tmp_path: Path
) -> None:
    args = ("--database-url", postgres_url)
    with server(tmp_path / "first", args=args) as (process, client):
        tenant = Sandbox(client).create_tenant(EXAMPLE_FIXTURE, name="durable")
        blocked = client.put(
            "/symplify/1234/lists/contacts/tempblock",
            json={
                "findBy": "ORIGINALID",
                "listId": "42",
                "searchValue": "111",
                "blockUntil": "2099-01-02",
            },
            headers=tenant.symplify_auth(),
        )
        assert blocked.status_code == 200
        sent = client.post(
            SEND_PATH,
            json={"sms": [{"to": "919988221100", "body": "acknowledged before the kill"}]},
            headers=tenant.capillary_auth(),
        )
        assert sent.status_code == 200
        os.killpg(process.pid, signal.SIGKILL)  # no shutdown hook runs
        process.wait()
    # another data directory: what comes back comes from the database
    with server(tmp_path / "second", args=args) as (_, client):
        outbox = client.get(f"{tenant.control}/outbox").json()
        assert [m["body"] for m in outbox["items"]] == ["acknowledged before the kill"]
        status = client.get(
            "/symplify/1234/lists/contacts/tempblock",
            params={"findBy": "ORIGINALID", "listId": "42", "searchValue": "111"},
            headers=tenant.symplify_auth(),
        )
        assert status.json()["blockUntil"] == "2099-01-02"
    assert not (tmp_path / "first" / "tenants").exists()


def test_a_state_holding_what_a_handler_made_in_memory_compacts(postgres_url: str) -> None:
    """A message to a customer starts that customer's tally in memory, keyed by the
    handler's channel (an enum, not a plain str): its snapshot is written (as the embedded
    store's is), and read back with the message and the tally."""
    send = {"sms": [{"to": "919988221100", "body": "tallied"}]}
    with in_process(database_url=postgres_url) as sandbox:
        tenant = sandbox.create_tenant(EXAMPLE_FIXTURE, name="tallied")
        assert sandbox.http.post(SEND_PATH, json=send, headers=tenant.capillary_auth()).is_success
        assert sandbox.caller is not None
        data = sandbox.caller.app.store.tenants["tallied"]  # type: ignore[attr-defined]
        data.compact()
        before = data.tables()
    with psycopg.connect(postgres_url) as connection:
        rows = connection.execute(
            "SELECT count(*) FROM sandbox_journal j JOIN sandbox_tenants t USING (storage) "
            "WHERE t.name = 'tallied'"
        ).fetchone()
    assert rows == (0,)  # the snapshot holds it all
    store = Store(Settings(database_url=postgres_url))
    try:
        again = store.tenants["tallied"]
        assert [m["body"] for m in again["messages"].snapshot()][-1:] == ["tallied"]
        assert again.tables()["_tally.messages"] == before["_tally.messages"]
    finally:
        store.close()


def test_a_send_while_the_database_is_stopped_answers_503_naming_it(
    postgres_cluster: Cluster, postgres_url: str
) -> None:
    send = {"sms": [{"to": "919988221100", "body": "while it is down"}]}
    with in_process(database_url=postgres_url) as sandbox:
        tenant = sandbox.create_tenant(EXAMPLE_FIXTURE)
        postgres_cluster.stop()
        try:
            answer = sandbox.http.post(
                SEND_PATH,
                json=send,
                headers=tenant.capillary_auth(),
            )
        finally:
            postgres_cluster.start()
        assert answer.status_code == 503
        assert "PostgreSQL at 127.0.0.1" in answer.text and "changed nothing" in answer.text
        assert sandbox.http.get(f"{tenant.control}/outbox").json()["items"] == []
        again = sandbox.http.post(  # service resumes by itself once it is back
            SEND_PATH, json=send, headers=tenant.capillary_auth()
        )
        assert again.status_code == 200


@pytest.mark.parametrize("problem", ["unreachable", "newer format"])
def test_a_database_the_server_cannot_use_stops_start_up_with_one_line(
    problem: str, postgres_url: str, tmp_path: Path
) -> None:
    url = postgres_url
    if problem == "unreachable":
        url = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"
    else:
        Registry(postgres_url).close()
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            connection.execute(
                "UPDATE sandbox_meta SET value = %s WHERE key = 'format'", (str(FORMAT + 1),)
            )
    done = subprocess.run(
        [
            *(sys.executable, "-m", "sandbox", "serve", "--port", str(free_port())),
            *("--data-dir", str(tmp_path), "--database-url", url),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("comms-sandbox: PostgreSQL at 127.0.0.1:")
    assert ("unavailable" if problem == "unreachable" else f"format {FORMAT + 1}") in lines[0]
