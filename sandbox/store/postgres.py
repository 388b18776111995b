"""The tenants kept in PostgreSQL (`serve --database-url postgresql://...`): a shared,
sequenced journal (docs/architecture.md "PostgreSQL").

Tables (schema format 2, created on first start; format 1 is migrated forward):

    sandbox_meta        (key, value)                the schema's format, the signing secret
    sandbox_tenants     (name, storage, keyring)    which tenants exist: one row each
    sandbox_credentials (field, value, name)        each tenant's credentials, looked up by
                                                    a process that does not know them yet
    sandbox_storages    (storage, head)             each state staged or in place, and the
                                                    last unit appended to it
    sandbox_fixtures    (storage, fixture)          the document a tenant was made from
    sandbox_snapshots   (storage, seq, tables)      the whole state after unit `seq`
    sandbox_journal     (storage, seq, unit)        one row per acknowledged unit of writes,
                                                    PRIMARY KEY (storage, seq)
    sandbox_rates, sandbox_requests                 rate-limit windows and request logs,
                                                    shared by the processes (store/shared.py)

`storage` names one incarnation of a tenant's state (its name and a random suffix): a create
or replace writes a new one, and switching `sandbox_tenants` to it (dropping the old one's
rows, its `sandbox_storages` row first) is one transaction, so a crash leaves the old tenant or
the new one, never a mix. State = the snapshot, then the journal rows after its `seq`, in order.

Any number of processes share the tenants (docs/architecture.md "PostgreSQL"). Each keeps the
state in memory with the `seq` it reflects. An append is ONE statement in its own transaction,
committed before it returns: it moves the storage's `head` from `seq` to `seq + 1` and inserts
the row, or, when `head` is not `seq` (another process appended first, or compacted past it)
or the storage row is gone (replaced, reset or deleted elsewhere), changes nothing and
`Behind` is raised. PostgreSQL's row lock on the storage's row serialises the appends, the
drop and (by the snapshot's KEY SHARE lock) the compactions of one storage, so no interleaving
of READ COMMITTED transactions lets an append land on a state it did not see. Before a
request, `catch_up` reads in one statement whether the storage is still there, and the rows
after `seq` (or that a snapshot passed it). A compaction writes the snapshot (never over a
newer one) and deletes the rows it covers in one transaction. The driver, psycopg 3, is an
optional extra (`comms-sandbox[postgres]`), imported only when a database URL is given.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from sandbox.doc import Doc
from sandbox.errors import StorageUnavailable
from sandbox.store import outcome, reloaded, staging
from sandbox.store.backend import Behind, Compaction, Op, State
from sandbox.store.committer import Committer, Pending, Read, Results, Row, Write
from sandbox.store.format import Damaged, dumps

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

FORMAT = 2  # the schema's format; a database of a newer one is refused
SCHEMA = """
CREATE TABLE IF NOT EXISTS sandbox_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS sandbox_tenants (
    name text PRIMARY KEY, storage text NOT NULL UNIQUE, keyring bytea NOT NULL);
CREATE TABLE IF NOT EXISTS sandbox_credentials (
    field text NOT NULL, value text NOT NULL, name text NOT NULL, PRIMARY KEY (field, value));
CREATE INDEX IF NOT EXISTS sandbox_credentials_name ON sandbox_credentials (name);
CREATE TABLE IF NOT EXISTS sandbox_storages (storage text PRIMARY KEY, head bigint NOT NULL);
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
CREATE OR REPLACE FUNCTION sandbox_journal_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('sandbox_journal', NEW.storage || ' ' || NEW.seq);
    RETURN NULL;
END $$;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'sandbox_journal_notify') THEN
        CREATE TRIGGER sandbox_journal_notify AFTER INSERT ON sandbox_journal
        FOR EACH ROW EXECUTE FUNCTION sandbox_journal_notify();
    END IF;
END $$;
"""
CHANNEL = "sandbox_journal"  # each appended row is told on it, as "storage seq", at its commit
LISTEN_RETRY = 1.0  # seconds before a listening connection that broke is opened again
# format 1 (one process per database) had no storages' heads and no credentials table: each
# tenant's head is its last unit, and its credentials are read from its keyring (in Python)
MIGRATE_1 = """
INSERT INTO sandbox_storages (storage, head)
SELECT t.storage, GREATEST(
    (SELECT max(seq) FROM sandbox_journal j WHERE j.storage = t.storage),
    (SELECT seq FROM sandbox_snapshots s WHERE s.storage = t.storage), 0)
FROM sandbox_tenants t ON CONFLICT (storage) DO NOTHING
"""
# an append: the head moves from seq - 1 to seq and the row goes in, or nothing happens (the
# head moved on, or the storage was dropped). The UPDATE's row lock serialises the appends of
# one storage; under READ COMMITTED a waiting UPDATE re-reads the head the first one left
APPEND = """
WITH moved AS (
    UPDATE sandbox_storages SET head = %(seq)s
    WHERE storage = %(storage)s AND head = %(seq)s - 1 RETURNING storage)
INSERT INTO sandbox_journal (storage, seq, unit) SELECT storage, %(seq)s, %(unit)s FROM moved
"""
# the unit just appended taken back out, if no other process appended after it
RETRACT = """
WITH back AS (
    UPDATE sandbox_storages SET head = %(seq)s - 1
    WHERE storage = %(storage)s AND head = %(seq)s RETURNING storage)
DELETE FROM sandbox_journal WHERE storage IN (SELECT storage FROM back) AND seq = %(seq)s
"""
# one round trip before a request: no row when the storage was dropped (the tenant replaced,
# reset or deleted elsewhere); else one row per unit after `seq`, or, when a snapshot passed
# `seq` (another process compacted the units this state needs away), one row saying so
CATCH_UP = """
SELECT s.seq, j.seq, j.unit FROM sandbox_storages st
LEFT JOIN sandbox_snapshots s ON s.storage = st.storage AND s.seq > %(seq)s
LEFT JOIN sandbox_journal j
    ON j.storage = st.storage AND j.seq > %(seq)s AND s.storage IS NULL
WHERE st.storage = %(storage)s
ORDER BY j.seq
"""
# the same, holding the storage's row until the transaction `Database.held` opened ends: no
# other process appends meanwhile
CATCH_UP_LOCKED = CATCH_UP + "FOR UPDATE OF st\n"
# group commit (sandbox/store/committer.py): the units of several storages in one statement,
# each storage's moving its head from `base` to `head` and inserting its rows, or (its head
# moved on, or it was dropped) nothing of that storage; the storages that moved. The storages
# come sorted, so two processes' batches lock their rows in one order
APPEND_BATCH = """
WITH batch AS (
    SELECT * FROM unnest(%(storages)s::text[], %(bases)s::bigint[], %(heads)s::bigint[])
        AS b(storage, base, head)),
moved AS (
    UPDATE sandbox_storages st SET head = b.head FROM batch b
    WHERE st.storage = b.storage AND st.head = b.base RETURNING st.storage),
written AS (
    INSERT INTO sandbox_journal (storage, seq, unit)
    SELECT u.storage, u.seq, u.unit
    FROM unnest(%(of)s::text[], %(seqs)s::bigint[], %(units)s::bytea[]) AS u(storage, seq, unit)
    WHERE u.storage IN (SELECT storage FROM moved))
SELECT storage FROM moved
"""
# CATCH_UP for several storages at once, each from its own `seq`: (storage, whether its row is
# there, snapshot seq, unit seq, unit)
CATCH_UP_BATCH = """
SELECT q.storage, st.storage IS NOT NULL, s.seq, j.seq, j.unit
FROM unnest(%(storages)s::text[], %(seqs)s::bigint[]) AS q(storage, seq)
LEFT JOIN sandbox_storages st ON st.storage = q.storage
LEFT JOIN sandbox_snapshots s ON s.storage = st.storage AND s.seq > q.seq
LEFT JOIN sandbox_journal j
    ON j.storage = st.storage AND j.seq > q.seq AND s.storage IS NULL
ORDER BY q.storage, j.seq
"""
# the storage's row locked against a drop (not against appends) while a snapshot is written:
# a dropped storage gets no snapshot row back
SNAPSHOT_LOCK = "SELECT 1 FROM sandbox_storages WHERE storage = %s FOR KEY SHARE"
SNAPSHOT = """
INSERT INTO sandbox_snapshots VALUES (%(storage)s, %(seq)s, %(tables)s) ON CONFLICT (storage)
DO UPDATE SET seq = excluded.seq, tables = excluded.tables
WHERE sandbox_snapshots.seq < excluded.seq
"""
SCHEMA_LOCK = 2_028_001  # an advisory lock: one process creates or migrates the schema
NAME_LOCK = 2_028_002  # with the name's hash: one install of a tenant name at a time
CONNECT_SECONDS = 5  # a database that does not answer by then is unavailable
# what a stored unit or snapshot row can raise when it is not one this release reads
UNREADABLE = (KeyError, ValueError, TypeError, IndexError, AttributeError)


Params = Sequence[Any] | Mapping[str, Any]


class Database:
    """One connection to PostgreSQL, in autocommit mode (each statement its own transaction,
    unless inside `transaction()`), opened when first used and again after it broke. Every
    failure is a StorageUnavailable naming the database; nothing is retried here."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = _describe(url)
        self._connection: psycopg.Connection[Any] | None = None
        self._lock = threading.RLock()  # one statement or transaction at a time
        self._held = False  # a transaction `held` is open

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

    @property
    def backend_pid(self) -> int | None:
        """The server process of this connection, if it is open (a NOTIFY names it)."""
        connection = self._connection
        return None if connection is None or connection.closed else connection.info.backend_pid

    def execute(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """Run one statement (committed when it returns, outside `transaction()`); its rows."""
        with self._lock, self._failures():
            cursor = self.connection().execute(sql, params)
            return cursor.fetchall() if cursor.description is not None else []

    def read(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """`execute` a statement that only reads: run once more on a new connection when the
        one it found open had broken (the server restarted while it was idle: the first
        statement on it fails), so a read after a restart does not answer 503 for nothing.
        Inside a held transaction, once."""
        with self._lock:
            connection = self._connection
            try:
                return self.execute(sql, params)
            except StorageUnavailable:
                if self._held or connection is None or self._connection is not None:
                    raise  # (no connection was open before, or it did not break)
            return self.execute(sql, params)

    def changed(self, sql: str, params: Params = ()) -> int:
        """Run one statement that writes (committed when it returns); how many rows it wrote."""
        with self._lock, self._failures():
            return self.connection().execute(sql, params).rowcount

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """A transaction: committed when the block ends, rolled back if it raises."""
        with self._lock, self._failures():
            connection = self.connection()
            with connection.transaction():
                yield connection

    @contextmanager
    def held(self) -> Iterator[None]:
        """A transaction held open across the block, its statements in it (the row locks
        they take keep other processes' appends waiting), committed by the first append
        (`release`: an append is durable when it returns) or when the block ends."""
        with self._lock:
            with self._failures():
                self.connection().execute("BEGIN")
            self._held = True
            try:
                yield
            finally:
                self.release()

    @property
    def holding(self) -> bool:
        """Whether a transaction `held` is open (its statements run on this connection)."""
        return self._held

    def release(self) -> None:
        """Commit the transaction `held` keeps open, if one is (nothing otherwise)."""
        if self._held:
            self._held = False
            with self._lock, self._failures():
                connection = self._connection
                if connection is not None and not connection.closed:
                    connection.execute("COMMIT")  # (a failed one's: the server rolls back)

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

    def __init__(self, url: str, credential_fields: Iterable[str] = ()) -> None:
        self.database = Database(url)
        # the keyring fields a request is authenticated by (sandbox_credentials' `field`)
        self.credential_fields = tuple(credential_fields)
        self._create_schema()
        staging.sweep(self.database, _drop)  # (what a crash left between stage and install)
        # the group commit's cycles: a thread with a connection of its own
        self._batches = Database(url)
        self.committer = Committer(self._cycle, self._batches.close)

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
        rows = self.database.read(
            "SELECT name, storage, keyring FROM sandbox_tenants ORDER BY name"
        )
        return [(name, storage, orjson.loads(keyring)) for name, storage, keyring in rows]

    def names(self) -> list[str]:
        """Every tenant's name (one query)."""
        return [name for (name,) in self.database.read("SELECT name FROM sandbox_tenants")]

    def tenant(self, name: str) -> tuple[str, Doc] | None:
        """Tenant `name`'s storage and keyring now, or None: it does not exist (one query)."""
        rows = self.database.read(
            "SELECT storage, keyring FROM sandbox_tenants WHERE name = %s", (name,)
        )
        return (rows[0][0], orjson.loads(rows[0][1])) if rows else None

    def named_by(self, field: str, value: str) -> str | None:
        """The tenant whose credential `field` is `value`, or None (one query)."""
        rows = self.database.read(
            "SELECT name FROM sandbox_credentials WHERE field = %s AND value = %s",
            (field, value),
        )
        return str(rows[0][0]) if rows else None

    def backend(self, name: str, storage: str | None, compact_bytes: int) -> TenantRows:
        """The backend of tenant `name`'s state `storage` (None: a new one)."""
        storage = storage or f"{name}/{secrets.token_hex(8)}"
        return TenantRows(self.database, name, storage, compact_bytes, self.committer)

    def _cycle(self, writes: list[Write], reads: list[Read]) -> Results:
        """One cycle of the committer, in its thread: every storage's units in one statement
        (one transaction, one WAL flush), then every catch-up read in one, each from the unit
        its storage holds once the first statement is settled (so a read never mistakes this
        process's units for another's)."""
        import psycopg

        stored: set[str] = set()
        if writes:
            writes = sorted(writes)  # (one order of row locks for every process)
            of, seqs, units = [], [], []
            for storage, base, batch in writes:
                for number, unit in enumerate(batch, base + 1):
                    of.append(storage)
                    seqs.append(number)
                    units.append(unit)
            params = {
                "storages": [storage for storage, _, _ in writes],
                "bases": [base for _, base, _ in writes],
                "heads": [base + len(batch) for _, base, batch in writes],
                "of": of,
                "seqs": seqs,
                "units": units,
            }
            self._batches.connection()  # (one that cannot be opened: nothing was sent)
            try:
                stored = {row[0] for row in self._batches.execute(APPEND_BATCH, params)}
            except psycopg.errors.UniqueViolation:  # (a head behind its rows: not made here)
                stored = set()
            except StorageUnavailable as exc:  # sent, and then? asked (store/outcome.py)
                stored = outcome.resolve(self._batches, writes, exc)
        found: dict[str, list[Row]] = {}
        if reads:
            sent = {storage: base + len(batch) for storage, base, batch in writes}
            storages = [storage for storage, _ in reads]
            seqs = [sent[storage] if storage in stored else seq for storage, seq in reads]
            found = {storage: [] for storage in storages}
            try:
                rows = self._batches.read(CATCH_UP_BATCH, {"storages": storages, "seqs": seqs})
            except StorageUnavailable as exc:  # (the units stored above are stored: said so)
                return stored, exc
            for storage, there, snapshot, seq, unit in rows:
                if there:
                    found[storage].append((snapshot, seq, unit))
        return stored, found

    def install(self, name: str, storage: str, keyring: Doc, replaces: str | None) -> bool:
        """Tenant `name` is now `storage` with `keyring`; the state it had is dropped, in the
        same transaction. False, and nothing changes, when that state is not `replaces` (None:
        no tenant): another process created, replaced, reset or deleted it meanwhile."""
        with self.database.transaction() as connection:
            connection.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (NAME_LOCK, name))
            old = connection.execute(
                "SELECT storage FROM sandbox_tenants WHERE name = %s FOR UPDATE", (name,)
            ).fetchone()
            if (old[0] if old is not None else None) != replaces:
                return False
            if connection.execute(SNAPSHOT_LOCK, (storage,)).fetchone() is None:
                raise StorageUnavailable(  # (swept: store/staging.py)
                    f"tenant {name}: its new state was removed before it was installed (this "
                    "process lost its connection meanwhile); nothing changed: send it again"
                )
            connection.execute(
                "INSERT INTO sandbox_tenants VALUES (%s, %s, %s) ON CONFLICT (name) "
                "DO UPDATE SET storage = excluded.storage, keyring = excluded.keyring",
                (name, storage, orjson.dumps(keyring)),
            )
            self._credentials(connection, name, keyring)
            if old is not None and old[0] != storage:
                _drop(connection, old[0])
        staging.let_go(self.database, storage)  # (once committed: a sweep never sees it half)
        return True

    def delete(self, name: str) -> None:
        with self.database.transaction() as connection:
            old = connection.execute(
                "DELETE FROM sandbox_tenants WHERE name = %s RETURNING storage", (name,)
            ).fetchone()
            connection.execute("DELETE FROM sandbox_credentials WHERE name = %s", (name,))
            if old is not None:
                _drop(connection, old[0])

    def discard(self, storage: str) -> None:
        """Drop a staged state that will not be installed."""
        with self.database.transaction() as connection:
            _drop(connection, storage)
        staging.let_go(self.database, storage)

    def close(self) -> None:
        self.committer.close()
        self.database.close()

    def watch(self, told: Callable[[str, int], None]) -> Callable[[], None]:
        """`told(storage, seq)` for each row any process appends from now on (LISTEN on a
        connection of its own, in a daemon thread; opened again after it broke, rows
        appended meanwhile are caught up by the next request); what stops it."""
        stopping = threading.Event()

        def listen() -> None:
            import psycopg

            while not stopping.is_set():
                try:
                    with psycopg.connect(
                        self.database.url, autocommit=True, connect_timeout=CONNECT_SECONDS
                    ) as connection:
                        connection.execute(f"LISTEN {CHANNEL}")
                        while not stopping.is_set():
                            for notice in connection.notifies(timeout=LISTEN_RETRY):
                                if notice.pid in (
                                    self.database.backend_pid,
                                    self._batches.backend_pid,
                                ):
                                    continue  # (this process's own append)
                                storage, _, seq = notice.payload.rpartition(" ")
                                told(storage, int(seq))
                except (psycopg.Error, OSError) as exc:
                    log.warning("PostgreSQL at %s: not listening (%s)", self.database.where, exc)
                    stopping.wait(LISTEN_RETRY)

        threading.Thread(target=listen, name="sandbox-listen", daemon=True).start()
        return stopping.set

    def _credentials(self, connection: psycopg.Connection[Any], name: str, keyring: Doc) -> None:
        """The tenant's credentials, as its keyring has them now (a value another tenant
        held is its now, as the store's index has it)."""
        connection.execute("DELETE FROM sandbox_credentials WHERE name = %s", (name,))
        for field in self.credential_fields:
            value = keyring.get(field)
            if value is not None:
                connection.execute(
                    "INSERT INTO sandbox_credentials VALUES (%s, %s, %s) ON CONFLICT "
                    "(field, value) DO UPDATE SET name = excluded.name",
                    (field, str(value), name),
                )

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
            if found is not None and found[0] == "1":
                self._migrate_from_1(connection)
                found = (str(FORMAT),)
        stored = int(found[0]) if found is not None and found[0].isdigit() else None
        if stored != FORMAT:
            raise StorageUnavailable(
                f"PostgreSQL at {self.database.where} holds sandbox tables of format "
                f"{found and found[0]}; this release reads format {FORMAT}: use a newer "
                "comms-sandbox or another database"
            )

    def _migrate_from_1(self, connection: psycopg.Connection[Any]) -> None:
        """Format 1 (one process per database) to 2, in the schema's transaction: every
        process of the older release must be stopped first (it would append without moving
        the heads)."""
        connection.execute(MIGRATE_1)
        for name, keyring in connection.execute("SELECT name, keyring FROM sandbox_tenants"):
            self._credentials(connection, name, orjson.loads(keyring))
        connection.execute(
            "UPDATE sandbox_meta SET value = %s WHERE key = 'format'", (str(FORMAT),)
        )
        log.info(
            "PostgreSQL at %s: sandbox tables migrated to format %d", self.database.where, FORMAT
        )


def _drop(connection: psycopg.Connection[Any], storage: str) -> None:
    """A state's rows, its storage row first: an append or a snapshot under way finishes
    before (it holds the row), one that comes after finds no row and writes nothing."""
    for table in (
        "sandbox_storages",
        "sandbox_journal",
        "sandbox_snapshots",
        "sandbox_fixtures",
        "sandbox_rates",  # these two: store/shared.py
        "sandbox_requests",
    ):
        connection.execute(f"DELETE FROM {table} WHERE storage = %s", (storage,))


class TenantRows:
    """One tenant's rows (sandbox/store/backend.py's Backend): its fixture, its snapshot and
    the journal rows after it. Any number of processes append to a tenant: `seq` is the last
    unit this process's state reflects; an append finding the head moved raises Behind."""

    def __init__(
        self,
        database: Database,
        name: str,
        storage: str,
        compact_bytes: int,
        committer: Committer | None = None,
    ) -> None:
        self.database = database
        self.name = name
        self.storage = storage
        self.compact_bytes = compact_bytes
        self.seq = 0  # the last unit stored (appended or caught up) and reflected in memory
        self.closed = False
        # group commit (sandbox/store/committer.py): units applied in memory after unit `seq`,
        # not yet known to be stored, oldest first
        self.committer = committer
        self.inflight: list[Pending] = []
        self.draining = 0  # requests waiting for `inflight` to empty (`Store.quiet`)
        # a request run on the state as held, its catch-up left to its commit (docs/
        # architecture.md "Catch-up on commit"): the units this process made of this state
        # (deferred or appended), how often other processes' units were applied to it, and the
        # newest unit another process was heard to append (NOTIFY; past `seq`: catch up first)
        self.made = 0
        self.foreign = 0
        self.heard = 0
        self._compact_later = False  # a compaction asked for while units were in flight
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
                self._replay(into, seq, unit)
        problem = into.check()
        if problem is not None:
            raise Damaged(self._where("sandbox_journal"), problem)
        self.closed = False
        return self._journal_bytes > self.compact_bytes

    @property
    def defers(self) -> bool:
        """Whether a unit is taken by `defer` now: on an event loop, outside a held
        transaction (the locked run of a request appends at once), nobody draining."""
        committer = self.committer
        return (
            committer is not None
            and not self.draining
            and not self.database.holding
            and committer.ready()
        )

    def defer(self, data: Any, ops: list[Op], undo: list[tuple[Any, Op, Any]]) -> None:
        """A unit applied in memory (`undo` undoes it), stored by the committer's next cycle
        with every other waiting: `stored` or `abandon` settles it."""
        if self.closed:
            raise StorageUnavailable(f"tenant {self.name} is closed; nothing was changed")
        assert self.committer is not None
        self.inflight.append(Pending(data, ops, list(undo), orjson.dumps(ops)))
        self.made += 1
        self.committer.wake(self)

    def settled(self) -> asyncio.Future[None] | None:
        """What resolves once every unit in memory now is stored (or raises what refused
        one: Behind, StorageUnavailable); None when none is in flight."""
        if not self.inflight:
            return None
        newest = self.inflight[-1]
        if newest.future is None:
            newest.future = asyncio.get_running_loop().create_future()
        return newest.future

    def stored(self, count: int) -> None:
        """The committer stored the first `count` units in flight: each is this state's now,
        its listeners told, its waiting requests resumed; a compaction due starts once none
        is in flight (a snapshot then would hold units that may yet be undone)."""
        done, self.inflight[:count] = self.inflight[:count], []
        for pending in done:
            self.seq += 1
            self._journal_bytes += len(pending.unit)
            pending.data.committed(pending.ops)
            if pending.future is not None and not pending.future.done():
                pending.future.set_result(None)
        if self._journal_bytes > max(self.compact_bytes, 2 * self._snapshot_bytes):
            self._compact_later = True
        if self._compact_later and not self.inflight and not self.compacting and done:
            self._compact_later = False
            try:
                done[-1].data.compact(background=True)
            except StorageUnavailable as exc:  # the units are stored: their answers say so
                log.error("tenant %s: compaction not started (%s)", self.name, exc.message)
            except Exception:  # (a bug: told, and the committer's cycle goes on answering)
                log.exception("tenant %s: compaction not started", self.name)

    def abandon(self, reason: StorageUnavailable) -> None:
        """Every unit in flight undone, newest first (its state as at unit `seq`); whoever
        waits for one gets `reason` (Behind: the request runs again)."""
        pending, self.inflight = self.inflight, []
        for unit in reversed(pending):
            for data, op, record in reversed(unit.undo):
                data.undo(op, record)
        for unit in pending:
            if unit.future is not None and not unit.future.done():
                unit.future.set_exception(reason)

    def append(self, ops: list[Op]) -> bool:
        """One row, committed before this returns; Behind (nothing stored) when another
        process appended first, or dropped the storage, or units of this process are still
        in flight (they come first)."""
        if self.closed:
            raise StorageUnavailable(f"tenant {self.name} is closed; nothing was changed")
        if self.inflight:
            raise Behind(
                f"tenant {self.name}: other writes of this process are being committed; "
                "this request changed nothing"
            )
        unit = orjson.dumps(ops)
        seq = self.seq + 1
        import psycopg

        self.database.connection()  # (one that cannot be opened: nothing was sent)
        try:
            written = self.database.changed(
                APPEND, {"storage": self.storage, "seq": seq, "unit": unit}
            )
            self.database.release()  # (committed now if a held transaction holds it)
        except psycopg.errors.UniqueViolation:  # (a head behind its rows: not made here)
            written = 0
        except StorageUnavailable as exc:  # sent, and then? asked (store/outcome.py)
            sent = [(self.storage, seq - 1, [unit])]
            written = len(outcome.resolve(self.database, sent, exc, outcome.BOUND_AT_ONCE))
        if not written:
            raise self._behind(seq)
        self.seq = seq
        self.made += 1
        self._journal_bytes += len(unit)
        return (
            self._journal_bytes > max(self.compact_bytes, 2 * self._snapshot_bytes)
            and not self.compacting
        )

    def retract(self) -> None:
        if not self.database.changed(RETRACT, {"storage": self.storage, "seq": self.seq}):
            log.error(
                "tenant %s: unit %d could not be taken back out (another process appended "
                "after it, or the tenant was replaced): it stays, and this state catches up "
                "with it",
                self.name,
                self.seq,
            )
        self.seq -= 1

    def catch_up(self, into: State, lock: bool = False) -> bool:
        """One statement (CATCH_UP): the units other processes appended since `seq`,
        replayed; the snapshot loaded again when one passed `seq`; False when the storage is
        no longer there. With `lock`, inside `Database.held`, the storage's row stays locked
        until the next append commits. With units in flight, nothing: a row the statement
        found could be one of them, stored by the committer a moment ago (the committer's
        own reads, `Store.caught_up`, come after its writes are settled)."""
        if self.inflight:
            return True
        if lock:
            return self.apply(into, self.database.execute(CATCH_UP_LOCKED, self.where_now()))
        return self.apply(into, self.database.read(CATCH_UP, self.where_now()))

    def where_now(self) -> dict[str, Any]:
        return {"storage": self.storage, "seq": self.seq}

    def apply(self, into: State, rows: list[Row]) -> bool:
        """A catch-up read's rows (CATCH_UP's, read from `seq` or before): the units after
        `seq` replayed, each another process's (this process's stored ones are settled
        first), so any unit in flight here was made on a state that is behind: undone
        first (its requests run again). A snapshot past the unit read from (another process
        compacted what this state needs away), or rows that do not follow `seq`: the state
        is loaded again. False when the storage is no longer there."""
        if not rows:
            return False
        fresh = [row for row in rows if row[1] is not None and row[1] > self.seq]
        if rows[0][0] is None and (not fresh or fresh[0][1] == self.seq + 1):
            if fresh:
                self.foreign += 1
                self.abandon(self._behind())
            for _, seq, unit in fresh:
                into.caught_up(self._replay(into, seq, unit))
            return True
        self.foreign += 1
        self.abandon(self._behind())  # compacted past this state: load it again
        self.wait()
        reloaded.reload(into, self.open)  # (its streams told what it missed)
        return True

    def compact(self, state: State, background: bool = False) -> None:
        """The snapshot of the state at this instant (after unit `seq`), and the journal
        rows it covers deleted, in one transaction; with `background`, in a thread on a
        connection of its own."""
        self.wait()
        tables = dumps(state.tables())  # (as the embedded store's: a tally keyed by an enum)
        seq, self._journal_bytes = self.seq, 0
        if background:
            self._compaction.start(f"compact-{self.name}", self._write_snapshot_logged, seq, tables)
        else:
            self._write_snapshot(self.database, seq, tables)

    def create(self, fixture: Doc) -> None:
        with self.database.transaction() as connection:
            staging.take(connection, self.storage)  # (until installed: store/staging.py)
            connection.execute(
                "INSERT INTO sandbox_storages VALUES (%s, 0) ON CONFLICT (storage) DO NOTHING",
                (self.storage,),
            )
            connection.execute(
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
        """The snapshot after unit `seq`, unless another process's newer one is stored, and
        the rows it covers deleted; nothing for a storage dropped meanwhile."""
        with database.transaction() as connection:
            if connection.execute(SNAPSHOT_LOCK, (self.storage,)).fetchone() is None:
                return
            connection.execute(SNAPSHOT, {"storage": self.storage, "seq": seq, "tables": tables})
            connection.execute(
                "DELETE FROM sandbox_journal WHERE storage = %s AND seq <= %s",
                (self.storage, seq),
            )
        self._snapshot_bytes = len(tables)

    def _replay(self, into: State, seq: int, unit: bytes) -> list[Op]:
        """Unit `seq` read from its row and replayed into `into` (as `open` and `catch_up`
        do); its operations."""
        try:
            ops: list[Op] = orjson.loads(unit)
            for op in ops:
                into.replay(op)
        except UNREADABLE as exc:
            raise Damaged(
                self._where("sandbox_journal"),
                f"unit {seq} is not one this release understands ({exc!r})",
            ) from None
        self.seq = seq
        self._journal_bytes += len(unit)
        return ops

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

    def _behind(self, seq: int | None = None) -> Behind:
        seq = self.seq + 1 if seq is None else seq
        return Behind(
            f"tenant {self.name}: another process wrote to it at the same time (unit "
            f"{seq} is taken, or the tenant was replaced, reset or deleted); this request "
            "changed nothing"
        )

    def _where(self, table: str) -> Path:
        return Path(f"{self.database.where}/{table}/{self.storage}")


def _describe(url: str) -> str:
    """host:port/database of `url`, without its password."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or 5432
    return f"{host}:{port}{parts.path or '/'}"
