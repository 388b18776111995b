"""A tenant's new state staged in PostgreSQL, and what a crash left of one (docs/durability.md).

A create, replace or reset writes the new state under a new `storage` (its `sandbox_storages`,
`sandbox_fixtures` and `sandbox_snapshots` rows), then installs it: switches the tenant's row
to it (sandbox/store/postgres.py `Registry.install`). A process killed between the two leaves
rows no tenant names. So the staging process holds a session advisory lock on the storage
from its first row to its install (or discard): a crash ends the session and lets the lock go.
At start-up, `sweep` drops each storage no tenant names whose lock nobody holds; a storage
another process is staging right now is left alone (its lock is held).

One hole is closed by `Registry.install`: a staging process whose connection broke (and was
opened again) lost its lock, so another process may sweep its rows meanwhile; the install
finds the storage's row gone and refuses (503, nothing changed) instead of installing a
tenant with no state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, suppress
from typing import TYPE_CHECKING, Any, Protocol

from sandbox.errors import StorageUnavailable

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

LOCK = 2_028_003  # with the storage's hash: held by the process staging it
TAKE = "SELECT pg_advisory_lock(%s, hashtext(%s))"
LET_GO = "SELECT pg_advisory_unlock(%s, hashtext(%s))"
# the storages no tenant names: staged and not (yet) installed
ORPHANS = """
SELECT st.storage FROM sandbox_storages st
WHERE NOT EXISTS (SELECT 1 FROM sandbox_tenants t WHERE t.storage = st.storage)
"""
# in the sweep's transaction: nobody stages it (its lock is free: held until the transaction
# ends), and still no tenant names it
ABANDONED = """
SELECT pg_try_advisory_xact_lock(%(lock)s, hashtext(%(storage)s))
    AND NOT EXISTS (SELECT 1 FROM sandbox_tenants WHERE storage = %(storage)s)
"""


class Database(Protocol):
    """What staging asks of the connection (sandbox/store/pg_database.py's Database)."""

    def read(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]: ...

    def execute(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]: ...

    def transaction(self) -> AbstractContextManager[psycopg.Connection[Any]]: ...


def take(connection: psycopg.Connection[Any], storage: str) -> None:
    """This process stages `storage` (its session holds the lock until `let_go`)."""
    connection.execute(TAKE, (LOCK, storage))


def let_go(database: Database, storage: str) -> None:
    """`storage` is installed or discarded, and committed so (nothing if the lock went with a
    broken session: PostgreSQL then warns, harmlessly; a connection that breaks now took
    the lock with it)."""
    with suppress(StorageUnavailable):
        database.execute(LET_GO, (LOCK, storage))


def sweep(database: Database, drop: Callable[[psycopg.Connection[Any], str], None]) -> list[str]:
    """Drop the rows of every staged storage whose staging process is gone (`drop`, each in
    a transaction of its own); the storages dropped."""
    swept = []
    for (storage,) in database.read(ORPHANS):
        with database.transaction() as connection:
            found = connection.execute(ABANDONED, {"lock": LOCK, "storage": storage}).fetchone()
            if found is None or not found[0]:
                continue
            drop(connection, storage)
        swept.append(storage)
    if swept:
        log.warning(
            "%d staged tenant states a crash left behind (never installed) were dropped: %s",
            len(swept),
            ", ".join(swept),
        )
    return swept
