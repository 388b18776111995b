"""The one interface between a tenant's state and what keeps it durable.

A tenant's state (sandbox/store/tenant.py) lives in memory; a `Backend` keeps it: it loads
the stored state into the tenant at start-up (`open`), makes each unit of writes durable
before it is acknowledged (`append`), and bounds the next load by storing the whole state
(`compact`). The state talks to nothing else about storage (an import contract in
.importlinter keeps it so), so another backend (a database's sequenced journal) is one class
implementing this, with no change to the state. The embedded one, journal and snapshot files
in the tenant's directory, is sandbox/store/embedded.py; `InMemory` keeps nothing.

A backend's promises, whatever it stores in: `append` returns only once `ops` are durable, or
raises StorageUnavailable (a 503 naming what failed) having stored nothing; `open` gives the
state every acknowledged unit, in order, or raises Damaged (sandbox/store/format.py) naming
what cannot be trusted, changing nothing. A backend several processes share (PostgreSQL)
also brings the state up to what the others appended (`catch_up`, before each request), and
refuses an `append` made on a state that is behind (`Behind`: the request catches up and
runs again); the embedded ones have no other writer, so their `catch_up` returns at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from sandbox.doc import Doc
from sandbox.errors import StorageUnavailable

# ["put", coll, doc] | ["delete", coll, key] | ["clear", coll] | ["capacity", coll, n]
# | ["seq", sequence, last id given]: one change to a tenant's state
Op = list[Any]
# the whole state as tables of documents: a collection's documents under its name, the
# store's own rows under names that start with "_" (keys, capacities, sequences, tallies)
Tables = Mapping[str, Iterable[Doc]]


class Behind(StorageUnavailable):
    """`append` refused: another process appended to the tenant (or replaced, reset or
    deleted it) since this state was brought up to date, so these operations were made on a
    state that is not the stored one. Nothing was stored; the caller catches up (`catch_up`)
    and makes them again (the request path runs the request again). Answered 503 where it
    cannot be, saying so."""


class State(Protocol):
    """A tenant's state as its backend sees it: what stored state is loaded into, and what
    a compaction stores."""

    def load_tables(self, tables: Tables) -> None:
        """Start from a stored snapshot of the whole state."""

    def replay(self, op: Op) -> None:
        """Apply one stored operation (KeyError, ValueError, TypeError... if it is not one
        this release understands: the backend reports it as damage)."""

    def clear(self) -> None:
        """Forget the whole state: a load from a snapshot follows (`catch_up` found the units
        it needs compacted away by another process)."""

    def caught_up(self, ops: list[Op]) -> None:
        """`ops`, a unit another process appended, were just replayed (`catch_up`): the
        listeners hear its messages (no webhook: the process that appended it delivers)."""

    def committed(self, ops: list[Op], due: bool = False) -> None:
        """`ops`, a unit of this process's, are durable and applied: the listeners hear its
        messages (its webhook delivered here)."""

    def check(self) -> str | None:
        """What is wrong with the state loaded, if anything (the backend reports it as
        damage of what it loaded last)."""

    def tables(self) -> dict[str, list[Doc]]:
        """The whole state at this instant (documents are immutable: lists of the current
        ones are a consistent view, whatever is written after)."""


class Backend(Protocol):
    """What keeps one tenant's state durable."""

    def open(self, into: State) -> bool:
        """Load the stored state into `into`, repair what a crash left (an unacknowledged
        write cut short), and get ready to append; whether the state should be compacted
        now (a long replay, an old format). Damaged when the stored state cannot be trusted."""

    def append(self, ops: list[Op]) -> bool:
        """Make one unit's operations durable together, or raise StorageUnavailable having
        stored none of them. True when the backend asks for a compaction now (none running,
        enough appended since the last: O(1), the answer of every write)."""

    @property
    def defers(self) -> bool:
        """Whether a unit of writes goes to `defer` now instead of `append` (PostgreSQL's
        group commit, on an event loop: sandbox/store/committer.py); False for the others."""

    def defer(self, data: Any, ops: list[Op], undo: list[tuple[Any, Op, Any]]) -> None:
        """Take `ops`, already applied to `data` in memory (`undo`: what undoes each, oldest
        first), to be stored with other units later; the request waits for them. When they
        are stored, `data.committed(ops)`; if they are refused, they are undone."""

    def retract(self) -> None:
        """Take the unit `append` just stored back out (a unit of writes another tenant's
        backend refused: sandbox/store/unit.py)."""

    def catch_up(self, into: State, lock: bool = False) -> bool:
        """Bring `into` up to every unit other processes appended since it was loaded or last
        caught up, each replayed as `open` replays (then `into.caught_up(ops)`), or reloaded
        from the snapshot when another process compacted the units it needs away. False when
        this storage is no longer the tenant's (another process replaced, reset or deleted
        it): the store looks the tenant up again. With `lock` (a request that lost the race
        twice), no other process appends until this process's next append or the end of
        the store's `held` block. Damaged as `open`; StorageUnavailable when the storage
        cannot be read. A backend no other process writes returns True at once."""

    def compact(self, state: State, background: bool = False) -> None:
        """Store `state.tables()`, the whole state at this instant, so the next `open` starts
        from them; appends from now on follow them. With `background`, the slow part runs in
        a thread (a failure there is logged and tried again later: nothing is lost)."""

    def create(self, fixture: Doc) -> None:
        """Start storage for a new tenant made from `fixture`, kept for `fixture()`; its state
        follows by `compact`."""

    def fixture(self) -> Doc:
        """The document the tenant was made from (resets load it again)."""

    def wait(self) -> None:
        """Return once no compaction is running."""

    def close(self) -> None:
        """Let go of what the backend holds open; an `append` after it is refused."""


class Compaction:
    """A backend's compaction in a background thread: at most one at a time, waited for before
    the next one, a reset or a close (the journal files' and PostgreSQL's alike)."""

    __slots__ = ("_thread",)

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None

    def start(self, name: str, work: Callable[..., None], *args: Any) -> None:
        """`work(*args)` in a thread of its own (a daemon: a kill mid-write leaves an ignored
        partial snapshot, nothing else)."""
        self.wait()
        self._thread = threading.Thread(target=work, args=args, name=name, daemon=True)
        self._thread.start()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()


class Immediate:
    """A backend that stores each unit as it is appended: none is deferred."""

    defers = False

    def defer(self, data: Any, ops: list[Op], undo: list[tuple[Any, Op, Any]]) -> None:
        raise RuntimeError("this backend stores each unit as it is appended")


class InMemory(Immediate):
    """The backend of a tenant kept in memory only (a store with no data directory): nothing
    is stored, so nothing can fail; the fixture is kept in memory for resets."""

    def __init__(self) -> None:
        self._fixture: Doc = {}

    def open(self, into: State) -> bool:
        return False

    def append(self, ops: list[Op]) -> bool:
        return False

    def retract(self) -> None:
        pass

    def catch_up(self, into: State, lock: bool = False) -> bool:
        return True

    def compact(self, state: State, background: bool = False) -> None:
        pass

    def create(self, fixture: Doc) -> None:
        self._fixture = fixture

    def fixture(self) -> Doc:
        return self._fixture

    def wait(self) -> None:
        pass

    def close(self) -> None:
        pass
