"""Group commit on PostgreSQL (sandbox/store/committer.py; docs/architecture.md "Group commit"):
many concurrent requests of one tenant through one process share the committer's cycles, each
answered only once the units it saw are stored; a batch the database refuses (another process
wrote first) undoes every unit in flight and their requests run again, none lost, none twice;
a read that saw a unit whose batch failed answers what failed, not what never happened.

Concurrent requests go through the app's own event loop (AppCaller.exchange, several at once);
the committer's cycle (`Registry._cycle`, its thread) is wrapped to hold, fail or race a batch."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from live_server import server
from pg_cluster import Cluster

from sandbox.app import VENDORS, create_app
from sandbox.errors import StorageUnavailable
from sandbox.settings import Settings
from sandbox.store.postgres import Registry
from sandbox.testing import Sandbox, Tenant, in_process
from sandbox.testing.example import EXAMPLE_FIXTURE
from sandbox.testing.transport import AppCaller

SEND = "/capillary/v2/communications/sendMessage"
ACTIVE = "919988221100"
CUSTOMER = "/capillary/v2/customers/565039505?source=INSTORE"  # a read
Cycle = Callable[[list[Any], list[Any]], Any]


class App:
    """A sandbox app on `url` called in this thread, several requests at once."""

    def __init__(self, url: str, tenant: Tenant) -> None:
        self.app = create_app(Settings(database_url=url), vendors=VENDORS)
        self.caller = AppCaller(self.app)
        self.tenant = tenant
        auth = {**tenant.capillary_auth(), "content-type": "application/json", "host": "localhost"}
        self.headers = [(k.lower().encode(), v.encode()) for k, v in auth.items()]

    async def call(self, method: str, target: str, body: Any = None) -> tuple[int, Any]:
        answer = await self.caller.exchange(
            method=method,
            scheme="http",
            server=("localhost", 80),
            target=target,
            headers=self.headers,
            body=b"" if body is None else json.dumps(body).encode(),
        )
        assert answer is not None
        status, _, content = answer
        return status, json.loads(content)

    def send(self, text: str) -> Any:
        return self.call("POST", SEND, {"sms": [{"to": ACTIVE, "body": text}]})

    def outbox(self) -> Any:
        return self.call("GET", f"/_sandbox/tenants/{self.tenant.name}/outbox")

    def close(self) -> None:
        self.app.request_logs.close()
        self.app.store.close()
        self.caller.close()


@pytest.fixture
def shared(postgres_url: str) -> Iterator[tuple[str, Tenant]]:
    with in_process(database_url=postgres_url) as sandbox:
        tenant = sandbox.create_tenant(EXAMPLE_FIXTURE, name="grouped")
    yield postgres_url, tenant


@pytest.fixture
def app(shared: tuple[str, Tenant]) -> Iterator[App]:
    opened = App(*shared)
    yield opened
    opened.close()


def wrap_cycle(
    app: App, monkeypatch: pytest.MonkeyPatch, around: Callable[[Cycle, Any, Any], Any]
) -> None:
    """The app's committer cycles through `around(real cycle, writes, reads)`."""
    registry = app.app.store.database
    assert isinstance(registry, Registry)
    committer = registry.committer
    real: Cycle = committer._io

    def cycle(writes: list[Any], reads: list[Any]) -> Any:
        return around(real, writes, reads)

    monkeypatch.setattr(committer, "_io", cycle)


def journal_count(url: str) -> int:
    with psycopg.connect(url) as connection:
        found = connection.execute("SELECT count(*) FROM sandbox_journal").fetchone()
        assert found is not None
        return int(found[0])


def test_concurrent_sends_are_answered_only_once_their_units_are_stored(
    app: App, shared: tuple[str, Tenant], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch held in the committer: no send is answered; let go: every one is, each
    stored, in one cycle's statement."""
    url, _ = shared
    held, holding = threading.Event(), threading.Event()
    batches: list[int] = []

    def hold(real: Cycle, writes: Any, reads: Any) -> Any:
        if writes:
            holding.set()
            assert held.wait(10)
            batches.append(sum(len(units) for _, _, units in writes))
        return real(writes, reads)

    wrap_cycle(app, monkeypatch, hold)
    before = journal_count(url)

    async def burst() -> None:
        sends = [asyncio.ensure_future(app.send(f"burst {n}")) for n in range(12)]
        while not holding.is_set():
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.2)  # (time enough to answer, were an answer not held)
        assert not any(send.done() for send in sends)
        assert journal_count(url) == before
        held.set()
        answers = await asyncio.gather(*sends)
        assert [status for status, _ in answers] == [200] * 12

    asyncio.run(burst())
    assert journal_count(url) == before + 12
    assert batches[0] > 1  # the sends that waited together went in one statement
    _, outbox = asyncio.run(app.outbox())
    assert sorted(m["body"] for m in outbox["items"]) == sorted(f"burst {n}" for n in range(12))


def test_a_batch_refused_because_another_process_wrote_first_runs_its_requests_again(
    app: App, shared: tuple[str, Tenant], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process appends to the tenant while this one's batch is on its way: the batch
    is refused, every unit in flight undone, and each send runs again caught up: every body
    recorded once, ids unique and increasing, the other process's write kept."""
    url, _ = shared
    raced: list[int] = []

    def race(real: Cycle, writes: Any, reads: Any) -> Any:
        if writes and not raced:  # another process writes first (a row as any would)
            storage, base, units = writes[0]
            raced.append(len(units))
            unit = json.dumps([["put", "meta", {"id": "elsewhere", "by": "another"}]])
            with psycopg.connect(url, autocommit=True) as other:
                other.execute(
                    "WITH moved AS (UPDATE sandbox_storages SET head = head + 1 WHERE storage "
                    "= %s AND head = %s RETURNING storage, head) INSERT INTO sandbox_journal "
                    "SELECT storage, head, %s FROM moved",
                    (storage, base, unit.encode()),
                )
        return real(writes, reads)

    wrap_cycle(app, monkeypatch, race)

    async def burst() -> list[Any]:
        return list(await asyncio.gather(*(app.send(f"raced {n}") for n in range(10))))

    answers = asyncio.run(burst())
    assert raced and raced[0] > 1  # several units were in the refused batch
    assert [status for status, _ in answers] == [200] * 10
    _, outbox = asyncio.run(app.outbox())
    bodies = [m["body"] for m in outbox["items"]]
    assert sorted(bodies) == sorted(f"raced {n}" for n in range(10))  # each once
    ids = [int(m["id"]) for m in reversed(outbox["items"])]
    assert ids == sorted(set(ids))
    data = app.app.store.tenants["grouped"]
    assert data["meta"].get("elsewhere") == {"id": "elsewhere", "by": "another"}
    with in_process(database_url=url) as fresh:  # what the database holds: the same
        stored = fresh.http.get("/_sandbox/tenants/grouped/outbox").json()["items"]
    assert stored == outbox["items"]


def test_a_read_that_saw_a_unit_whose_batch_failed_answers_the_failure(
    app: App, shared: tuple[str, Tenant], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A send and a read caught up together: the read runs after the send's handler and
    sees its message in memory; the batch fails (the database is unavailable): the send is
    a 503 and so is the read, not a 200 listing a message that was never stored."""
    failed: list[bool] = []

    def fail(real: Cycle, writes: Any, reads: Any) -> Any:
        if writes and not failed:
            failed.append(True)
            raise StorageUnavailable("PostgreSQL at test is unavailable (stopped by the test)")
        return real(writes, reads)

    wrap_cycle(app, monkeypatch, fail)

    async def together() -> list[Any]:
        return list(await asyncio.gather(app.send("never stored"), app.outbox()))

    (sent, _), (read, body) = asyncio.run(together())
    assert failed
    assert sent == 503
    assert read == 503, body  # it saw the message in memory: it answers what became of it
    assert "PostgreSQL" in json.dumps(body)
    status, outbox = asyncio.run(app.outbox())
    assert status == 200 and "never stored" not in [m["body"] for m in outbox["items"]]
    status, _ = asyncio.run(app.send("after"))
    assert status == 200


def test_stopping_the_database_mid_burst_keeps_every_acknowledged_send_and_no_refused_one(
    postgres_cluster: Cluster, postgres_url: str, tmp_path: Path
) -> None:
    """A real server under concurrent sends to one tenant; PostgreSQL stopped and started in
    the middle: each send answered 200 is in the outbox afterwards, each answered 503 is not
    (but for a 503 saying its write may have been stored: the database went away with the
    commit's answer, sandbox/store/outcome.py)."""
    with server(tmp_path / "a", args=("--database-url", postgres_url)) as (_, client):
        tenant = Sandbox(client).create_tenant(EXAMPLE_FIXTURE, name="burst")
        answered: dict[str, int] = {}
        unsure: set[str] = set()  # 503s saying the write may have been stored (outcome.py)
        stop = threading.Event()

        def load(thread: int) -> None:
            with httpx.Client(base_url=client.base_url, timeout=30) as own:
                number = 0
                while not stop.is_set():
                    number += 1
                    text = f"t{thread}-{number}"
                    try:
                        answer = own.post(
                            SEND,
                            json={"sms": [{"to": ACTIVE, "body": text}]},
                            headers=tenant.capillary_auth(),
                        )
                    except httpx.TransportError:
                        continue
                    answered[text] = answer.status_code
                    if "may have been" in answer.text:  # committed or not: nobody can tell
                        unsure.add(text)

        threads = [threading.Thread(target=load, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        try:
            _wait(lambda: sum(code == 200 for code in answered.values()) >= 50)
            postgres_cluster.stop()
            _wait(lambda: sum(code == 503 for code in answered.values()) >= 8)
        finally:
            postgres_cluster.start()
            _wait(lambda: list(answered.values())[-1:] == [200])
            stop.set()
            for thread in threads:
                thread.join(30)
        bodies = [m["body"] for m in Tenant(tenant.name, tenant.credentials, client).messages()]
        ok = {text for text, code in answered.items() if code == 200}
        refused = {text for text, code in answered.items() if code == 503} - unsure
        assert refused and len(ok) >= 50
        assert set(answered.values()) <= {200, 503}
        assert ok <= set(bodies)
        assert not refused & set(bodies)
        assert len(bodies) == len(set(bodies))


def _wait(check: Callable[[], bool], seconds: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("not within the time")
        time.sleep(0.02)


def test_a_read_that_fails_after_its_cycle_stored_units_leaves_them_stored(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One cycle stores a unit, then its catch-up read fails (the database went away between
    the two statements): the unit is stored and answered so, only the read fails."""
    from test_store_backend import FIXTURE
    from test_store_unit import SPECS

    from sandbox.store import TenantData

    registry = Registry(postgres_url)
    try:
        rows = registry.backend("t", None, 1 << 20)
        data = TenantData("t", SPECS, rows)
        data.initialise(FIXTURE, FIXTURE)

        def gone(*args: Any) -> Any:
            raise StorageUnavailable("PostgreSQL at test is unavailable (gone after the commit)")

        monkeypatch.setattr(registry._batches, "read", gone)

        async def cycle() -> tuple[Any, Any]:
            tx = data.begin()
            tx.put("notes", {"id": "stored"})
            tx.commit()  # (deferred: an event loop runs)
            stored = rows.settled()
            assert stored is not None
            read = registry.committer.read(rows, lambda found: rows.apply(data, found))
            outcomes = await asyncio.gather(stored, read, return_exceptions=True)
            return outcomes[0], outcomes[1]

        stored, read = asyncio.run(cycle())
        assert stored is None  # stored, and answered so
        assert isinstance(read, StorageUnavailable)
        assert data["notes"].get("stored") is not None and rows.seq == 1
        with psycopg.connect(postgres_url) as connection:
            found = connection.execute(
                "SELECT count(*) FROM sandbox_journal WHERE storage = %s", (rows.storage,)
            ).fetchone()
        assert found == (1,)
    finally:
        registry.close()


def test_a_compaction_that_fails_to_start_leaves_every_request_of_its_cycle_answered(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in starting a compaction (here a TypeError, as an unencodable snapshot raised)
    is logged; the committer's cycle goes on: every request that waited on it, the reads
    checked in it too, is answered (not left waiting for ever)."""
    data = app.app.store.tenants[app.tenant.name]
    backend = data.backend
    monkeypatch.setattr(backend, "compact_bytes", 0)  # every stored unit makes one due
    monkeypatch.setattr(backend, "_snapshot_bytes", 0)
    started: list[bool] = []

    def broken(background: bool = False) -> None:
        started.append(background)
        raise TypeError("Dict key must be str")

    monkeypatch.setattr(data, "compact", broken)
    held, holding = threading.Event(), threading.Event()

    def hold(real: Cycle, writes: Any, reads: Any) -> Any:
        if not holding.is_set():
            holding.set()
            assert held.wait(10)
        return real(writes, reads)

    wrap_cycle(app, monkeypatch, hold)

    async def requests() -> list[int]:
        first = asyncio.ensure_future(app.send("compacting"))
        while not holding.is_set():
            await asyncio.sleep(0.005)
        together = [asyncio.ensure_future(app.send(f"compacting {n}")) for n in range(3)]
        together.append(asyncio.ensure_future(app.call("GET", CUSTOMER)))
        await asyncio.sleep(0.1)  # (all four wait for the cycle after the held one)
        held.set()
        answers = await asyncio.wait_for(asyncio.gather(first, *together), 10)
        return [status for status, _ in answers]

    assert asyncio.run(requests()) == [200] * 5
    assert started  # (the compaction was due and its start failed)


def test_a_web_page_is_sent_only_once_the_units_it_shows_are_stored(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outbox page waits for its catch-up read, then for the units in flight it found
    (the second send's, then the third's, each made while it waited for the one before); a
    fourth send served meanwhile is in memory when the page renders, but its batch fails:
    the page must not show that message (it never happened): it says the database is
    unavailable instead."""
    held = ("read", "second", "third")
    gates = {name: threading.Event() for name in held}
    reached = {name: threading.Event() for name in held}

    def around(real: Cycle, writes: Any, reads: Any) -> Any:
        units = b"".join(unit for _, _, batch in writes for unit in batch)
        if b"fourth send" in units:
            raise StorageUnavailable("PostgreSQL at test is unavailable; nothing was sent")
        for name in held[1:]:
            if f"{name} send".encode() in units and not reached[name].is_set():
                reached[name].set()
                assert gates[name].wait(10)
        if reads and not writes and not reached["read"].is_set():
            reached["read"].set()
            assert gates["read"].wait(10)
        return real(writes, reads)

    wrap_cycle(app, monkeypatch, around)
    page_target = f"/_sandbox/ui/tenants/{app.tenant.name}"

    async def page() -> tuple[int, str]:
        answer = await app.caller.exchange(
            method="GET",
            scheme="http",
            server=("localhost", 80),
            target=page_target,
            headers=[(b"host", b"localhost")],
            body=b"",
        )
        assert answer is not None
        return answer[0], answer[2].decode()

    async def until(event: threading.Event) -> None:
        for _ in range(1000):
            if event.is_set():
                return
            await asyncio.sleep(0.005)
        raise AssertionError("the committer never reached that cycle")

    async def story() -> tuple[tuple[int, str], list[int]]:
        shown = asyncio.ensure_future(page())
        sends = []
        for held_cycle, text in zip(held, ("second", "third", "fourth"), strict=True):
            await until(reached[held_cycle])  # the page waits on this cycle, held
            sends.append(asyncio.ensure_future(app.send(f"{text} send")))
            await asyncio.sleep(0.05)  # (its unit in memory, waiting for the next cycle)
            gates[held_cycle].set()
        results = await asyncio.wait_for(asyncio.gather(shown, *sends), 10)
        return results[0], [status for status, _ in results[1:]]

    (status, html), statuses = asyncio.run(story())
    assert statuses == [200, 200, 503]
    assert "fourth send" not in html
    assert status == 503 and "unavailable" in html


def test_a_reconnecting_stream_hears_a_message_in_flight_once_stored_and_once(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream opened with Last-Event-ID while a send's unit is in flight (made as the
    stream's answer began, after its catch-up): its backlog holds the stored messages only;
    the one in flight reaches it once stored, through the bus, once (not also in the backlog,
    which would tell it twice, or tell it though its batch failed)."""
    gate, reached = threading.Event(), threading.Event()

    def hold(real: Cycle, writes: Any, reads: Any) -> Any:
        units = b"".join(unit for _, _, batch in writes for unit in batch)
        if b"in flight" in units:
            reached.set()
            assert gate.wait(10)
        return real(writes, reads)

    events = f"/_sandbox/tenants/{app.tenant.name}/events"

    async def story() -> list[str]:
        status, _ = await app.send("stored first")
        assert status == 200
        _, outbox = await app.outbox()
        before = int(outbox["items"][0]["id"]) - 1  # the stream resumes before it
        wrap_cycle(app, monkeypatch, hold)
        heard: list[str] = []
        closing = asyncio.Event()
        sends: list[asyncio.Future[Any]] = []
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": events,
            "raw_path": events.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"localhost"), (b"last-event-id", str(before).encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("localhost", 80),
            "state": {},
        }
        requested = False

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if requested:
                await closing.wait()
                return {"type": "http.disconnect"}
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":  # a send served meanwhile
                sends.append(asyncio.ensure_future(app.send("in flight")))
                while not reached.is_set():
                    await asyncio.sleep(0.005)
            for line in message.get("body", b"").decode().splitlines():
                if line.startswith("data: "):
                    heard.append(json.loads(line[6:])["body"])

        streaming = asyncio.ensure_future(app.app(scope, receive, send))
        while not reached.is_set():
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.2)  # (the backlog sent)
        gate.set()
        assert (await sends[0])[0] == 200
        await asyncio.sleep(0.3)  # (a second telling would have come by now)
        closing.set()
        await asyncio.wait_for(streaming, 5)
        return heard

    assert asyncio.run(story()) == ["stored first", "in flight"]


def test_a_bug_settling_a_tenants_units_fails_its_requests_and_the_committer_goes_on(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug while the committer settles a cycle's units (here `stored` raising once, after
    the statement stored them) fails the requests of those units with a 503 saying the write
    may have been stored, instead of leaving them and every later request waiting for ever;
    the next send is answered as before, and the outbox holds both, each once."""
    backend = app.app.store.tenants[app.tenant.name].backend
    real = backend.stored
    raised: list[int] = []

    def stored(count: int) -> None:
        if not raised:
            raised.append(count)
            raise RuntimeError("a bug while settling")
        real(count)

    monkeypatch.setattr(backend, "stored", stored)

    async def sends() -> list[tuple[int, Any]]:
        first = await asyncio.wait_for(app.send("settling"), 10)
        after = await asyncio.wait_for(app.send("after the bug"), 10)
        return [first, after]

    (status, body), (after, _) = asyncio.run(sends())
    assert (status, after) == (503, 200) and raised == [1]
    assert "may have been stored" in json.dumps(body)  # (it was: not "nothing changed")
    _, outbox = asyncio.run(app.outbox())
    assert [m["body"] for m in outbox["items"]][:2] == ["after the bug", "settling"]
