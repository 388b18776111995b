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

Three modules: store/pg_database.py (`Database`: one connection, its transactions and what a
failure of it answers), store/pg_rows.py (`TenantRows`: one tenant's rows, the Backend), and
this one (`Registry`: the schema, the tenants and their credentials, the group commit's cycle,
LISTEN/NOTIFY).
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import orjson

from sandbox.doc import Doc
from sandbox.errors import StorageUnavailable
from sandbox.store import outcome, staging
from sandbox.store.committer import Committer, Read, Results, Row, Write
from sandbox.store.pg_database import CONNECT_SECONDS, Database
from sandbox.store.pg_rows import SNAPSHOT_LOCK, TenantRows

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
SCHEMA_LOCK = 2_028_001  # an advisory lock: one process creates or migrates the schema
NAME_LOCK = 2_028_002  # with the name's hash: one install of a tenant name at a time


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
