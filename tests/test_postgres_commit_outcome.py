"""A group commit whose connection breaks once its statement was sent (sandbox/store/outcome.py;
docs/durability.md): the database may have committed it or not. The committer asks it again
(a new connection) and answers what happened: stored -> 200; not stored -> the requests run
again (200, each once); the database silent beyond the bound -> 503 saying the write may have
been stored, and the next read agrees with the database.

The connection is really broken (`pg_terminate_backend` of the committer's server process)
just before or just after the real statement, in a wrapper around the committer's
`Database.execute`; what a user would notice is asserted: the answers, and the outbox as a
process started afterwards reads it."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from test_postgres_group_commit import App
from test_store_backend import FIXTURE
from test_store_unit import SPECS
from webhook_receiver import Receiver

from sandbox.store import TenantData, outcome
from sandbox.store.backend import Behind
from sandbox.store.pg_database import Database
from sandbox.store.pg_rows import APPEND
from sandbox.store.postgres import APPEND_BATCH, Registry
from sandbox.testing import in_process
from sandbox.testing.example import EXAMPLE_FIXTURE

CONTROL = "/_sandbox/tenants/unsure"


@pytest.fixture
def app(postgres_url: str) -> Iterator[App]:
    with in_process(database_url=postgres_url) as sandbox:
        tenant = sandbox.create_tenant(EXAMPLE_FIXTURE, name="unsure")
    opened = App(postgres_url, tenant)
    yield opened
    opened.close()


def batches(app: App) -> Database:
    registry = app.app.store.database
    assert isinstance(registry, Registry)
    return registry._batches


def terminate(url: str, database: Database) -> None:
    """The committer's connection broken as a network or server failure breaks it."""
    pid = database.backend_pid
    assert pid is not None
    with psycopg.connect(url, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", (pid,))


def break_commit(
    app: App, monkeypatch: pytest.MonkeyPatch, url: str, after: bool, times: int = 1
) -> list[int]:
    """The committer's next `times` batches: its connection broken before the statement is
    sent (`after` False) or once it is committed (`after` True: the answer never arrives,
    the statement on the broken connection raising what the driver raises). Each break is
    recorded with the batch's number of units."""
    database = batches(app)
    real: Callable[..., Any] = database.execute
    broken: list[int] = []

    def execute(sql: str, params: Any = ()) -> Any:
        if sql is not APPEND_BATCH or len(broken) >= times:
            return real(sql, params)
        broken.append(len(params["units"]))
        if after:
            real(sql, params)  # committed
        terminate(url, database)
        return real(sql, params)  # on the broken connection: the driver's error

    monkeypatch.setattr(database, "execute", execute)
    return broken


def silence_the_resolution(app: App, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The database silent to the committer's resolving read (store/outcome.py's LANDED)
    past the bound (0.3 s) until the list given back holds something."""
    monkeypatch.setattr(outcome, "BOUND", 0.3)
    database = batches(app)
    real_read = database.read
    silent: list[int] = []

    def read(sql: str, params: Any = ()) -> Any:
        if sql is outcome.LANDED and not silent:  # the database does not answer meanwhile
            raise database.unavailable(ConnectionRefusedError("connection refused"))
        return real_read(sql, params)

    monkeypatch.setattr(database, "read", read)
    return silent


def stored_bodies(url: str, name: str = "unsure") -> list[Any]:
    """The outbox as a process started now reads it from the database."""
    with in_process(database_url=url) as fresh:
        items: list[Any] = fresh.http.get(f"/_sandbox/tenants/{name}/outbox").json()["items"]
    return items


def burst(app: App, texts: list[str]) -> list[tuple[int, Any]]:
    async def together() -> list[tuple[int, Any]]:
        return list(await asyncio.gather(*(app.send(text) for text in texts)))

    return asyncio.run(together())


def test_a_batch_committed_before_the_connection_broke_is_answered_stored(
    app: App, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The statement committed, its answer lost: every send of the batch is a 200 (not a 503
    for a write that happened), each stored once, and this process's outbox is the database's."""
    broken = break_commit(app, monkeypatch, postgres_url, after=True)
    texts = [f"landed {n}" for n in range(8)]
    answers = burst(app, texts)
    assert broken and broken[0] >= 1
    assert [status for status, _ in answers] == [200] * 8, answers
    stored = stored_bodies(postgres_url)
    assert sorted(m["body"] for m in stored) == sorted(texts)  # each once
    status, outbox = asyncio.run(app.outbox())
    assert status == 200 and outbox["items"] == stored
    assert [status for status, _ in burst(app, ["next"])] == [200]
    assert stored_bodies(postgres_url)[0]["body"] == "next"


def test_a_batch_whose_connection_broke_before_it_was_sent_runs_its_requests_again(
    app: App, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Broken before the statement reached the database: nothing was stored, the database is
    back at once, so each send runs again and is stored once (200), none twice."""
    broken = break_commit(app, monkeypatch, postgres_url, after=False)
    texts = [f"again {n}" for n in range(8)]
    answers = burst(app, texts)
    assert broken
    assert [status for status, _ in answers] == [200] * 8, answers
    stored = stored_bodies(postgres_url)
    assert sorted(m["body"] for m in stored) == sorted(texts)
    ids = [int(m["id"]) for m in reversed(stored)]
    assert ids == sorted(set(ids))
    status, outbox = asyncio.run(app.outbox())
    assert status == 200 and outbox["items"] == stored


def test_a_database_silent_beyond_the_bound_answers_that_the_write_may_be_stored(
    app: App, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Committed, then the database cannot be asked within the bound: the send is a 503 that
    says its write may have been stored (not "changed nothing": it was), and once the database
    answers, the next read serves what it holds, the message included, as a restart does."""
    silent = silence_the_resolution(app, monkeypatch)
    broken = break_commit(app, monkeypatch, postgres_url, after=True)
    [(status, body)] = burst(app, ["maybe"])
    assert broken
    assert status == 503
    text = json.dumps(body)
    assert "may have been" in text and "PostgreSQL at 127.0.0.1" in text, text
    assert "changed nothing" not in text
    silent.append(1)
    stored = stored_bodies(postgres_url)
    assert [m["body"] for m in stored] == ["maybe"]
    status, outbox = asyncio.run(app.outbox())  # caught up before it is served
    assert status == 200 and outbox["items"] == stored
    assert [status for status, _ in burst(app, ["after"])] == [200]
    assert [m["body"] for m in stored_bodies(postgres_url)] == ["after", "maybe"]


@pytest.mark.parametrize("unsure", [["maybe"], ["maybe", "maybe not"]], ids=["one", "two"])
def test_a_write_of_unknown_outcome_found_stored_later_has_its_webhook_delivered_once(
    app: App,
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
    receiver: str,
    unsure: list[str],
) -> None:
    """Committed, then the database silent beyond the bound: a 503 that says it may have been
    stored (and, with "two", a second send's commit fails so too before any catch-up: its
    unit would take the same number, and is not stored). The tenant's next request catches
    up and finds the first unit stored, byte for byte as this process made it: its message
    is this process's (no other will deliver its webhook), so the webhook hears it, once,
    and the next send's after it."""
    switches: list[list[int]] = []  # (the database's silence, once the webhook is set)
    broken: list[list[int]] = []  # (the batches broken, once the webhook is set)

    async def story() -> list[int]:
        settings = {"webhook_url": receiver}
        statuses = [(await app.call("PUT", f"{CONTROL}/settings", settings))[0]]
        switches.append(silence_the_resolution(app, monkeypatch))
        broken.append(break_commit(app, monkeypatch, postgres_url, True, len(unsure)))
        for text in unsure:
            statuses.append((await app.send(text))[0])
        switches[0].append(1)
        statuses.append((await app.outbox())[0])  # caught up: the unit is found stored
        statuses.append((await app.send("after"))[0])
        for _ in range(250):
            if len(Receiver.received) >= 2:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)  # (a second delivery of either would have come by now)
        return statuses

    assert asyncio.run(story()) == [200, *[503] * len(unsure), 200, 200]
    assert broken[0] == [1] * len(unsure)
    assert [m["body"] for m in Receiver.received] == ["maybe", "after"]


def test_a_batch_of_several_tenants_is_resolved_per_tenant(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One statement carried two tenants' units; it committed, one tenant's part was refused
    (another process had written to it first): after the break, the stored tenant's sends
    are 200, the other's run again, and each tenant's outbox holds each send once."""
    with in_process(database_url=postgres_url) as sandbox:
        first = sandbox.create_tenant(EXAMPLE_FIXTURE, name="first")
        second = sandbox.create_tenant(EXAMPLE_FIXTURE, name="second")
    one = App(postgres_url, first)
    two = copy.copy(one)  # (the same app, the second tenant's credentials)
    two.tenant = second
    auth = {**second.capillary_auth(), "content-type": "application/json", "host": "localhost"}
    two.headers = [(k.lower().encode(), v.encode()) for k, v in auth.items()]
    try:
        database = batches(one)
        real: Callable[..., Any] = database.execute
        broken: list[set[str]] = []

        def execute(sql: str, params: Any = ()) -> Any:
            if sql is not APPEND_BATCH or broken:
                return real(sql, params)
            storages = set(params["storages"])
            broken.append(storages)
            if len(storages) > 1:  # another process writes to `second` first
                storage = next(s for s in storages if s.startswith("second/"))
                unit = json.dumps([["put", "meta", {"id": "elsewhere"}]]).encode()
                with psycopg.connect(postgres_url, autocommit=True) as other:
                    other.execute(
                        "WITH moved AS (UPDATE sandbox_storages SET head = head + 1 WHERE "
                        "storage = %s RETURNING storage, head) INSERT INTO sandbox_journal "
                        "SELECT storage, head, %s FROM moved",
                        (storage, unit),
                    )
            real(sql, params)
            terminate(postgres_url, database)
            return real(sql, params)

        monkeypatch.setattr(database, "execute", execute)

        async def together() -> list[tuple[int, Any]]:
            sends = [one.send(f"one {n}") for n in range(4)]
            sends += [two.send(f"two {n}") for n in range(4)]
            return list(await asyncio.gather(*sends))

        answers = asyncio.run(together())
        assert broken and len(broken[0]) == 2
        assert [status for status, _ in answers] == [200] * 8, answers
        for name, prefix in (("first", "one"), ("second", "two")):
            bodies = sorted(m["body"] for m in stored_bodies(postgres_url, name))
            assert bodies == sorted(f"{prefix} {n}" for n in range(4))
    finally:
        one.close()


def test_a_commit_that_finds_no_connection_sent_nothing_and_says_so(
    app: App, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The committer's connection cannot be opened for the write (its catch-up reads go
    through another): nothing was sent, so the send is a 503 saying it changed nothing, and
    nothing is stored."""
    database = batches(app)
    database.close()
    reader = Database(postgres_url)
    monkeypatch.setattr(database, "read", reader.read)

    def refuse() -> Any:
        raise database.unavailable(ConnectionRefusedError("connection refused"))

    monkeypatch.setattr(database, "connection", refuse)
    try:
        [(status, body)] = burst(app, ["never sent"])
    finally:
        reader.close()
    assert status == 503 and "changed nothing" in json.dumps(body)
    assert "never sent" not in [m["body"] for m in stored_bodies(postgres_url)]


@pytest.mark.parametrize("after", [True, False], ids=["committed", "not sent"])
def test_an_append_made_at_once_whose_connection_broke_is_resolved_too(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, after: bool
) -> None:
    """The appends made at once (no event loop, a locked run, a step: `TenantRows.append`):
    committed before the break -> the write stands, in memory and in the database; broken
    before -> nothing stored, and the caller is told to catch up and run again (Behind)."""
    registry = Registry(postgres_url)
    try:
        rows = registry.backend("t", None, 1 << 20)
        data = TenantData("t", SPECS, rows)
        data.initialise(FIXTURE, FIXTURE)
        real: Callable[..., Any] = registry.database.changed

        def changed(sql: str, params: Any = ()) -> Any:
            if sql is not APPEND:
                return real(sql, params)
            if after:
                real(sql, params)
            terminate(postgres_url, registry.database)
            return real(sql, params)

        monkeypatch.setattr(registry.database, "changed", changed)
        tx = data.begin()
        tx.put("notes", {"id": "written"})
        if after:
            tx.commit()
            assert data["notes"].get("written") is not None and rows.seq == 1
        else:
            with pytest.raises(Behind):
                tx.commit()
            assert data["notes"].get("written") is None and rows.seq == 0
        with psycopg.connect(postgres_url) as connection:
            found = connection.execute(
                "SELECT count(*) FROM sandbox_journal WHERE storage = %s", (rows.storage,)
            ).fetchone()
        assert found == (1 if after else 0,)
    finally:
        registry.close()
