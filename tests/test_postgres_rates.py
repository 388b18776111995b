"""Rate limits shared by the processes serving one PostgreSQL database
(sandbox/store/shared.py, sandbox/faults.py): a tenant's limit holds across them, exactly, at
one statement per call while its window has room and none once it is full. Two real server
processes on one database (tests/live_server.py, tests/pg_cluster.py); the tenant exists
before both start, and the calls are reads (a rate limit needs no other write)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from live_server import server

from sandbox.store.postgres import Registry
from sandbox.store.shared import count_request
from sandbox.testing import Sandbox, Tenant, in_process
from sandbox.testing.example import EXAMPLE_FIXTURE

PATH = "/capillary/v2/customers/565039505"
CUSTOMER = f"{PATH}?source=INSTORE"  # a read: it writes nothing
FROZEN = {"now": "2026-11-23T10:00:00Z", "frozen": True}


def two_servers(
    url: str, tmp_path: Path, stack: ExitStack, fixture: dict[str, Any]
) -> tuple[Tenant, httpx.Client, httpx.Client]:
    """The tenant `shared` made from `fixture` through the first server, then a second
    server started on the same database (it loads the tenant): the tenant and both clients."""
    args = ("--database-url", url)
    _, first = stack.enter_context(server(tmp_path / "a", args=args))
    tenant = Sandbox(first).create_tenant(fixture, name="shared")
    _, second = stack.enter_context(server(tmp_path / "b", args=args))
    return tenant, first, second


def test_a_rate_limit_holds_exactly_across_two_processes(postgres_url: str, tmp_path: Path) -> None:
    fixture = {**EXAMPLE_FIXTURE, "clock": FROZEN, "settings": {"rate_limits": {"capillary": 5}}}
    with ExitStack() as stack:
        tenant, first, second = two_servers(postgres_url, tmp_path, stack, fixture)
        auth = tenant.capillary_auth()
        answers = [
            (first if number % 2 == 0 else second).get(CUSTOMER, auth=auth) for number in range(12)
        ]
        # five in the window across both processes (three through one, two through the
        # other), not five through each; the rest refused in Capillary's envelope
        assert [a.status_code for a in answers] == [200] * 5 + [429] * 7
        refused = answers[-1]
        assert refused.headers["Retry-After"] == "60"
        assert refused.json()["errors"][0]["code"] == 429
        # another vendor of the tenant has no limit; a new window opens on the tenant's clock
        assert second.get("/symplify/1234/lists", headers=tenant.symplify_auth()).is_success


def test_concurrent_calls_through_two_processes_admit_exactly_the_limit(
    postgres_url: str, tmp_path: Path
) -> None:
    fixture = {**EXAMPLE_FIXTURE, "clock": FROZEN, "settings": {"rate_limits": {"capillary": 20}}}
    with ExitStack() as stack:
        tenant, first, second = two_servers(postgres_url, tmp_path, stack, fixture)
        auth = tenant.capillary_auth()
        statuses: list[int] = []

        def call(client: httpx.Client) -> None:
            for _ in range(15):
                statuses.append(client.get(CUSTOMER, auth=auth).status_code)

        threads = [threading.Thread(target=call, args=(c,)) for c in (first, second) * 2]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [200] * 20 + [429] * 40


def test_a_shared_window_starts_restarts_and_goes_with_its_state(
    postgres_url: str,
) -> None:
    registry = Registry(postgres_url)
    try:
        rows = registry.backend("t", None, 1 << 20)
        rows.create({})  # (staged, as a create stages it: an install needs its rows)
        assert registry.install("t", rows.storage, {"name": "t"}, None)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        minute, grace = timedelta(seconds=60), timedelta(seconds=1)

        def count(seconds: float, scope: str = "capillary") -> tuple[datetime, int]:
            return count_request(rows, scope, start + timedelta(seconds=seconds), minute, grace)

        assert count(0) == (start, 1)
        assert count(59.9) == (start, 2)
        assert count(-0.5) == (start, 3)  # read a moment before another process did
        assert count(0, scope="messangi") == (start, 1)  # each vendor its own window
        assert count(60) == (start + minute, 1)  # the window ended: the next one starts
        assert count(30) == (start + timedelta(seconds=30), 1)  # the clock went back
        other = registry.backend("t", None, 1 << 20)
        other.create({})
        assert registry.install("t", other.storage, {"name": "t"}, rows.storage)  # a reset
        with psycopg.connect(postgres_url) as connection:
            left = connection.execute("SELECT count(*) FROM sandbox_rates").fetchone()
        assert left == (0,)
        assert count_request(other, "capillary", start, minute, grace) == (start, 1)
    finally:
        registry.close()


@pytest.fixture
def counting() -> Iterator[list[str]]:
    """The SQL statements the test's thread sends (the request log's writer thread is not
    counted)."""
    counted: list[str] = []
    original = psycopg.Connection.execute
    caller = threading.get_ident()

    def execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        if threading.get_ident() == caller:
            counted.append(str(query))
        return original(self, query, *args, **kwargs)

    psycopg.Connection.execute = execute  # type: ignore[method-assign]
    try:
        yield counted
    finally:
        psycopg.Connection.execute = original  # type: ignore[method-assign]


def test_a_rate_limit_costs_a_statement_only_while_its_window_has_room(
    postgres_url: str, counting: list[str]
) -> None:
    with in_process(database_url=postgres_url) as sandbox:
        limited = sandbox.create_tenant(
            {**EXAMPLE_FIXTURE, "clock": FROZEN, "settings": {"rate_limits": {"capillary": 2}}}
        )
        free = sandbox.create_tenant(EXAMPLE_FIXTURE)
        counting.clear()
        for expected in (200, 200, 429, 429):
            before = len(counting)
            assert sandbox.http.get(CUSTOMER, auth=limited.capillary_auth()).status_code == expected
            rate = [sql for sql in counting[before:] if "sandbox_rates" in sql]
            assert len(rate) == (1 if expected == 200 else 0), expected  # full: known here
        before = len(counting)
        assert sandbox.http.get(CUSTOMER, auth=free.capillary_auth()).status_code == 200
        rate = [sql for sql in counting[before:] if "sandbox_rates" in sql]
        assert rate == []  # no limit: no statement for it (the catch-up's is every request's)


def test_a_database_of_the_first_increment_gains_the_shared_tables(postgres_url: str) -> None:
    Registry(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as connection:
        connection.execute("DROP TABLE sandbox_rates, sandbox_requests")  # as main made it
    fixture = {**EXAMPLE_FIXTURE, "clock": FROZEN, "settings": {"rate_limits": {"capillary": 1}}}
    with in_process(database_url=postgres_url) as sandbox:
        tenant = sandbox.create_tenant(fixture)
        auth = tenant.capillary_auth()
        assert [sandbox.http.get(CUSTOMER, auth=auth).status_code for _ in range(2)] == [200, 429]
