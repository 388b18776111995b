"""One tenant's rows in PostgreSQL (sandbox/store/postgres.py; the store's Backend): its
fixture, its snapshot and the journal rows after it, the head-guarded append, the catch-up
read, the compaction into a snapshot row."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import orjson

from sandbox.doc import Doc
from sandbox.errors import StorageUnavailable
from sandbox.store import outcome, reloaded, staging
from sandbox.store.backend import Behind, Compaction, Op, State
from sandbox.store.committer import Committer, Pending, Row
from sandbox.store.format import Damaged, dumps
from sandbox.store.pg_database import Database

log = logging.getLogger(__name__)

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
# the storage's row locked against a drop (not against appends) while a snapshot is written:
# a dropped storage gets no snapshot row back
SNAPSHOT_LOCK = "SELECT 1 FROM sandbox_storages WHERE storage = %s FOR KEY SHARE"
SNAPSHOT = """
INSERT INTO sandbox_snapshots VALUES (%(storage)s, %(seq)s, %(tables)s) ON CONFLICT (storage)
DO UPDATE SET seq = excluded.seq, tables = excluded.tables
WHERE sandbox_snapshots.seq < excluded.seq
"""
# what a stored unit or snapshot row can raise when it is not one this release reads
UNREADABLE = (KeyError, ValueError, TypeError, IndexError, AttributeError)


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
        # this process's units whose commit's outcome stayed unknown (store/outcome.py), by
        # the number each would have taken (several, when the database failed again before a
        # catch-up): one a catch-up finds stored, byte for byte, is told as this process's
        # (its webhook delivered here), not as another's
        self.unsure: dict[int, set[bytes]] = {}
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
                self._journal_bytes = 0  # (tried again after as much journal, not each cycle)

    def abandon(self, reason: StorageUnavailable) -> None:
        """Every unit in flight undone, newest first (its state as at unit `seq`); whoever
        waits for one gets `reason` (Behind: the request runs again)."""
        pending, self.inflight = self.inflight, []
        if isinstance(reason, outcome.Unknown):  # (they may be stored: `apply` tells)
            for n, unit in enumerate(pending, 1):
                self.unsure.setdefault(self.seq + n, set()).add(unit.unit)
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
            try:
                written = len(outcome.resolve(self.database, sent, exc, outcome.BOUND_AT_ONCE))
            except outcome.Unknown:
                self.unsure.setdefault(seq, set()).add(unit)
                raise
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
            unsure = self.unsure
            for _, seq, unit in fresh:
                ops = self._replay(into, seq, unit)
                if bytes(unit) in unsure.get(seq, ()):  # this process's, outcome unknown
                    into.committed(ops)
                else:
                    into.caught_up(ops)
            if unsure:  # (the numbers reached are told; a later one may yet be found)
                self.unsure = {seq: units for seq, units in unsure.items() if seq > self.seq}
            return True
        self.unsure = {}  # (compacted past: what they were cannot be told any more)
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
