"""Several processes appending to one tenant's rows (sandbox/store/postgres.py), each played
here by a TenantData of its own on the same storage, against the harness's real PostgreSQL:
`catch_up` replays what another appended as `open` does (or reloads past its compaction); an
append on a state that is behind is refused (Behind) and stores nothing, whether another
process appended, compacted the rows it needs away, or dropped the storage, and whatever the
interleaving of the transactions (the row lock decides, not timing); a request refused so
runs again after catching up, and contention past its retries is a 503 naming it."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest
from test_store_backend import FIXTURE
from test_store_unit import SPECS, every_kind_of_write, state

from sandbox.request_path import RETRIES
from sandbox.settings import Settings
from sandbox.store import TenantData
from sandbox.store.backend import Behind
from sandbox.store.pg_rows import APPEND, TenantRows
from sandbox.store.postgres import Registry
from sandbox.store.store import Store
from sandbox.store.unit import open_unit
from sandbox.testing import in_process
from sandbox.testing.example import EXAMPLE_FIXTURE

SEND = "/capillary/v2/communications/sendMessage"


def two_processes(
    registry: Registry, compact_bytes: int = 1 << 20
) -> tuple[TenantData, TenantData]:
    """One tenant's state as two processes hold it: created by the first, loaded by the
    second from the same rows."""
    first = TenantData("t", SPECS, registry.backend("t", None, compact_bytes), capacity=4)
    first.initialise(FIXTURE, FIXTURE)
    storage = rows(first).storage
    second = TenantData("t", SPECS, registry.backend("t", storage, compact_bytes), capacity=4)
    second.load()
    return first, second


def rows(data: TenantData) -> TenantRows:
    assert isinstance(data.backend, TenantRows)
    return data.backend


def note(data: TenantData, key: str) -> None:
    tx = data.begin()
    tx.put("notes", {"id": key})
    tx.next_id("letters")
    tx.commit()


def journal(url: str, storage: str) -> list[int]:
    with psycopg.connect(url) as connection:
        found = connection.execute(
            "SELECT seq FROM sandbox_journal WHERE storage = %s ORDER BY seq", (storage,)
        )
        return [seq for (seq,) in found]


def waiting_on_a_lock(url: str, otherwise: str) -> None:
    """Return once one session of the database waits on a lock (seen in pg_stat_activity,
    within 5 s); else fail saying `otherwise`."""
    with psycopg.connect(url, autocommit=True) as watcher:
        for _ in range(500):
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            ).fetchone()
            if waiting == (1,):
                return
            threading.Event().wait(0.01)
    raise AssertionError(otherwise)


def test_what_another_process_appended_is_caught_up_as_open_replays_it(
    registry: Registry,
) -> None:
    first, second = two_processes(registry)
    with open_unit() as unit:
        every_kind_of_write(first)
        unit.commit()
    note(first, "alone")
    assert state(second) != state(first)
    assert second.catch_up()
    assert state(second) == state(first) and rows(second).seq == rows(first).seq == 2
    assert second.catch_up() and state(second) == state(first)  # nothing new: nothing changes


def test_an_append_on_a_state_that_is_behind_is_refused_and_stores_nothing(
    registry: Registry, postgres_url: str
) -> None:
    first, second = two_processes(registry)
    note(first, "first")
    before, stored = state(second), journal(postgres_url, rows(first).storage)
    with pytest.raises(Behind, match="another process wrote to it"), open_unit() as unit:
        every_kind_of_write(second)
        unit.commit()
    with pytest.raises(Behind):
        note(second, "alone")
    assert state(second) == before and journal(postgres_url, rows(first).storage) == stored
    assert second.catch_up()
    note(second, "second")  # caught up: it lands after the first's
    assert first.catch_up() and state(first) == state(second)
    assert first["notes"].get("second") is not None and rows(first).seq == 2


def test_an_append_behind_another_process_s_compaction_is_refused(
    registry: Registry, postgres_url: str
) -> None:
    """The rows a stale state would follow are deleted by the other's compaction: an INSERT
    of the next number would find it free; the head says it is not."""
    first, second = two_processes(registry)
    for key in ("x", "y", "z"):
        note(first, key)
    first.compact()
    assert journal(postgres_url, rows(first).storage) == []  # rows 1-3 compacted away
    with pytest.raises(Behind):
        note(second, "stale")
    assert journal(postgres_url, rows(first).storage) == []
    assert second.catch_up()  # the snapshot passed its seq: loaded again from it
    assert state(second) == state(first) and rows(second).seq == 3
    note(second, "after")
    assert journal(postgres_url, rows(first).storage) == [4]


def test_a_snapshot_never_replaces_a_newer_one_nor_comes_back_for_a_dropped_state(
    registry: Registry, postgres_url: str
) -> None:
    first, second = two_processes(registry)
    note(first, "x")
    note(first, "y")
    first.compact()  # the snapshot after unit 2
    second.compact()  # a stale process's, after unit 0: not written
    with psycopg.connect(postgres_url) as connection:
        stored = connection.execute(
            "SELECT seq FROM sandbox_snapshots WHERE storage = %s", (rows(first).storage,)
        ).fetchone()
    assert stored == (2,)
    registry.discard(rows(first).storage)
    first.compact()
    with psycopg.connect(postgres_url) as connection:
        left = connection.execute(
            "SELECT count(*) FROM sandbox_snapshots WHERE storage = %s", (rows(first).storage,)
        ).fetchone()
    assert left == (0,)
    assert not first.catch_up()  # its storage is gone: the store looks the tenant up again


def racing(postgres_url: str, first_sql: str, params: Any, then: Any) -> Any:
    """`first_sql` run in an open transaction of another connection (its row locks held),
    `then()` started in a thread meanwhile (it waits on those locks), the transaction
    committed: what `then()` returned or raised. No sleep decides the order: `then` is
    seen waiting on the lock before the commit."""
    outcome: dict[str, Any] = {}
    with psycopg.connect(postgres_url) as connection:
        connection.execute(first_sql, params)  # (psycopg opens a transaction: not committed)

        def run() -> None:
            try:
                outcome["value"] = then()
            except Exception as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=run)
        thread.start()
        waiting_on_a_lock(postgres_url, "the second statement never waited on the first's lock")
        connection.commit()
        thread.join(10)
    return outcome


def test_two_appends_of_one_number_at_once_store_one_and_refuse_the_other(
    registry: Registry, postgres_url: str
) -> None:
    first, second = two_processes(registry)
    storage = rows(first).storage
    outcome = racing(
        postgres_url,
        APPEND,
        {"storage": storage, "seq": 1, "unit": b'[["put","notes",{"id":"elsewhere"}]]'},
        lambda: note(second, "here"),
    )
    assert isinstance(outcome.get("error"), Behind)
    assert journal(postgres_url, storage) == [1] and second["notes"].get("here") is None
    assert second.catch_up() and second["notes"].get("elsewhere") is not None


def test_an_append_racing_a_replace_or_delete_stores_nothing(
    registry: Registry, postgres_url: str
) -> None:
    first, second = two_processes(registry)
    storage = rows(first).storage
    outcome = racing(
        postgres_url,
        "DELETE FROM sandbox_storages WHERE storage = %s",  # what a replace or delete does first
        (storage,),
        lambda: note(second, "into a dropped state"),
    )
    assert isinstance(outcome.get("error"), Behind)
    assert journal(postgres_url, storage) == []
    assert not second.catch_up()


def test_a_request_behind_another_process_runs_again_caught_up(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two apps on one database in this process: a send through the second, made on a state
    that missed the first's send (its catch-up skipped once), is refused by the database,
    caught up and run again: both recorded, once each, ids increasing."""
    with (
        in_process(database_url=postgres_url) as one,
        in_process(database_url=postgres_url) as two,
    ):
        tenant = one.create_tenant(EXAMPLE_FIXTURE, name="shared")
        auth = tenant.capillary_auth()

        def send(sandbox: Any, body: str) -> Any:
            sms = {"sms": [{"to": "919988221100", "body": body}]}
            return sandbox.http.post(SEND, json=sms, headers=auth)

        assert send(two, "two, first").status_code == 200  # two knows the tenant now
        assert send(one, "one").status_code == 200
        from sandbox.request_path import RequestPath

        real = RequestPath.catch_up
        skipped: list[int] = []

        async def stale_once(self: RequestPath, call: Any, params: Any, lock: bool = False) -> None:
            if not skipped:
                skipped.append(1)
                return
            await real(self, call, params, lock)

        monkeypatch.setattr(RequestPath, "catch_up", stale_once)
        answer = send(two, "two, again")
        monkeypatch.undo()
        assert answer.status_code == 200, answer.text
        outbox = two.http.get(f"{tenant.control}/outbox").json()["items"]
        assert [m["body"] for m in reversed(outbox)] == ["two, first", "one", "two, again"]
        assert outbox == one.http.get(f"{tenant.control}/outbox").json()["items"]
        ids = [int(m["id"]) for m in reversed(outbox)]
        assert ids == sorted(set(ids))


def test_contention_past_the_retries_is_a_503_naming_it_and_changes_nothing(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with in_process(database_url=postgres_url) as sandbox:
        tenant = sandbox.create_tenant(EXAMPLE_FIXTURE, name="contended")
        attempts: list[int] = []

        def always_behind(self: TenantRows, *args: Any) -> bool:
            attempts.append(1)
            raise Behind(f"tenant {self.name}: another process wrote to it at the same time")

        # (a request defers its unit to the group commit; its locked runs append at once)
        monkeypatch.setattr(TenantRows, "append", always_behind)
        monkeypatch.setattr(TenantRows, "defer", always_behind)
        answer = sandbox.http.post(
            SEND,
            json={"sms": [{"to": "919988221100", "body": "never"}]},
            headers=tenant.capillary_auth(),
        )
        monkeypatch.undo()
        assert answer.status_code == 503
        assert "contention" in answer.text and "changed nothing" in answer.text
        assert len(attempts) == RETRIES + 1
        assert sandbox.http.get(f"{tenant.control}/outbox").json()["items"] == []


def test_a_database_of_format_1_is_migrated_forward(postgres_url: str) -> None:
    """The first increment's tables (one process per database): each tenant's head is its
    last unit, its credentials are indexed; it loads, and appends after its last unit."""
    with in_process(database_url=postgres_url) as sandbox:
        tenant = sandbox.create_tenant(EXAMPLE_FIXTURE, name="older")
        sms = {"sms": [{"to": "919988221100", "body": "before the migration"}]}
        assert sandbox.http.post(SEND, json=sms, headers=tenant.capillary_auth()).is_success
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("DROP TABLE sandbox_storages, sandbox_credentials")
        connection.execute("UPDATE sandbox_meta SET value = '1' WHERE key = 'format'")
    store = Store(Settings(database_url=postgres_url), credential_fields=("symplify_token",))
    try:
        assert sorted(store.tenants) == ["demo", "older"] and not store.degraded
        token = tenant.credentials["symplify"]["value"]
        assert store.database is not None
        assert store.database.named_by("symplify_token", token) == "older"
        data = store.tenants["older"]
        note_seq = rows(data).seq
        tx = data.begin()
        tx.put("meta", {"id": "after-migration"})
        tx.commit()  # the head was its last unit: the append goes on from there
        assert rows(data).seq == note_seq + 1
    finally:
        store.close()
    with psycopg.connect(postgres_url) as connection:
        assert connection.execute(
            "SELECT value FROM sandbox_meta WHERE key = 'format'"
        ).fetchone() == ("2",)


def test_a_locked_catch_up_keeps_the_other_process_s_append_waiting_until_its_own(
    registry: Registry, postgres_url: str
) -> None:
    """A request that lost the race twice catches up holding the storage's row (`held`):
    the other process's append waits for it, and then finds the head moved (Behind)."""
    first, _ = two_processes(registry)
    other = Registry(postgres_url)  # another process: a connection of its own
    try:
        second = TenantData("t", SPECS, other.backend("t", rows(first).storage, 1 << 20))
        second.load()
        outcome: dict[str, Any] = {}

        def append_elsewhere() -> None:
            try:
                note(second, "elsewhere")
            except Exception as exc:
                outcome["error"] = exc

        with registry.database.held():
            assert first.catch_up(lock=True)
            thread = threading.Thread(target=append_elsewhere)
            thread.start()
            waiting_on_a_lock(postgres_url, "the other append did not wait on the row lock")
            note(first, "here")  # committed by the append: the row is let go
            thread.join(10)
        assert isinstance(outcome.get("error"), Behind)
        assert journal(postgres_url, rows(first).storage) == [1]
        assert second.catch_up() and second["notes"].get("here") is not None
    finally:
        other.close()


def test_a_request_that_lost_the_race_twice_runs_holding_the_tenant_s_row(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its unlocked attempts made stale (their catch-up skipped), the request still lands:
    the attempt after OPTIMISTIC ones catches up in a held transaction, appends, commits."""
    from sandbox.request_path import OPTIMISTIC, RequestPath

    with (
        in_process(database_url=postgres_url) as one,
        in_process(database_url=postgres_url) as two,
    ):
        tenant = one.create_tenant(EXAMPLE_FIXTURE, name="raced")
        sms = {"sms": [{"to": "919988221100", "body": "two"}]}
        assert two.http.get(f"{tenant.control}/outbox").status_code == 200  # two knows it
        sms_one = {"sms": [{"to": "919988221100", "body": "one"}]}
        assert one.http.post(SEND, json=sms_one, headers=tenant.capillary_auth()).is_success
        real = RequestPath.catch_up
        unlocked: list[bool] = []

        async def only_locked(
            self: RequestPath, call: Any, params: Any, lock: bool = False
        ) -> None:
            if not lock:
                unlocked.append(True)
                return
            await real(self, call, params, lock)

        monkeypatch.setattr(RequestPath, "catch_up", only_locked)
        answer = two.http.post(SEND, json=sms, headers=tenant.capillary_auth())
        monkeypatch.undo()
        assert answer.status_code == 200, answer.text
        # the optimistic runs again (the first ran on the state as held: no catch-up read)
        assert len(unlocked) == OPTIMISTIC
        bodies = [m["body"] for m in one.http.get(f"{tenant.control}/outbox").json()["items"]]
        assert bodies == ["two", "one"]
