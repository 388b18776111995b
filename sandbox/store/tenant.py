"""One tenant's state: collections in memory, and the transactions that change it.

Every write goes through `Tx.commit()`. Outside a request its operations are made durable as
one unit by the tenant's backend (so they land together or not at all) and only then applied
in memory. Inside a request (sandbox/store/unit.py) they are applied at once, each with what
undoes it, and the request's operations are made durable as one unit once its answer is made,
or all undone: a request that fails, or whose unit the backend refuses (StorageUnavailable),
has changed nothing. The state knows its backend only through sandbox/store/backend.py's
interface (the embedded journal and snapshot files are sandbox/store/files.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from sandbox.clock import Clock
from sandbox.doc import Doc
from sandbox.errors import StorageUnavailable
from sandbox.store import unit
from sandbox.store.backend import Backend, InMemory, Op, Tables
from sandbox.store.collection import Collection, CollectionSpec, Key

log = logging.getLogger(__name__)


class MessageListener(Protocol):
    """Hears every message a transaction recorded, once it is durable (sandbox/events.py):
    `committed` for this process's, `caught_up` for another process's, replayed here before
    a request (its webhook is that process's to deliver)."""

    @property
    def tenants(self) -> Mapping[str, object]:
        """The tenants anyone listens to."""

    def committed(self, tenant: str, message: Doc) -> None: ...

    def caught_up(self, tenant: str, message: Doc) -> None: ...


class TenantData:
    def __init__(
        self,
        name: str,
        specs: Iterable[CollectionSpec],
        backend: Backend | None = None,
        *,
        capacity: int = 10_000,
        listener: MessageListener | None = None,
    ) -> None:
        self.name = name
        self.listener = listener
        # what keeps the state durable (sandbox/store/backend.py); None: nothing, in memory
        self.backend: Backend = InMemory() if backend is None else backend
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
        self._explicit_capacity: dict[str, int] = {}
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
        """Make `ops` durable (the backend's `append`) and apply them. While a request's unit
        of writes is open (sandbox/store/unit.py) they are applied now, each with what undoes
        it, and made durable with the rest of the request's at its end, or undone; `alone`
        commits them by themselves even then (due scheduled items, a fault's counters: a
        failing request keeps them). The unit keeps `ops` (Tx.commit lets go of its list)."""
        if not ops:
            return
        current = None if alone else unit.OPEN.unit
        if current is None:
            if self.backend.defers:  # (a database's group commit: applied now, undoable)
                unit.commit_alone(self, ops)
                return
            due = self.backend.append(ops)  # StorageUnavailable: nothing below happens
            for op in ops:
                self._apply(op)
            self.committed(ops, due)
            return
        lines = current.lines  # (a closed tenant refuses the unit: Unit.commit undoes)
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

    def committed(self, ops: list[Op], due: bool = False) -> None:
        """`ops` are durable and applied: the listeners hear their messages, and a compaction
        starts if `due` (the backend asked for one as it appended them)."""
        self.commits += 1
        listener = self.listener
        if listener is not None and self.name in listener.tenants:
            self._tell(listener.committed, ops)
        if (
            due
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
            except Exception:  # (a bug: told; the write is durable and its answer says so)
                log.exception("tenant %s: compaction not started", self.name)

    def _tell(self, hear: Callable[[str, Doc], None], ops: list[Op]) -> None:
        """`hear` each message `ops` recorded."""
        try:  # the write is durable and applied: a listener's failure must not undo that
            for op in ops:
                if op[0] == "put" and op[1] == "messages":
                    hear(self.name, op[2])
        except Exception:
            log.exception("tenant %s: a message listener failed", self.name)

    def catch_up(self, lock: bool = False) -> bool:
        """The state brought up to what other processes wrote to the tenant (its backend's
        `catch_up`: nothing for the embedded store); False when its storage is no longer the
        tenant's (replaced, reset or deleted elsewhere: the store looks it up again). `lock`:
        the backend's."""
        return self.backend.catch_up(self, lock)

    def caught_up(self, ops: list[Op]) -> None:
        """A unit another process committed, replayed by `catch_up`: its messages are told to
        the listeners (their streams; its webhook is that process's)."""
        listener = self.listener
        if listener is not None and self.name in listener.tenants:
            self._tell(listener.caught_up, ops)

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

    # durability: what the backend asks of the state (sandbox/store/backend.py's State) ---
    def load(self) -> None:
        """Load the stored state (the backend's `open`), compacting it at once if the
        backend asks (a long replay, files of the first release's format)."""
        if self.backend.open(self):
            self.compact()

    def replay(self, op: Op) -> None:
        self._apply(op, loading=True)

    def check(self) -> str | None:
        try:  # a clock an earlier release let off the calendar: every call would fail
            self.clock.now()
        except OverflowError:
            return f"its clock is off the calendar ({self.clock.offset_seconds:g} s from real time)"
        return None

    def initialise(self, tables: Tables, fixture: Doc | None = None) -> None:
        """Replace all state with `tables` and make it durable (the backend's `create`, then
        a compaction); the backend keeps the `fixture` it came from for resets."""
        self.backend.create(fixture or {})
        self.clear()
        self.load_tables(tables)
        self.backend.compact(self)

    def clear(self) -> None:
        """Forget the whole state (a load follows)."""
        for coll in self.collections.values():
            coll.clear(tallies=True)
            coll.set_capacity(self.default_capacity)
        self._dormant.clear()
        self._dormant_rows.clear()
        self._explicit_capacity.clear()
        self.sequences.clear()

    def fixture(self) -> Doc:
        """The fixture document the tenant was created from."""
        return self.backend.fixture()

    def compact(self, background: bool = False) -> None:
        """Have the backend store the state as it is now (see `tables`)."""
        self.backend.compact(self, background)

    def tables(self) -> dict[str, list[Doc]]:
        """The whole state as tables of documents: what a compaction stores and `load_tables`
        reads back, dormant collections included."""
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
        return tables

    def load_tables(self, tables: Tables) -> None:
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

    def close(self) -> None:
        self.backend.close()


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
        self._staged[(collection, doc[self.data.collections[collection].spec.key])] = doc
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
