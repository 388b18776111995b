"""One tenant's state: collections in memory, a journal on disk, TinyDB snapshots.

Every write goes through `Tx.commit()`. Outside a request its operations are journaled as
one line (so they land together or not at all) and only then applied in memory. Inside a
request (sandbox/store/unit.py) they are applied at once, each with what undoes it, and the
request's operations are journaled as one line once its answer is made, or all undone: a
request that fails, or whose journal line the disk refuses (StorageUnavailable), has changed
nothing. Files that cannot be trusted raise `Damaged` from `load`: the store quarantines the
tenant.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

import orjson

from sandbox.clock import Clock, monotonic
from sandbox.doc import Doc
from sandbox.errors import StorageUnavailable
from sandbox.json_slices import dumps_in_pieces
from sandbox.store import unit
from sandbox.store.collection import Collection, CollectionSpec, Key
from sandbox.store.journal import Journal, OpenJournals
from sandbox.store.records import Damaged, storage_error, write_atomically
from sandbox.store.snapshot import read_snapshot, write_snapshot

log = logging.getLogger(__name__)

# ["put", coll, doc] | ["delete", coll, key] | ["clear", coll] | ["capacity", coll, n]
# | ["seq", sequence, last id given]
Op = unit.Op
# documents a background snapshot writes between two short sleeps (see snapshot.py)
BACKGROUND_SLICE = 64


class MessageListener(Protocol):
    """Hears every message a transaction recorded, once it is durable (sandbox/events.py)."""

    @property
    def tenants(self) -> Mapping[str, object]:
        """The tenants anyone listens to."""

    def committed(self, tenant: str, message: Doc) -> None: ...


class TenantData:
    def __init__(
        self,
        name: str,
        specs: Iterable[CollectionSpec],
        directory: Path | None,
        *,
        capacity: int = 10_000,
        fsync: bool = False,
        compact_bytes: int = 64 * 1024 * 1024,
        files: OpenJournals | None = None,
        listener: MessageListener | None = None,
    ) -> None:
        self.name = name
        self.listener = listener
        self.directory = directory
        self.files = files
        self.collections: dict[str, Collection] = {
            spec.name: Collection(spec, capacity) for spec in specs
        }
        # a name an earlier release stored a collection under -> its name now
        self._renamed = {old: spec.name for spec in specs for old in spec.formerly}
        # collections in the files that no vendor of this app declares (one it does not
        # run): kept as they are, with their key, and written back at every compaction
        self._dormant: dict[str, Collection] = {}
        self._dormant_rows: dict[str, list[Doc]] = {}  # their tallies and capacity rows
        self.default_capacity = capacity
        self.fsync = fsync
        self.compact_bytes = compact_bytes
        self.journal: Journal | None = None
        self.generation = 0
        self._base_generation = 0  # the snapshot the last load started from
        self._snapshot_bytes = 0
        self._explicit_capacity: dict[str, int] = {}
        self._compaction: threading.Thread | None = None
        # the fixture: in memory only for in-memory tenants, else in fixture.json
        self._fixture: Doc | None = {} if directory is None else None
        self.sequences: dict[str, int] = {}  # id sequence -> the last id it gave
        self.commits = 0  # transactions that changed something since load (a diagnostic)
        self._clock_doc: Doc | None = None
        self._clock = Clock()

    def __getitem__(self, name: str) -> Collection:
        return self.collections[name]

    # clock ---------------------------------------------------------------------------------
    @property
    def clock(self) -> Clock:
        doc = self.collections["meta"].get("clock")
        if doc is not self._clock_doc:  # documents are immutable: identity says "unchanged"
            self._clock_doc = doc
            self._clock = Clock.from_doc(doc)
        return self._clock

    # writes --------------------------------------------------------------------------------
    def begin(self) -> Tx:
        return Tx(self)

    def commit(self, ops: list[Op], alone: bool = False) -> None:
        """Make `ops` durable and apply them. While a request's unit of writes is open
        (sandbox/store/unit.py) they are applied now, each with what undoes it, and journaled
        with the rest of the request's at its end, or undone; `alone` commits them by
        themselves even then (due scheduled items, a fault's counters: a failing request
        keeps them). The unit keeps `ops` (Tx.commit lets go of its list)."""
        if not ops:
            return
        current = None if alone else unit.OPEN.unit
        if current is None:
            self.write_line(ops)  # StorageUnavailable: nothing below happens
            for op in ops:
                self._apply(op)
            self.committed(ops)
            return
        lines = current.lines  # (a closed tenant refuses the line: Unit.commit undoes)
        if self in lines:
            lines[self] += ops
        else:
            lines[self] = ops
        undo = current.undo.append
        collections, sequences = self.collections, self.sequences
        for op in ops:  # (inlined: every request's writes come this way)
            kind = op[0]
            if kind == "put":  # (a request writes only collections of this app)
                undo((self, op, collections[op[1]].put_undoable(op[2])))
            elif kind == "seq":  # (the id it gave is past the last: Tx.next_id)
                undo((self, op, sequences.get(op[1])))
                sequences[op[1]] = op[2]
            else:
                undo((self, op, self._apply_undoable(op)))

    def write_line(self, ops: list[Op]) -> None:
        """Write `ops` as one journal line (an in-memory tenant has none), or raise
        StorageUnavailable having written nothing."""
        if self.journal is not None:
            self.journal.append(ops)
        elif self.directory is not None:  # closed: a write now would not be durable
            raise StorageUnavailable(f"tenant {self.name} is closed; nothing was changed")

    def retract(self) -> None:
        """Cut the line `write_line` just wrote back out (a unit another tenant's journal
        refused: sandbox/store/unit.py)."""
        if self.journal is not None:
            self.journal.withdraw_last()

    def committed(self, ops: list[Op]) -> None:
        """`ops` are durable and applied: the listeners hear their messages, and a long
        journal starts a compaction."""
        self.commits += 1
        listener = self.listener
        if listener is not None and self.name in listener.tenants:
            try:  # the write is durable and applied: a listener's failure must not undo that
                for op in ops:
                    if op[0] == "put" and op[1] == "messages":
                        listener.committed(self.name, op[2])
            except Exception:
                log.exception("tenant %s: a message listener failed", self.name)
        journal = self.journal
        if (
            journal is not None
            and journal.size > max(self.compact_bytes, 2 * self._snapshot_bytes)
            and not self.compacting
            # (a write committed alone in a request's unit: a snapshot now would hold the
            # request's writes, which may yet be undone; the unit's commit compacts)
            and not self.uncommitted()
        ):
            try:
                self.compact(background=True)
            except StorageUnavailable as exc:  # the write is durable: its answer says so
                log.error(
                    "tenant %s: compaction not started (%s); the journal goes on, and the "
                    "next write tries again",
                    self.name,
                    exc.message,
                )

    def uncommitted(self) -> bool:
        """Whether this thread's open unit holds writes of this tenant not yet committed."""
        current = unit.OPEN.unit
        return current is not None and current.holds(self)

    def _apply_undoable(self, op: Op) -> Any:
        """Apply a delete, clear or capacity operation as `_apply` does; what undoes it
        (`commit` applies puts and sequences itself)."""
        kind = op[0]
        coll = self.collections[op[1]]
        if kind == "delete":
            return coll.delete_undoable(op[2])
        if kind == "clear":
            return coll.clear()
        if kind == "capacity":
            before = self._explicit_capacity.get(op[1])
            self._explicit_capacity[op[1]] = int(op[2])
            return before, coll.capacity_undoable(int(op[2]))
        raise ValueError(f"unknown journal operation {kind!r}")

    def undo(self, op: Op, record: Any) -> None:
        """Put back what `op` changed (`record`: what `_apply_undoable` returned)."""
        kind = op[0]
        if kind == "seq":
            if record is None:
                self.sequences.pop(op[1], None)
            else:
                self.sequences[op[1]] = record
        elif kind == "capacity":
            before, record = record
            if before is None:
                self._explicit_capacity.pop(op[1], None)
            else:
                self._explicit_capacity[op[1]] = before
            self.collections[op[1]].undo(record)
        else:
            self.collections[op[1]].undo(record)

    def _apply(self, op: Op, loading: bool = False) -> None:
        kind = op[0]
        if kind == "seq":  # ["seq", name, value]: an id sequence moved on
            if op[2] > self.sequences.get(op[1], 0):
                self.sequences[op[1]] = op[2]
            return
        coll = self.collections.get(op[1])
        if coll is None:  # renamed since, or a vendor the app does not run
            coll = self._target(op[1], loading, op[2] if kind == "put" else None)
        if kind == "put":
            if loading:
                coll.load(op[2])
            else:
                coll.put(op[2])
        elif kind == "delete":
            coll.delete(op[2])
        elif kind == "clear":
            coll.clear()
        elif kind == "capacity":
            self._explicit_capacity[op[1]] = int(op[2])
            coll.set_capacity(int(op[2]))
        else:
            raise ValueError(f"unknown journal operation {kind!r}")

    def _target(
        self, name: str, loading: bool, sample: Doc | None = None, key: str | None = None
    ) -> Collection:
        """The collection a journal operation or snapshot table names: a current one, one
        renamed since, or, while loading, a dormant one (a vendor the app does not run)."""
        name = self._renamed.get(name, name)
        found = self.collections.get(name)  # (an empty collection is falsy: no `or` here)
        if found is None:
            found = self._dormant.get(name)
        if found is not None:
            return found
        if not loading:
            raise KeyError(name)
        key = key or _key_of([sample] if sample is not None else [])
        dormant = self._dormant[name] = Collection(CollectionSpec(name, key=key))
        return dormant

    # persistence ---------------------------------------------------------------------------
    #
    # Files: snapshot.S.json (TinyDB) and journal.J.log for J >= S. State = snapshot S, then
    # journals S, S+1, ... replayed in order. Compaction opens journal J+1 for new writes at
    # once, then writes snapshot J+1 (the state at that instant) in a background thread and
    # only then deletes older files: a crash at any point loses no acknowledged write.

    def _snapshot_path(self, generation: int) -> Path:
        assert self.directory is not None
        return self.directory / f"snapshot.{generation}.json"

    def _journal_path(self, generation: int) -> Path:
        assert self.directory is not None
        return self.directory / f"journal.{generation}.log"

    def _generations(self, pattern: str) -> list[int]:
        assert self.directory is not None
        found = []
        for path in self.directory.glob(pattern):
            number = path.name.split(".")[1]
            if number.isdigit():
                found.append(int(number))
        return sorted(found)

    def load(self) -> None:
        """Read the tenant's files (see `read`), then append to the last journal. Files of
        the first release's format are rewritten in this one at once."""
        if self.directory is None:
            return
        legacy, replayed = self.read(repair=True)
        try:  # a clock an earlier release let off the calendar: every call would fail
            self.clock.now()
        except OverflowError:
            raise Damaged(
                self._journal_path(self.generation),
                f"its clock is off the calendar ({self.clock.offset_seconds:g} s from real time)",
            ) from None
        self._remove_older_than(self._base_generation)  # redundant files, interrupted writes
        if self.journal is not None:  # loaded again: the journal it had is let go, not leaked
            self.journal.close()
        self.journal = Journal(self._journal_path(self.generation), self.fsync, self.files)
        if legacy or replayed > self.compact_bytes:
            self.compact()  # rewrite in this release's format; bound the next replay

    def read(self, repair: bool = False) -> tuple[bool, int]:
        """Load the newest trustworthy snapshot and replay every journal since; with `repair`,
        cut a torn last line off. Damaged when the files do not add up: a snapshot or journal
        that fails its checksum, a journal missing between the snapshot and the last one, a
        tenant with no snapshot. Returns (whether any file was in the first release's format,
        bytes of journal replayed)."""
        assert self.directory is not None
        snapshots = self._generations("snapshot.*.json")
        journals = self._generations("journal.*.log")
        base, tables = self._base(snapshots, journals)
        self._base_generation = base
        legacy = tables is not None and not (self.directory / f"snapshot.{base}.crc").exists()
        if tables is not None:
            try:
                self._load_tables(tables)
            except (KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
                raise Damaged(
                    self._snapshot_path(base), f"holds documents this release cannot read ({exc!r})"
                ) from None
            self._snapshot_bytes = self._snapshot_path(base).stat().st_size
        replayed = 0
        last = journals[-1] if journals else base
        for generation in [g for g in journals if g >= base]:
            path = self._journal_path(generation)
            legacy = legacy or (path.stat().st_size > 0 and Journal.format_of(path) == 1)
            records = Journal.replay(path, last=generation == last, repair=repair)
            for number, record in enumerate(records):
                try:
                    for op in record:
                        self._apply(op, loading=True)
                except (KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
                    raise Damaged(
                        path, f"record {number + 1} is not one this release understands ({exc!r})"
                    ) from None
            replayed += path.stat().st_size
        self.generation = last
        return legacy, replayed

    def _base(
        self, snapshots: list[int], journals: list[int]
    ) -> tuple[int, dict[str, list[Doc]] | None]:
        """The snapshot to start from (the newest that can be read and is followed by every
        journal up to the last) and its tables; (0, None) for a journal-only history."""
        last = max([*journals, *snapshots], default=0)
        problem: Damaged | None = None
        for generation in reversed(snapshots):
            missing = [g for g in range(generation, last + 1) if g not in journals]
            if missing:  # compaction makes journal N before snapshot N: it was there
                problem = problem or Damaged(
                    self._journal_path(missing[0]),
                    f"is missing: snapshot.{generation}.json needs journals {generation} to {last}",
                )
                continue
            try:
                return generation, read_snapshot(self._snapshot_path(generation))
            except Damaged as damaged:
                problem = problem or damaged
        if problem is not None:
            raise problem
        if journals and journals == list(range(last + 1)):
            return 0, None  # never compacted (the first release's registry)
        if journals:
            raise Damaged(
                self._snapshot_path(journals[0]),
                f"is missing: journal.{journals[0]}.log starts from it",
            )
        raise Damaged(self._snapshot_path(1), "is missing: the tenant has no snapshot")

    def initialise(self, tables: Mapping[str, Iterable[Doc]], fixture: Doc | None = None) -> None:
        """Replace all state with `tables` and make it durable as a new snapshot; keep the
        `fixture` it came from for resets: in a file, not in memory (it can be as large as
        the tenant itself)."""
        self._fixture = fixture or {}
        if self.directory is not None:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise storage_error(exc, self.directory) from None
            write_atomically(self.directory / "fixture.json", dumps_in_pieces(self._fixture))
            self._fixture = None
        for coll in self.collections.values():
            coll.clear(tallies=True)
            coll.set_capacity(self.default_capacity)
        self._explicit_capacity.clear()
        self.sequences.clear()
        self._load_tables(tables)
        if self.directory is not None:
            self.compact()

    def fixture(self) -> Doc:
        """The fixture document the tenant was created from."""
        if self._fixture is not None:
            return self._fixture
        assert self.directory is not None
        path = self.directory / "fixture.json"
        try:
            loaded: Doc = orjson.loads(path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, orjson.JSONDecodeError) as exc:
            raise StorageUnavailable(
                f"tenant {self.name}: {path.name} cannot be read ({exc}); the tenant cannot be "
                "reset until it is restored or the tenant replaced"
            ) from None
        return loaded

    def relocate(self, directory: Path) -> None:
        """The tenant's directory was renamed (a create or replace put it in place)."""
        self.wait_for_compaction()
        self.directory = directory
        if self.journal is not None:
            self.journal.close()
            self.journal = Journal(self._journal_path(self.generation), self.fsync, self.files)

    @property
    def compacting(self) -> bool:
        return self._compaction is not None and self._compaction.is_alive()

    def compact(self, background: bool = False) -> None:
        """Start journal N+1 now and write snapshot N+1: the state at this instant."""
        assert self.directory is not None
        self.wait_for_compaction()  # one at a time
        generation = self.generation + 1
        # documents are immutable: lists of the current ones are a consistent view
        tables: dict[str, list[Doc]] = {
            name: coll.snapshot()
            for name, coll in (*self.collections.items(), *self._dormant.items())
        }
        tables.update(self._dormant_rows)
        tables["_keys"] = [
            {"id": name, "key": coll.spec.key}
            for name, coll in (*self.collections.items(), *self._dormant.items())
        ]
        tables["_capacity"] = [
            {"id": name, "capacity": n} for name, n in self._explicit_capacity.items()
        ] + self._dormant_rows.get("_capacity", [])
        tables["_sequences"] = [{"id": name, "value": n} for name, n in self.sequences.items()]
        for name, coll in self.collections.items():
            if coll.spec.tally is not None:
                tables[f"_tally.{name}"] = [
                    {"id": group, "kinds": kinds} for group, kinds in coll.tallies.items()
                ]
        old_journal = self.journal
        self.journal = Journal(self._journal_path(generation), self.fsync, self.files)
        self.generation = generation
        if old_journal is not None:
            old_journal.close()
        if background:
            self._compaction = threading.Thread(
                target=self._write_snapshot_logged,
                args=(generation, tables, BACKGROUND_SLICE),
                name=f"compact-{self.name}",
                daemon=True,  # a kill mid-write leaves an ignored .tmp, nothing else
            )
            self._compaction.start()
        else:
            self._write_snapshot(generation, tables)

    def wait_for_compaction(self) -> None:
        if self._compaction is not None:
            self._compaction.join()
            self._compaction = None

    def _write_snapshot_logged(
        self, generation: int, tables: dict[str, list[Doc]], pause_every: int | None = None
    ) -> None:
        """A background compaction: a failure to write the snapshot loses nothing (the older
        snapshot and every journal since stay), so it is logged and tried again later."""
        try:
            self._write_snapshot(generation, tables, pause_every)
        except StorageUnavailable as exc:
            log.error(
                "tenant %s: snapshot %d not written (%s); will retry",
                self.name,
                generation,
                exc.message,
            )

    def _write_snapshot(
        self, generation: int, tables: dict[str, list[Doc]], pause_every: int | None = None
    ) -> None:
        started = monotonic()
        path = self._snapshot_path(generation)
        write_snapshot(path, tables, pause_every)
        self._snapshot_bytes = path.stat().st_size
        self._remove_older_than(generation)
        log.info(
            "tenant %s: snapshot %d written (%d bytes) in %.0f ms",
            self.name,
            generation,
            self._snapshot_bytes,
            (monotonic() - started) * 1000,
        )

    def _load_tables(self, tables: Mapping[str, Iterable[Doc]]) -> None:
        """State from a snapshot or a fixture: its documents are already in its tallies.
        Tables of collections no vendor of this app declares are kept dormant."""
        keys = {row["id"]: row["key"] for row in tables.get("_keys", ())}
        for row in tables.get("_capacity", ()):
            name = self._renamed.get(row["id"], row["id"])
            if name in self.collections:
                self._explicit_capacity[name] = int(row["capacity"])
                self.collections[name].set_capacity(int(row["capacity"]))
            else:
                self._dormant_rows.setdefault("_capacity", []).append(row)
        for row in tables.get("_sequences", ()):
            self.sequences[row["id"]] = int(row["value"])
        for name, docs in tables.items():
            if name.startswith("_tally."):
                current = self._renamed.get(name[7:], name[7:])
                if current in self.collections:
                    target = self.collections[current]
                    for row in docs:
                        target.tallies[row["id"]] = {k: tuple(v) for k, v in row["kinds"].items()}
                else:
                    self._dormant_rows[name] = list(docs)
            elif not name.startswith("_"):
                rows = list(docs)
                if (
                    not rows
                    and name not in keys
                    and self._renamed.get(name, name) not in self.collections
                ):
                    continue  # empty, and of no collection here: nothing to keep
                coll = self._target(name, loading=True, key=keys.get(name) or _key_of(rows))
                for doc in rows:
                    coll.load(doc, tally=False)

    def _remove_older_than(self, generation: int) -> None:
        """Snapshots and journals a newer snapshot has made redundant, and stray .tmp files."""
        assert self.directory is not None
        for path in self.directory.iterdir():
            number = path.name.split(".")[1] if path.name.count(".") >= 2 else ""
            stale = number.isdigit() and int(number) < generation
            if stale or path.suffix == ".tmp":
                path.unlink(missing_ok=True)

    def close(self) -> None:
        self.wait_for_compaction()
        if self.journal is not None:
            self.journal.close()
            self.journal = None

    def destroy(self) -> None:
        self.close()
        if self.directory is not None and self.directory.exists():
            shutil.rmtree(self.directory)


class Tx:
    """Operations staged for one atomic commit, with id sequences allocated inside it."""

    def __init__(self, data: TenantData) -> None:
        self.data = data
        self.ops: list[Op] = []
        self._sequences: dict[str, int] = {}
        self._staged: dict[tuple[str, Key], Doc | None] = {}

    def get(self, collection: str, key: Key) -> Doc | None:
        """Read your own writes: the staged document if this transaction put one."""
        staged = (collection, key)
        if staged in self._staged:
            return self._staged[staged]
        return self.data[collection].get(key)

    def next_id(self, sequence: str, start: int = 1) -> int:
        current = self._sequences.get(sequence)
        if current is None:
            current = self.data.sequences.get(sequence, start - 1)
        self._sequences[sequence] = current + 1
        return current + 1

    def put(self, collection: str, doc: Doc) -> Doc:
        self.ops.append(["put", collection, doc])
        self._staged[(collection, doc[self.data[collection].spec.key])] = doc
        return doc

    def delete(self, collection: str, key: Key) -> None:
        self.ops.append(["delete", collection, key])
        self._staged[(collection, key)] = None

    def clear(self, collection: str) -> None:
        self.ops.append(["clear", collection])

    def capacity(self, collection: str, capacity: int) -> None:
        self.ops.append(["capacity", collection, capacity])

    def commit(self, alone: bool = False) -> None:
        """Commit the staged operations: in the request's unit of writes if one is open
        (TenantData.commit), else, or with `alone`, as one journal line now."""
        for name, value in self._sequences.items():
            self.ops.append(["seq", name, value])
        self.data.commit(self.ops, alone)
        self.ops = []  # (a request's unit keeps the list it was given)
        self._sequences = {}
        self._staged = {}


def _key_of(docs: Iterable[Doc]) -> str:
    """The key of a dormant collection written before snapshots named their keys: the
    first of the store's key fields that every document has."""
    rows = list(docs)
    for key in ("id", "name", "subject", "operationId"):
        if all(key in doc for doc in rows):
            return key
    return "id"
