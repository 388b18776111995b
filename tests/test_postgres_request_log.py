"""The request log shared by the processes serving one PostgreSQL database
(sandbox/request_log.py SharedRequestLogs, sandbox/store/shared.py): read through any process
it holds every process's requests (the serving process's at once, the others' once their
writer's batch is in), the newest `size` of each tenant, whole; entries wait for a stopped
database and reading it then answers 503. The tenant exists before both servers start, and
the requests are reads."""

from __future__ import annotations

import time
from contextlib import ExitStack
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import psycopg
from event_stream import wait_for
from pg_cluster import Cluster
from test_postgres_rates import PATH, two_servers

from sandbox.asgi import RawHeaders
from sandbox.request_log import MICROSECONDS, Entry, SharedRequestLogs, decode, encode, sent
from sandbox.store import TenantData
from sandbox.store.postgres import Registry
from sandbox.store.shared import RequestRows
from sandbox.testing import Tenant, in_process
from sandbox.testing.example import EXAMPLE_FIXTURE

SPECS: tuple[Any, ...] = ()


def entries_through(client: httpx.Client, tenant: Tenant) -> list[dict[str, Any]]:
    answer = client.get(f"{tenant.control}/requests", params={"limit": 1000})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_the_request_log_read_through_either_process_holds_both(
    postgres_url: str, tmp_path: Path
) -> None:
    with ExitStack() as stack:
        tenant, first, second = two_servers(postgres_url, tmp_path, stack, EXAMPLE_FIXTURE)
        auth = tenant.capillary_auth()
        for number in range(3):
            for side, client in (("first", first), ("second", second)):
                query = {"source": "INSTORE", "via": f"{side}-{number}"}
                assert client.get(PATH, params=query, auth=auth).status_code == 200

        # the process that served a request has its entry at once
        def queries(client: httpx.Client) -> list[str]:
            return [e["query"] for e in entries_through(client, tenant) if "via" in e["query"]]

        assert queries(first) == [f"source=INSTORE&via=first-{n}" for n in (2, 1, 0)]
        every = [
            f"source=INSTORE&via={side}-{n}" for n in (2, 1, 0) for side in ("second", "first")
        ]

        def has_every(client: httpx.Client) -> bool:
            return queries(client) == every

        for client in (first, second):  # the other's entries once its batch is written
            wait_for(partial(has_every, client), seconds=15)
        entry = next(
            e for e in entries_through(first, tenant) if e["query"] == "source=INSTORE&via=second-0"
        )
        assert (entry["method"], entry["path"], entry["status"]) == ("GET", PATH, 200)
        assert entry["operationId"] == "getCustomerV2" and entry["vendor"] == "capillary"


def shared_tenant(registry: Registry, name: str = "t", replaces: str | None = None) -> TenantData:
    """A tenant `name` in the database, new or in place of its state `replaces`."""
    rows = registry.backend(name, None, 1 << 20)
    rows.create({})  # (staged, as a create stages it: an install needs its rows)
    assert registry.install(name, rows.storage, {"name": name}, replaces)
    return TenantData(name, SPECS, rows)


def entry(number: int, **fields: Any) -> Entry:
    return Entry(
        "POST",
        f"/capillary/v2/communications/sendMessage/{number}",
        b"channel=sms&x=\xe9",
        200,
        "sendMessage",
        "capillary",
        datetime(2026, 1, 1, 10, 0, number, 123000, tzinfo=UTC),
        0.25,
        [str(number)],
        **fields,
    )


def test_a_shared_log_keeps_the_newest_entries_of_every_process_whole(
    postgres_url: str,
) -> None:
    registry = Registry(postgres_url)
    one, two = (SharedRequestLogs(postgres_url, size=3) for _ in range(2))
    try:
        tenant = shared_tenant(registry)
        headers = {"authorization": "Basic c2VjcmV0", "content-type": "application/json"}
        for number in range(8):
            (one if number % 2 else two).append(
                tenant, entry(number, headers=headers, body=b'{"password": "x"}', body_size=40)
            )
            time.sleep(0.002)  # (logged at distinct instants)
        one.close()
        two.close()
        with psycopg.connect(postgres_url) as connection:
            kept = connection.execute("SELECT count(*) FROM sandbox_requests").fetchone()
        assert kept == (3,)  # the newest `size` of the tenant's, whoever wrote them
        body = b'{"password": "x"}'
        newest = [entry(n, headers=headers, body=body, body_size=40) for n in (5, 6, 7)]
        reader = SharedRequestLogs(postgres_url, size=3)  # a third process: none of its own
        for logs in (reader, one, two):  # each: its own and the others', the newest three
            log = logs.of(tenant)
            assert [e.document() for e in log] == [e.document() for e in newest]
            assert [sent(e) for e in log] == [sent(e) for e in newest]  # masked, as kept
    finally:
        for logs in (one, two):
            logs.close()
        registry.close()


def test_entries_of_a_state_replaced_before_they_are_written_are_not_kept(
    postgres_url: str,
) -> None:
    registry = Registry(postgres_url)
    rows = RequestRows(postgres_url)
    try:
        old = shared_tenant(registry)
        storage = old.backend.storage  # type: ignore[attr-defined]
        shared_tenant(registry, replaces=storage)  # replaced (or reset): the old rows dropped
        rows.write([(storage, "p", 1, 1, b"[]", b"")], size=10)
        with psycopg.connect(postgres_url) as connection:
            kept = connection.execute("SELECT count(*) FROM sandbox_requests").fetchone()
        assert kept == (0,)
    finally:
        rows.close()
        registry.close()


def test_entries_wait_for_a_stopped_database_and_reading_it_answers_503(
    postgres_cluster: Cluster, postgres_url: str
) -> None:
    with in_process(database_url=postgres_url) as sandbox:
        tenant = sandbox.create_tenant(EXAMPLE_FIXTURE)
        logs = SharedRequestLogs(postgres_url)  # another process's writer
        data = sandbox.caller.app.store.tenants[tenant.name]  # type: ignore[union-attr]
        postgres_cluster.stop()
        try:
            logs.append(data, entry(1))
            time.sleep(0.3)  # the writer tried, and failed
            answer = sandbox.http.get(f"{tenant.control}/requests")
            assert answer.status_code == 503
            assert "PostgreSQL at 127.0.0.1" in answer.json()["error"]["message"]
        finally:
            postgres_cluster.start()
        logs.close()  # the database is back: what waited is written
        items = sandbox.http.get(f"{tenant.control}/requests").json()["items"]
        assert [item["message_ids"] for item in items if item["operationId"] == "sendMessage"] == [
            ["1"]
        ]


def test_an_entry_comes_back_from_its_row_as_it_was_logged() -> None:
    received = [
        (b"host", b"127.0.0.1:8000"),
        (b"authorization", b"Basic c2VjcmV0"),
        (b"x-repeated", b"first"),
        (b"content-type", b"application/json"),
        (b"x-repeated", b"second"),  # the first of repeated headers wins, as the request saw
    ]
    logged = entry(3, headers=RawHeaders(received), body=b'{"token": "t"}', body_size=99)
    logged = logged._replace(logged=1_765_000_000.123456)
    fields, body = encode(logged)
    again = decode(fields, body, round(logged.logged * MICROSECONDS))
    assert again.document() == logged.document()
    assert sent(again) == sent(logged)  # the same headers, in the same order, masked alike
    assert list(again.headers or {}) == ["host", "authorization", "x-repeated", "content-type"]
    assert again.time == logged.time and again.logged == logged.logged
