"""The embedded backend (sandbox/store/backend.py): a tenant's journal and snapshot files in
its directory.

Files: snapshot.S.json (TinyDB, sandbox/store/snapshot.py) and journal.J.log
(sandbox/store/journal.py) for J >= S, and fixture.json. State = snapshot S, then journals S,
S+1, ... replayed in order. Compaction opens journal J+1 for new writes at once, then writes
snapshot J+1 (the state at that instant) in a background thread and only then deletes older
files: a crash at any point loses no acknowledged write. Files that cannot be trusted raise
`Damaged` from `open`: the store quarantines the tenant.
"""

from __future__ import annotations

import logging
from pathlib import Path

import orjson

from sandbox.clock import monotonic
from sandbox.doc import Doc
from sandbox.errors import StorageUnavailable
from sandbox.json_slices import dumps_in_pieces
from sandbox.store.backend import Backend, Compaction, Immediate, Op, State
from sandbox.store.format import Damaged, storage_error, write_atomically
from sandbox.store.journal import Journal, OpenJournals
from sandbox.store.snapshot import read_snapshot, write_snapshot

log = logging.getLogger(__name__)

# documents a background snapshot writes between two short sleeps (see snapshot.py)
BACKGROUND_SLICE = 64
# what a stored operation or snapshot row can raise when it is not one this release reads
UNREADABLE = (KeyError, ValueError, TypeError, IndexError, AttributeError)


class TenantFiles(Immediate):
    """One tenant's directory of journal and snapshot files (sandbox/store/backend.py's
    Backend)."""

    def __init__(
        self,
        name: str,
        directory: Path,
        *,
        fsync: bool = False,
        compact_bytes: int = 64 * 1024 * 1024,
        journals: OpenJournals | None = None,
    ) -> None:
        self.name = name
        self.directory = directory
        self.fsync = fsync
        self.compact_bytes = compact_bytes
        self.journals = journals  # the journals holding a file open, of every tenant
        self.journal: Journal | None = None
        self.generation = 0
        self._base_generation = 0  # the snapshot the last load started from
        self._snapshot_bytes = 0
        self._compaction = Compaction()

    # the Backend interface -----------------------------------------------------------------
    def open(self, into: State) -> bool:
        """Read the files (see `read`), then append to the last journal. Files of the first
        release's format are rewritten in this one at once (the answer says so)."""
        legacy, replayed = self.read(into, repair=True)
        problem = into.check()
        if problem is not None:
            raise Damaged(self._journal_path(self.generation), problem)
        self._remove_older_than(self._base_generation)  # redundant files, interrupted writes
        if self.journal is not None:  # loaded again: the journal it had is let go, not leaked
            self.journal.close()
        self.journal = self._journal(self.generation)
        return legacy or replayed > self.compact_bytes  # rewrite; bound the next replay

    def append(self, ops: list[Op]) -> bool:
        """One journal line; True once the journal outgrows max(compact_bytes, 2 x the last
        snapshot), no compaction running."""
        journal = self.journal
        if journal is None:  # closed: a write now would not be durable
            raise StorageUnavailable(f"tenant {self.name} is closed; nothing was changed")
        journal.append(ops)
        return (
            journal.size > max(self.compact_bytes, 2 * self._snapshot_bytes) and not self.compacting
        )

    def retract(self) -> None:
        if self.journal is not None:
            self.journal.withdraw_last()

    def catch_up(self, into: State, lock: bool = False) -> bool:
        return True  # one process per data directory: nothing is written elsewhere

    def compact(self, state: State, background: bool = False) -> None:
        """Start journal N+1 now and write snapshot N+1: the state at this instant."""
        self.wait()  # one at a time
        generation = self.generation + 1
        tables = state.tables()
        old_journal = self.journal
        self.journal = self._journal(generation)
        self.generation = generation
        if old_journal is not None:
            old_journal.close()
        if background:
            self._compaction.start(  # (a kill mid-write leaves an ignored .tmp)
                f"compact-{self.name}",
                self._write_snapshot_logged,
                generation,
                tables,
                BACKGROUND_SLICE,
            )
        else:
            self._write_snapshot(generation, tables)

    def create(self, fixture: Doc) -> None:
        """The directory, and the fixture in fixture.json, not in memory (it can be as large
        as the tenant itself)."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise storage_error(exc, self.directory) from None
        write_atomically(self.directory / "fixture.json", dumps_in_pieces(fixture))

    def fixture(self) -> Doc:
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

    def wait(self) -> None:
        self._compaction.wait()

    def close(self) -> None:
        self.wait()
        if self.journal is not None:
            self.journal.close()
            self.journal = None

    # the directory -------------------------------------------------------------------------
    def relocate(self, directory: Path) -> None:
        """The tenant's directory was renamed (a create or replace put it in place)."""
        self.wait()
        self.directory = directory
        if self.journal is not None:
            self.journal.close()
            self.journal = self._journal(self.generation)

    def read(self, into: State, repair: bool = False) -> tuple[bool, int]:
        """Load the newest trustworthy snapshot and replay every journal since into `into`;
        with `repair`, cut a torn last line off. Damaged when the files do not add up: a
        snapshot or journal that fails its checksum, a journal missing between the snapshot
        and the last one, a tenant with no snapshot. Returns (whether any file was in the
        first release's format, bytes of journal replayed)."""
        snapshots = self._generations("snapshot.*.json")
        journals = self._generations("journal.*.log")
        base, tables = self._base(snapshots, journals)
        self._base_generation = base
        legacy = tables is not None and not (self.directory / f"snapshot.{base}.crc").exists()
        if tables is not None:
            try:
                into.load_tables(tables)
            except UNREADABLE as exc:
                raise Damaged(
                    self._snapshot_path(base), f"holds documents this release cannot read ({exc!r})"
                ) from None
            self._snapshot_bytes = self._snapshot_path(base).stat().st_size
        replayed = 0
        last = journals[-1] if journals else base
        replay = into.replay
        for generation in [g for g in journals if g >= base]:
            path = self._journal_path(generation)
            legacy = legacy or (path.stat().st_size > 0 and Journal.format_of(path) == 1)
            records = Journal.replay(path, last=generation == last, repair=repair)
            for number, record in enumerate(records):
                try:
                    for op in record:
                        replay(op)
                except UNREADABLE as exc:
                    raise Damaged(
                        path, f"record {number + 1} is not one this release understands ({exc!r})"
                    ) from None
            replayed += path.stat().st_size
        self.generation = last
        return legacy, replayed

    @property
    def compacting(self) -> bool:
        return self._compaction.running

    def _journal(self, generation: int) -> Journal:
        return Journal(self._journal_path(generation), self.fsync, self.journals)

    def _snapshot_path(self, generation: int) -> Path:
        return self.directory / f"snapshot.{generation}.json"

    def _journal_path(self, generation: int) -> Path:
        return self.directory / f"journal.{generation}.log"

    def _generations(self, pattern: str) -> list[int]:
        found = []
        for path in self.directory.glob(pattern):
            number = path.name.split(".")[1]
            if number.isdigit():
                found.append(int(number))
        return sorted(found)

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

    def _remove_older_than(self, generation: int) -> None:
        """Snapshots and journals a newer snapshot has made redundant, and stray .tmp files."""
        for path in self.directory.iterdir():
            number = path.name.split(".")[1] if path.name.count(".") >= 2 else ""
            stale = number.isdigit() and int(number) < generation
            if stale or path.suffix == ".tmp":
                path.unlink(missing_ok=True)


def files_of(backend: Backend) -> TenantFiles:
    """`backend` as the files it is: a tenant of a data directory (TypeError otherwise)."""
    if not isinstance(backend, TenantFiles):
        raise TypeError(f"a tenant kept by {type(backend).__name__}, not in a directory's files")
    return backend
