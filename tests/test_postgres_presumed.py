"""A vendor request run on the tenant as its process holds it, its catch-up left to its commit
(sandbox/request_path.py `attempt`, docs/architecture.md "Catch-up on commit"): a send costs
one statement, the commit, whose head guard refuses a unit made on a state that is behind; a
request that wrote nothing is checked by a catch-up read sent after it ran; one admitted on a
stale state is admitted again when it runs again; a tenant another process was heard to write
to catches up first.

Two apps on one database in this process (sandbox.testing.in_process): no lifespan, so no
LISTEN, and each app's state stays as it is until a request of its own catches it up: the
second app is behind whenever the first wrote last."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from sandbox.request_path import RequestPath
from sandbox.store import Store
from sandbox.store.pg_rows import TenantRows
from sandbox.testing import Sandbox, Tenant, in_process
from sandbox.testing.example import EXAMPLE_FIXTURE

SEND = "/capillary/v2/communications/sendMessage"
CUSTOMERS = "/capillary/v2/customers"
ACTIVE = "919988221100"

Pair = tuple[Sandbox, Sandbox, Tenant]


@pytest.fixture
def pair(postgres_url: str) -> Iterator[Pair]:
    """Two apps on one database and a tenant both hold (the second read it once)."""
    with (
        in_process(database_url=postgres_url) as one,
        in_process(database_url=postgres_url) as two,
    ):
        tenant = one.create_tenant(EXAMPLE_FIXTURE, name="presumed")
        assert two.http.get(f"{tenant.control}/outbox").status_code == 200  # two holds it
        yield one, two, tenant


def send(sandbox: Sandbox, tenant: Tenant, body: str) -> Any:
    sms = {"sms": [{"to": ACTIVE, "body": body}]}
    return sandbox.http.post(SEND, json=sms, headers=tenant.capillary_auth())


def store_of(sandbox: Sandbox) -> Store:
    assert sandbox.caller is not None
    store: Store = sandbox.caller.app.store  # type: ignore[attr-defined]
    return store


def rows_of(sandbox: Sandbox, tenant: Tenant) -> TenantRows:
    backend = store_of(sandbox).tenants[tenant.name].backend
    assert isinstance(backend, TenantRows)
    return backend


def steps(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each catch-up (step 3b) and each run of steps 4 to 7 of the request path from now on,
    in order."""
    catch_up, run = RequestPath.catch_up, RequestPath.run
    called: list[str] = []

    async def caught(self: RequestPath, call: Any, params: Any, lock: bool = False) -> None:
        called.append("catch up locked" if lock else "catch up")
        await catch_up(self, call, params, lock)

    def ran(self: RequestPath, *args: Any) -> Any:
        called.append("run")
        return run(self, *args)

    monkeypatch.setattr(RequestPath, "catch_up", caught)
    monkeypatch.setattr(RequestPath, "run", ran)
    return called


def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each statement any psycopg connection of this process runs from now on."""
    real = psycopg.Connection.execute
    seen: list[str] = []

    def counted(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(query))
        return real(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "execute", counted)
    return seen


def test_a_send_on_a_current_state_costs_one_statement_the_commit(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, _, tenant = pair
    assert send(one, tenant, "first").status_code == 200
    seen = statements(monkeypatch)
    called = steps(monkeypatch)
    assert send(one, tenant, "second").status_code == 200
    monkeypatch.undo()
    assert called == ["run"]  # no catch-up read before the handler
    assert len(seen) == 1 and "sandbox_journal" in seen[0]  # the group commit's append


def test_a_send_on_a_state_behind_is_refused_by_its_commit_and_runs_again_caught_up(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two, tenant = pair
    assert send(one, tenant, "one").status_code == 200  # two is behind now
    called = steps(monkeypatch)
    answer = send(two, tenant, "two")
    monkeypatch.undo()
    assert answer.status_code == 200, answer.text
    assert called == ["run", "catch up", "run"]  # refused by its commit, then caught up
    outbox = two.http.get(f"{tenant.control}/outbox").json()["items"]
    assert [m["body"] for m in reversed(outbox)] == ["one", "two"]
    assert outbox == one.http.get(f"{tenant.control}/outbox").json()["items"]
    ids = [int(m["id"]) for m in reversed(outbox)]
    assert ids == sorted(set(ids))


def test_a_read_that_wrote_nothing_sees_what_another_process_wrote_before_it(
    pair: Pair,
) -> None:
    """A customer added through one is found through two, whose state did not hold it when
    its handler ran: the read wrote nothing for a commit to check, so a catch-up read sent
    after it ran finds the other process's unit and it runs again."""
    one, two, tenant = pair
    added = one.http.post(
        CUSTOMERS,
        json={"profiles": [{"identifiers": [{"type": "mobile", "value": "919000000042"}]}]},
        headers=tenant.capillary_auth(),
    )
    assert added.status_code == 200, added.text
    customer = added.json()["createdId"]
    found = two.http.get(f"{CUSTOMERS}/{customer}?source=INSTORE", headers=tenant.capillary_auth())
    assert found.status_code == 200, found.text
    assert str(customer) in found.text


def test_a_fault_set_through_another_process_stops_the_next_send(pair: Pair) -> None:
    """Two's first run admitted the send on a state without the fault; its commit is refused
    (the fault's unit moved the head), and run again it is admitted again, on the state that
    has the fault."""
    one, two, tenant = pair
    put = one.http.put(f"{tenant.control}/faults/sendMessage", json={"status": 503, "times": 1})
    assert put.status_code in (200, 201), put.text
    assert send(two, tenant, "stopped by the fault").status_code == 503
    assert send(one, tenant, "after the fault").status_code == 200  # its one time was used
    bodies = [m["body"] for m in one.http.get(f"{tenant.control}/outbox").json()["items"]]
    assert bodies == ["after the fault"]


def test_a_rate_limited_call_is_counted_once_though_its_tenant_was_behind(pair: Pair) -> None:
    """A tenant with a rate limit is caught up before its calls (counting a call on a stale
    state, then again when it runs again, would count it twice): a limit of 3 admits three
    sends, whichever process they go through."""
    one, two, tenant = pair
    limit = one.http.put(f"{tenant.control}/settings", json={"rate_limits": {"capillary": 3}})
    assert limit.status_code == 200, limit.text
    assert two.http.get(f"{tenant.control}/outbox").status_code == 200  # two knows the limit
    assert send(one, tenant, "one").status_code == 200  # two is behind now
    assert [send(two, tenant, f"two {n}").status_code for n in range(3)] == [200, 200, 429]


def test_a_tenant_another_process_was_heard_to_write_to_catches_up_first(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A NOTIFY of another process's unit past the state's (`Store._appended`): the next
    request reads first, as it would otherwise lose the race."""
    one, two, tenant = pair
    assert send(one, tenant, "one").status_code == 200
    rows = rows_of(two, tenant)
    store_of(two)._appended(rows.storage, rows.seq + 1)  # (as the listening thread tells it)
    assert rows.heard == rows.seq + 1
    called = steps(monkeypatch)
    assert send(two, tenant, "two").status_code == 200
    assert called == ["catch up", "run"]  # caught up before its first run: not refused
    assert rows.heard <= rows.seq
    assert send(two, tenant, "three").status_code == 200
    assert called[2:] == ["run"]  # current again: no read before the handler


def test_the_listening_thread_tells_other_processes_rows_not_this_process_s_own(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row the group commit's connection appended is this process's own: not told to the
    loop (it would wake the loop once a send, and a tenant heard to be written to elsewhere
    catches up before its requests); another process's row is."""
    import time

    one, two, tenant = pair
    store = store_of(two)
    told: list[int] = []
    monkeypatch.setattr(store, "_appended", lambda storage, seq: told.append(seq))
    assert two.caller is not None
    store.watch(two.caller.loop)

    def pumped() -> None:  # the loop runs what the thread handed it during a request
        time.sleep(0.2)
        assert two.http.get(f"{tenant.control}/settings").status_code == 200

    deadline = time.monotonic() + 20
    while not told:  # another process's rows: told (the thread listens by then)
        assert time.monotonic() < deadline, "the listening thread heard nothing"
        assert send(one, tenant, "elsewhere").status_code == 200
        pumped()
    told.clear()
    for number in range(5):
        assert send(two, tenant, f"own {number}").status_code == 200
    pumped()
    assert told == []
