"""A tenant's state talks to its storage only through sandbox/store/backend.py's `Backend`:
a backend written here, which keeps units and snapshots in lists (what a database's
sequenced journal would keep in rows), runs the same writes, compactions, a reset and a
reopen as the embedded journal and snapshot files, and gives the same state; one that refuses
leaves the state as it was. (.importlinter keeps the state from importing the file modules.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_store_unit import SPECS, every_kind_of_write, state

from sandbox.doc import Doc
from sandbox.errors import StorageUnavailable
from sandbox.store import TenantData
from sandbox.store.backend import Backend, Immediate, Op, State
from sandbox.store.files import TenantFiles
from sandbox.store.unit import open_unit

FIXTURE: Doc = {
    "people": [{"id": i, "email": f"{i}@x", "team": "red" if i % 2 else "blue"} for i in range(5)],
    "notes": [{"id": "a"}, {"id": "b"}],
}


class Rows(Immediate):
    """A backend keeping a snapshot and the units appended since, in memory: each unit one
    row with its sequence number, as a shared database would keep them."""

    def __init__(self, compact_after: int = 3) -> None:
        self.compact_after = compact_after
        self.snapshot: dict[str, list[Doc]] | None = None
        self.units: list[tuple[int, list[Op]]] = []
        self.sequence = 0
        self.kept: Doc = {}
        self.refuse = False
        self.closed = False
        self.compactions = 0

    def open(self, into: State) -> bool:
        self.closed = False
        if self.snapshot is not None:
            into.load_tables(self.snapshot)
        for _, ops in self.units:
            for op in ops:
                into.replay(op)
        problem = into.check()
        assert problem is None, problem
        return False

    def append(self, ops: list[Op]) -> bool:
        if self.refuse or self.closed:
            raise StorageUnavailable("rows: the database refused the unit; nothing was changed")
        self.sequence += 1
        self.units.append((self.sequence, list(ops)))
        return len(self.units) > self.compact_after

    def retract(self) -> None:
        self.units.pop()

    def catch_up(self, into: State, lock: bool = False) -> bool:
        return True

    def compact(self, state: State, background: bool = False) -> None:
        self.snapshot = state.tables()
        self.units = []
        self.compactions += 1

    def create(self, fixture: Doc) -> None:
        self.kept = fixture

    def fixture(self) -> Doc:
        return self.kept

    def wait(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def history(data: TenantData) -> None:
    """Writes alone and in units, a unit undone, a compaction, a reset from the stored
    fixture, and writes after it."""
    data.initialise(FIXTURE, FIXTURE)
    tx = data.begin()
    for number in range(4):
        tx.put(
            "outbox", {"id": number, "to": f"p{number % 2}", "channel": "SMS", "at": 10 + number}
        )
    tx.next_id("letters")
    tx.commit()
    with open_unit() as unit:
        every_kind_of_write(data)
        unit.commit()
    with open_unit():  # left without a commit: undone
        tx = data.begin()
        tx.delete("people", 2)
        tx.commit()
    for number in range(5):
        tx = data.begin()
        tx.put("notes", {"id": f"n{number}"})
        tx.commit()
    data.initialise(data.fixture(), data.fixture())  # a reset
    tx = data.begin()
    tx.delete("people", 3)
    tx.put("people", {"id": 7, "email": "7@x", "team": "blue"})
    tx.next_id("letters")
    tx.commit()


def reopened(data: TenantData, backend: Backend) -> TenantData:
    data.close()
    again = TenantData(data.name, SPECS, backend, capacity=4)
    again.load()
    return again


def test_a_backend_of_rows_gives_the_state_the_files_give(tmp_path: Path) -> None:
    rows = Rows()
    data = TenantData("t", SPECS, rows, capacity=4)
    history(data)
    assert rows.compactions >= 3  # the first initialise, the reset, and one it asked for
    assert data["people"].get(3) is None and data["people"].get(2) is not None
    files = TenantFiles("t", tmp_path)
    on_disk = TenantData("t", SPECS, files, capacity=4)
    history(on_disk)
    assert state(data) == state(on_disk)

    again = reopened(data, rows)
    assert state(again) == state(data)
    assert again.fixture() == FIXTURE
    assert state(reopened(on_disk, TenantFiles("t", tmp_path))) == state(again)


def test_a_unit_the_backend_refuses_leaves_the_state_as_it_was() -> None:
    rows = Rows()
    data = TenantData("t", SPECS, rows, capacity=4)
    data.initialise(FIXTURE, FIXTURE)
    before, units = state(data), list(rows.units)
    rows.refuse = True
    with pytest.raises(StorageUnavailable, match="the database refused"), open_unit() as unit:
        every_kind_of_write(data)
        unit.commit()
    with pytest.raises(StorageUnavailable):
        tx = data.begin()
        tx.put("notes", {"id": "alone"})
        tx.commit()
    assert state(data) == before
    assert rows.units == units


def test_a_unit_over_two_backends_is_taken_back_out_of_the_first_when_the_second_refuses() -> None:
    first, second = Rows(), Rows()
    one = TenantData("one", SPECS, first, capacity=4)
    two = TenantData("two", SPECS, second, capacity=4)
    for data in (one, two):
        data.initialise(FIXTURE, FIXTURE)
    before: list[Any] = [state(one), state(two), list(first.units)]
    second.refuse = True
    with pytest.raises(StorageUnavailable), open_unit() as unit:
        every_kind_of_write(one)
        every_kind_of_write(two)
        unit.commit()
    assert [state(one), state(two), first.units] == before
