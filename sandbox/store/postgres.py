"""The tenants kept in PostgreSQL (`serve --database-url postgresql://...`): a shared,
sequenced journal (docs/architecture.md "PostgreSQL").

Tables (schema format 1, created on first start):

    sandbox_meta       (key, value)                 the schema's format, the signing secret
    sandbox_tenants    (name, storage, keyring)     which tenants exist: one row each
    sandbox_fixtures   (storage, fixture)           the document a tenant was made from
    sandbox_snapshots  (storage, seq, tables)       the whole state after unit `seq`
    sandbox_journal    (storage, seq, unit)         one row per acknowledged unit of writes,
                                                    PRIMARY KEY (storage, seq)
    sandbox_rates, sandbox_requests                 rate-limit windows and request logs,
                                                    shared by the processes (store/shared.py)

`storage` names one incarnation of a tenant's state (its name and a random suffix): a create
or replace writes a new one, and switching `sandbox_tenants` to it (dropping the old one's
rows) is one transaction, so a crash leaves the old tenant or the new one, never a mix. State =
the snapshot, then the journal rows after its `seq`, in order. An append is one INSERT in its
own transaction, committed before it returns (an answer is given only once its write is
committed); a compaction writes the snapshot and deletes the rows it covers in one
transaction. The driver, psycopg 3, is an optional extra (`comms-sandbox[postgres]`),
imported only when a database URL is given.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from sandbox.doc import Doc
from sandbox.errors import StorageUnavailable
from sandbox.store.backend import Compaction, Op, State
from sandbox.store.format import Damaged

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

FORMAT = 1  # the schema's format; a database of a newer one is refused
SCHEMA = """
CREATE TABLE IF NOT EXISTS sandbox_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS sandbox_tenants (
    name text PRIMARY KEY, storage text NOT NULL UNIQUE, keyring bytea NOT NULL);
CREATE TABLE IF NOT EXISTS sandbox_fixtures (storage text PRIMARY KEY, fixture bytea NOT NULL);
CREATE TABLE IF NOT EXISTS sandbox_snapshots (
    storage text PRIMARY KEY, seq bigint NOT NULL, tables bytea NOT NULL);
CREATE TABLE IF NOT EXISTS sandbox_journal (
    storage text NOT NULL, seq bigint NOT NULL, unit bytea NOT NULL, PRIMARY KEY (storage, seq));
CREATE TABLE IF NOT EXISTS sandbox_rates (
    storage text NOT NULL, scope text NOT NULL, window_start timestamptz NOT NULL,
    count bigint NOT NULL, PRIMARY KEY (storage, scope));
CREATE TABLE IF NOT EXISTS sandbox_requests (
    storage text NOT NULL, process text NOT NULL, n bigint NOT NULL, logged bigint NOT NULL,
    entry bytea NOT NULL, body bytea NOT NULL, PRIMARY KEY (storage, process, n));
CREATE INDEX IF NOT EXISTS sandbox_requests_newest ON sandbox_requests (storage, logged);
"""
SCHEMA_LOCK = 2_028_001  # an advisory lock: one process creates or migrates the schema
CONNECT_SECONDS = 5  # a database that does not answer by then is unavailable
# what a stored unit or snapshot row can raise when it is not one this release reads
UNREADABLE = (KeyError, ValueError, TypeError, IndexError, AttributeError)


class Database:
    """One connection to PostgreSQL, in autocommit mode (each statement its own transaction,
    unless inside `transaction()`), opened when first used and again after it broke. Every
    failure is a StorageUnavailable naming the database; nothing is retried here."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = _describe(url)
        self._connection: psycopg.Connection[Any] | None = None
        self._lock = threading.RLock()  # one statement or transaction at a time

    def connection(self) -> psycopg.Connection[Any]:
        connection = self._connection
        if connection is None or connection.closed:
            try:
                import psycopg
            except ImportError:
                raise StorageUnavailable(
                    "a database URL needs the PostgreSQL driver: pip install "
                    "'comms-sandbox[postgres]'"
                ) from None

            try:
                connection = psycopg.connect(
                    self.url, autocommit=True, connect_timeout=CONNECT_SECONDS
                )
            except psycopg.Error as exc:
                raise self.unavailable(exc) from None
            self._connection = connection
        return connection

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (committed when it returns, outside `transaction()`); its rows."""
        with self._lock, self._failures():
            cursor = self.connection().execute(sql, params)
            return cursor.fetchall() if cursor.description is not None else []

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """A transaction: committed when the block ends, rolled back if it raises."""
        with self._lock, self._failures():
            connection = self.connection()
            with connection.transaction():
                yield connection

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def unavailable(self, exc: Exception) -> StorageUnavailable:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return StorageUnavailable(
            f"PostgreSQL at {self.where} is unavailable ({reason}); the request changed nothing"
        )

    @contextmanager
    def _failures(self) -> Iterator[None]:
        import psycopg

        try:
            yield
        except psycopg.errors.UniqueViolation:
            raise
        except psycopg.Error as exc:
            connection = self._connection
            if connection is not None and (connection.broken or connection.closed):
                connection.close()
                self._connection = None  # the next statement connects again
            raise self.unavailable(exc) from None


class Registry:
    """Which tenants a database holds, their keyrings and the server's secret: the
    database's side of sandbox/store/store.py."""

    def __init__(self, url: str) -> None:
        self.database = Database(url)
        self._create_schema()

    def secret(self) -> bytes:
        """The signing secret, made by the first process to ask and shared by every other."""
        with self.database.transaction() as connection:
            connection.execute(
                "INSERT INTO sandbox_meta VALUES ('secret', %s) ON CONFLICT (key) DO NOTHING",
                (secrets.token_hex(32),),
            )
            row = connection.execute("SELECT value FROM sandbox_meta WHERE key = 'secret'")
            found = row.fetchone()
        assert found is not None
        return bytes.fromhex(found[0])

    def tenants(self) -> list[tuple[str, str, Doc]]:
        """Every tenant: (name, storage, keyring), by name."""
        rows = self.database.execute(
            "SELECT name, storage, keyring FROM sandbox_tenants ORDER BY name"
        )
        return [(name, storage, orjson.loads(keyring)) for name, storage, keyring in rows]

    def backend(self, name: str, storage: str | None, compact_bytes: int) -> TenantRows:
        """The backend of tenant `name`'s state `storage` (None: a new one)."""
        storage = storage or f"{name}/{secrets.token_hex(8)}"
        return TenantRows(self.database, name, storage, compact_bytes)

    def install(self, name: str, storage: str, keyring: Doc) -> None:
        """Tenant `name` is now `storage` with `keyring`; the state it had is dropped, in the
        same transaction."""
        with self.database.transaction() as connection:
            old = connection.execute(
                "SELECT storage FROM sandbox_tenants WHERE name = %s FOR UPDATE", (name,)
            ).fetchone()
            connection.execute(
                "INSERT INTO sandbox_tenants VALUES (%s, %s, %s) ON CONFLICT (name) "
                "DO UPDATE SET storage = excluded.storage, keyring = excluded.keyring",
                (name, storage, orjson.dumps(keyring)),
            )
            if old is not None and old[0] != storage:
                _drop(connection, old[0])

    def delete(self, name: str) -> None:
        with self.database.transaction() as connection:
            old = connection.execute(
                "DELETE FROM sandbox_tenants WHERE name = %s RETURNING storage", (name,)
            ).fetchone()
            if old is not None:
                _drop(connection, old[0])

    def discard(self, storage: str) -> None:
        """Drop a staged state that will not be installed."""
        with self.database.transaction() as connection:
            _drop(connection, storage)

    def close(self) -> None:
        self.database.close()

    def _create_schema(self) -> None:
        with self.database.transaction() as connection:
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            connection.execute(SCHEMA)
            connection.execute(
                "INSERT INTO sandbox_meta VALUES ('format', %s) ON CONFLICT (key) DO NOTHING",
                (str(FORMAT),),
            )
            row = connection.execute("SELECT value FROM sandbox_meta WHERE key = 'format'")
            found = row.fetchone()
        stored = int(found[0]) if found is not None and found[0].isdigit() else None
        if stored != FORMAT:
            raise StorageUnavailable(
                f"PostgreSQL at {self.database.where} holds sandbox tables of format "
                f"{found and found[0]}; this release reads format {FORMAT}: use a newer "
                "comms-sandbox or another database"
            )


def _drop(connection: psycopg.Connection[Any], storage: str) -> None:
    for table in (
        "sandbox_journal",
        "sandbox_snapshots",
        "sandbox_fixtures",
        "sandbox_rates",  # these two: store/shared.py
        "sandbox_requests",
    ):
        connection.execute(f"DELETE FROM {table} WHERE storage = %s", (storage,))


class TenantRows:
    """One tenant's rows (sandbox/store/backend.py's Backend): its fixture, its snapshot and
    the journal rows after it. One process appends to a tenant (this increment): the
    sequence number is kept in memory; an INSERT finding it taken is refused."""

    def __init__(self, database: Database, name: str, storage: str, compact_bytes: int) -> None:
        self.database = database
        self.name = name
        self.storage = storage
        self.compact_bytes = compact_bytes
        self.seq = 0  # the last unit appended
        self.closed = False
        self._journal_bytes = 0  # appended since the last snapshot
        self._snapshot_bytes = 0
        self._compaction = Compaction()

    # the Backend interface -----------------------------------------------------------------
    def open(self, into: State) -> bool:
        with self.database.transaction() as connection:
            snapshot = connection.execute(
                "SELECT seq, tables FROM sandbox_snapshots WHERE storage = %s", (self.storage,)
            ).fetchone()
            if snapshot is None:
                raise Damaged(
                    self._where("sandbox_snapshots"), "is missing: the tenant has no snapshot"
                )
            base, tables = snapshot
            try:
                into.load_tables(orjson.loads(tables))
            except UNREADABLE as exc:
                raise Damaged(
                    self._where("sandbox_snapshots"),
                    f"holds documents this release cannot read ({exc!r})",
                ) from None
            self._snapshot_bytes = len(tables)
            self.seq, self._journal_bytes = base, 0
            rows = connection.execute(
                "SELECT seq, unit FROM sandbox_journal WHERE storage = %s AND seq > %s "
                "ORDER BY seq",
                (self.storage, base),
            )
            for seq, unit in rows:
                try:
                    for op in orjson.loads(unit):
                        into.replay(op)
                except UNREADABLE as exc:
                    raise Damaged(
                        self._where("sandbox_journal"),
                        f"unit {seq} is not one this release understands ({exc!r})",
                    ) from None
                self.seq = seq
                self._journal_bytes += len(unit)
        problem = into.check()
        if problem is not None:
            raise Damaged(self._where("sandbox_journal"), problem)
        self.closed = False
        return self._journal_bytes > self.compact_bytes

    def append(self, ops: list[Op]) -> bool:
        """One row, committed before this returns."""
        if self.closed:
            raise StorageUnavailable(f"tenant {self.name} is closed; nothing was changed")
        unit = orjson.dumps(ops)
        import psycopg

        try:
            self.database.execute(
                "INSERT INTO sandbox_journal VALUES (%s, %s, %s)",
                (self.storage, self.seq + 1, unit),
            )
        except psycopg.errors.UniqueViolation:
            raise StorageUnavailable(
                f"tenant {self.name}: unit {self.seq + 1} was written by another process; "
                "several processes per database are not supported yet: nothing was changed"
            ) from None
        self.seq += 1
        self._journal_bytes += len(unit)
        return (
            self._journal_bytes > max(self.compact_bytes, 2 * self._snapshot_bytes)
            and not self.compacting
        )

    def retract(self) -> None:
        self.database.execute(
            "DELETE FROM sandbox_journal WHERE storage = %s AND seq = %s", (self.storage, self.seq)
        )
        self.seq -= 1

    def compact(self, state: State, background: bool = False) -> None:
        """The snapshot of the state at this instant (after unit `seq`), and the journal
        rows it covers deleted, in one transaction; with `background`, in a thread on a
        connection of its own."""
        self.wait()
        tables = orjson.dumps(state.tables())
        seq, self._journal_bytes = self.seq, 0
        if background:
            self._compaction.start(f"compact-{self.name}", self._write_snapshot_logged, seq, tables)
        else:
            self._write_snapshot(self.database, seq, tables)

    def create(self, fixture: Doc) -> None:
        self.database.execute(
            "INSERT INTO sandbox_fixtures VALUES (%s, %s) ON CONFLICT (storage) "
            "DO UPDATE SET fixture = excluded.fixture",
            (self.storage, orjson.dumps(fixture)),
        )

    def fixture(self) -> Doc:
        rows = self.database.execute(
            "SELECT fixture FROM sandbox_fixtures WHERE storage = %s", (self.storage,)
        )
        loaded: Doc = orjson.loads(rows[0][0]) if rows else {}
        return loaded

    def wait(self) -> None:
        self._compaction.wait()

    def close(self) -> None:
        self.wait()
        self.closed = True

    # internals -----------------------------------------------------------------------------
    @property
    def compacting(self) -> bool:
        return self._compaction.running

    def _write_snapshot(self, database: Database, seq: int, tables: bytes) -> None:
        with database.transaction() as connection:
            connection.execute(
                "INSERT INTO sandbox_snapshots VALUES (%s, %s, %s) ON CONFLICT (storage) "
                "DO UPDATE SET seq = excluded.seq, tables = excluded.tables",
                (self.storage, seq, tables),
            )
            connection.execute(
                "DELETE FROM sandbox_journal WHERE storage = %s AND seq <= %s",
                (self.storage, seq),
            )
        self._snapshot_bytes = len(tables)

    def _write_snapshot_logged(self, seq: int, tables: bytes) -> None:
        """A background compaction: a failure loses nothing (the older snapshot and every
        row since stay), so it is logged and tried again later."""
        database = Database(self.database.url)
        try:
            self._write_snapshot(database, seq, tables)
        except StorageUnavailable as exc:
            log.error(
                "tenant %s: snapshot at %d not written (%s); will retry",
                self.name,
                seq,
                exc.message,
            )
        finally:
            database.close()

    def _where(self, table: str) -> Path:
        return Path(f"{self.database.where}/{table}/{self.storage}")


def _describe(url: str) -> str:
    """host:port/database of `url`, without its password."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or 5432
    return f"{host}:{port}{parts.path or '/'}"
