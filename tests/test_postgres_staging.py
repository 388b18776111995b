"""What a crash leaves between a tenant's staged rows and their install, on PostgreSQL
(sandbox/store/staging.py; docs/durability.md): a process killed with SIGKILL after staging
a tenant's new state leaves rows no tenant names; the next process to start drops them. Rows
another live process is staging are left alone, and an install whose staged rows were dropped
meanwhile refuses (503, nothing changed) instead of installing a tenant with no state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from test_store_backend import FIXTURE
from test_store_unit import SPECS

from sandbox.errors import StorageUnavailable
from sandbox.store import TenantData
from sandbox.store.postgres import Registry
from sandbox.testing import in_process
from sandbox.testing.example import EXAMPLE_FIXTURE

TABLES = ("sandbox_storages", "sandbox_fixtures", "sandbox_snapshots")
# a process that stages tenant `half` (its rows written, its lock taken) and is killed
# before it installs it; it prints the storage first
STAGE_AND_DIE = """
import os, signal, sys
from test_store_backend import FIXTURE
from test_store_unit import SPECS
from sandbox.store import TenantData
from sandbox.store.postgres import Registry

registry = Registry(sys.argv[1])
rows = registry.backend("half", None, 1 << 20)
TenantData("half", SPECS, rows).initialise(FIXTURE, FIXTURE)
print(rows.storage, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def rows_of(url: str, storage: str) -> dict[str, int]:
    with psycopg.connect(url) as connection:
        counts = {}
        for table in TABLES:
            found = connection.execute(
                f"SELECT count(*) FROM {table} WHERE storage = %s", (storage,)
            ).fetchone()
            assert found is not None
            counts[table] = int(found[0])
        return counts


def stage(registry: Registry, name: str) -> str:
    rows = registry.backend(name, None, 1 << 20)
    TenantData(name, SPECS, rows).initialise(FIXTURE, FIXTURE)
    return rows.storage


def test_rows_a_killed_process_staged_are_dropped_when_a_process_starts(
    postgres_url: str,
) -> None:
    with in_process(database_url=postgres_url) as sandbox:
        kept = sandbox.create_tenant(EXAMPLE_FIXTURE, name="kept")
    tests = Path(__file__).parent
    died = subprocess.run(
        [sys.executable, "-c", STAGE_AND_DIE, postgres_url],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(tests)},
        check=False,
    )
    assert died.returncode == -signal.SIGKILL, died.stderr
    storage = died.stdout.strip()
    assert rows_of(postgres_url, storage) == dict.fromkeys(TABLES, 1)  # left behind
    with in_process(database_url=postgres_url) as sandbox:  # a process starts: swept
        assert rows_of(postgres_url, storage) == dict.fromkeys(TABLES, 0)
        assert sandbox.http.get("/_sandbox/tenants/half").status_code == 404
        assert sandbox.http.get(f"/_sandbox/tenants/{kept.name}/outbox").status_code == 200


def test_rows_a_live_process_is_staging_are_left_alone(postgres_url: str) -> None:
    """Another process starts while this one stages a tenant: its rows stay, and the
    install puts the tenant in place, served by both."""
    staging = Registry(postgres_url)
    try:
        storage = stage(staging, "busy")
        Registry(postgres_url).close()  # another process starts meanwhile
        assert rows_of(postgres_url, storage) == dict.fromkeys(TABLES, 1)
        assert staging.install("busy", storage, {"name": "busy"}, None)
        Registry(postgres_url).close()  # installed: nothing to sweep either
        assert rows_of(postgres_url, storage) == dict.fromkeys(TABLES, 1)
        assert staging.tenant("busy") == (storage, {"name": "busy"})
    finally:
        staging.close()


def test_an_install_whose_staged_rows_were_dropped_meanwhile_refuses(
    postgres_url: str,
) -> None:
    """This process's connection broke while it staged (its lock went with it) and another
    swept the rows: the install is a 503 and the tenant is not created with no state."""
    registry = Registry(postgres_url)
    try:
        storage = stage(registry, "lost")
        registry.database.close()  # (the session, and its lock, gone)
        Registry(postgres_url).close()  # another process starts: sweeps it
        assert rows_of(postgres_url, storage) == dict.fromkeys(TABLES, 0)
        with pytest.raises(StorageUnavailable, match="removed before it was installed"):
            registry.install("lost", storage, {"name": "lost"}, None)
        assert registry.tenant("lost") is None
    finally:
        registry.close()
