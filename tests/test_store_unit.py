"""A request's writes as one unit (sandbox/store/unit.py): applied as made, journaled as one
line at its end, or all undone, leaving the tenant exactly as it was: documents and their
order, indexes and their order, tallies, capacity, evictions, the order heap (`earliest`,
`in_order`), id sequences."""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.errors import StorageUnavailable
from sandbox.store import CollectionSpec, TenantData, base_collections
from sandbox.store.files import TenantFiles, files_of
from sandbox.store.journal import Journal
from sandbox.store.unit import open_unit

PEOPLE = CollectionSpec(
    "people", unique=("email",), multi=("team",), normalise={"email": str.lower}
)
OUTBOX = CollectionSpec(
    "outbox",
    multi=("to",),
    capped=True,
    tally=("to", "channel", "at"),
    order=lambda doc: doc["at"],
)
NOTES = CollectionSpec("notes")
SPECS = (base_collections.META, PEOPLE, OUTBOX, NOTES)  # (a tenant reads its clock from meta)


def tenant(directory: Path | None = None, name: str = "t") -> TenantData:
    files = None if directory is None else TenantFiles(name, directory)
    data = TenantData(name, SPECS, files, capacity=4)
    people = [{"id": i, "email": f"{i}@x", "team": "red" if i % 2 else "blue"} for i in range(5)]
    outbox = [{"id": i, "to": f"p{i % 2}", "channel": "SMS", "at": 10 + i} for i in range(4)]
    data.initialise({"people": people, "notes": [{"id": "a"}, {"id": "b"}]})
    tx = data.begin()
    for message in outbox:  # through puts: counted in the tallies, evicting past 4
        tx.put("outbox", message)
    tx.next_id("letters")
    tx.commit()
    if directory is not None:
        data.load()
    return data


def journal(data: TenantData) -> Journal:
    """The journal a tenant on disk appends to now."""
    found = files_of(data.backend).journal
    assert found is not None
    return found


def state(data: TenantData) -> dict[str, Any]:
    """Everything a write can change, order included."""
    found: dict[str, Any] = {"sequences": dict(data.sequences)}
    found["capacities"] = dict(data._explicit_capacity)
    for name, coll in data.collections.items():
        found[name] = {
            "docs": list(coll._docs.items()),
            "unique": {index: dict(values) for index, values in coll._unique.items()},
            "multi": {
                index: {value: list(keys) for value, keys in buckets.items()}
                for index, buckets in coll._multi.items()
            },
            "tallies": dict(coll.tallies),
            "capacity": coll.capacity,
            "earliest": coll.earliest() if coll.spec.order else None,
            "in_order": [doc["id"] for doc in coll.in_order()] if coll.spec.order else None,
        }
    return found


def every_kind_of_write(data: TenantData) -> None:
    """Puts (new, replacing, moving indexes, evicting), a clear, a capacity change that
    evicts, sequences, over several transactions, each reading the ones before."""
    tx = data.begin()
    tx.put("people", {"id": 1, "email": "renamed@x", "team": "red"})  # unique index moves
    tx.put("people", {"id": 9, "email": "9@x", "team": "red"})
    tx.put("outbox", {"id": 10, "to": "p9", "channel": "SMS", "at": 1})  # new earliest, evicts
    tx.put("outbox", {"id": 2, "to": "p0", "channel": "EMAIL", "at": 12})  # replaced in place
    tx.next_id("letters")
    tx.next_id("numbers")
    tx.commit()
    assert data["people"].by("email", "RENAMED@x") is not None  # the request reads its writes
    tx = data.begin()
    tx.clear("notes")
    tx.put("notes", {"id": "c"})
    tx.capacity("outbox", 2)  # evicts two more
    tx.put("outbox", {"id": 11, "to": "p1", "channel": "SMS", "at": 50})
    tx.commit()


def test_an_exception_undoes_every_write_of_the_unit() -> None:
    data = tenant()
    before = state(data)
    with pytest.raises(RuntimeError), open_unit():
        every_kind_of_write(data)
        assert len(data["outbox"]) == 2 and data["notes"].get("c") is not None
        raise RuntimeError("a bug after the writes")
    assert state(data) == before


def test_leaving_a_unit_without_committing_undoes_it() -> None:
    data = tenant()
    before = state(data)
    with open_unit():
        every_kind_of_write(data)
    assert state(data) == before


def test_an_undone_delete_puts_the_document_back_as_the_newest() -> None:
    """The one order an undo does not restore (docs/architecture.md): a deleted document's
    place among the others, and in its index buckets. Its content and indexes come back."""
    data = tenant()
    with open_unit():
        tx = data.begin()
        tx.delete("people", 1)
        tx.commit()
        assert data["people"].by("email", "1@x") is None
    assert [key for key, _ in data["people"]._docs.items()] == [0, 2, 3, 4, 1]
    assert data["people"].by("email", "1@x") == {"id": 1, "email": "1@x", "team": "red"}
    assert [d["id"] for d in data["people"].all_by("team", "red")] == [3, 1]


def test_a_committed_unit_is_one_journal_line_that_replays_to_the_same_state(
    tmp_path: Path,
) -> None:
    data = tenant(tmp_path)
    lines = journal(data).path.read_bytes().count(b"\n")
    with open_unit() as unit:
        every_kind_of_write(data)
        unit.commit()
    assert journal(data).path.read_bytes().count(b"\n") == lines + 1
    after = state(data)
    data.close()
    again = TenantData("t", SPECS, TenantFiles("t", tmp_path), capacity=4)
    again.load()
    assert state(again) == after
    again.close()


def test_a_journal_that_refuses_the_line_undoes_the_unit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tenant(tmp_path)
    before, content = state(data), journal(data).path.read_bytes()

    def refused(record: Any) -> None:
        raise StorageUnavailable("storage full: the disk has no space left")

    monkeypatch.setattr(journal(data), "append", refused)
    with pytest.raises(StorageUnavailable), open_unit() as unit:
        every_kind_of_write(data)
        unit.commit()
    assert state(data) == before
    assert journal(data).path.read_bytes() == content
    data.close()


def opened(path: Path) -> int:
    """How many of the process's file descriptors are open on `path`."""
    found = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(FileNotFoundError):  # (the listing's own, closed since)
            found += os.readlink(f"/proc/self/fd/{fd}") == str(path)
    return found


@pytest.mark.parametrize("released", [False, True])
def test_a_unit_over_two_tenants_withdraws_the_first_line_when_the_second_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, released: bool
) -> None:
    """The first tenant's line is cut back out of its file, with its descriptor open (one, not
    a second) or closed meanwhile (as the budget of open journals closes an idle one)."""
    first, second = tenant(tmp_path / "a", "a"), tenant(tmp_path / "b", "b")
    before = state(first), state(second)
    content = journal(first).path.read_bytes()

    def refused(record: Any) -> None:
        if released:
            journal(first).release()
        raise StorageUnavailable("storage I/O error")

    monkeypatch.setattr(journal(second), "append", refused)
    with pytest.raises(StorageUnavailable), open_unit() as unit:
        every_kind_of_write(first)
        every_kind_of_write(second)
        unit.commit()
    assert (state(first), state(second)) == before
    assert journal(first).path.read_bytes() == content
    assert opened(journal(first).path) == 1  # its own, open again: not a second one
    first.close()
    again = TenantData("a", SPECS, TenantFiles("a", tmp_path / "a"), capacity=4)
    again.load()
    assert state(again) == before[0]
    again.close()
    second.close()


def test_a_withdrawn_line_that_cannot_be_cut_out_breaks_the_journal_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The file may now end in the withdrawn line: nothing more is appended to it, and the log
    says which journal and why."""
    first, second = tenant(tmp_path / "a", "a"), tenant(tmp_path / "b", "b")

    def refused(record: Any) -> None:
        raise StorageUnavailable("storage I/O error")

    def stuck(fd: int, size: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(journal(second), "append", refused)
    with pytest.raises(StorageUnavailable), open_unit() as unit:
        every_kind_of_write(first)
        every_kind_of_write(second)
        monkeypatch.setattr(os, "ftruncate", stuck)
        unit.commit()
    monkeypatch.undo()
    assert journal(first).broken is not None
    [said] = [r.getMessage() for r in caplog.records if "could not be undone" in r.getMessage()]
    assert said == (
        f"journal {journal(first).path}: a failed append (a withdrawn line) could not be "
        "undone ([Errno 5] Input/output error)"
    )
    first.close()
    second.close()


def test_a_write_committed_alone_stays_when_the_unit_fails() -> None:
    """Due scheduled items and a fault's counters are committed by themselves."""
    data = tenant()
    with pytest.raises(RuntimeError), open_unit():
        tx = data.begin()
        tx.put("notes", {"id": "request's"})
        tx.commit()
        assert data.uncommitted()
        alone = data.begin()
        alone.put("notes", {"id": "delivered"})
        alone.commit(alone=True)
        raise RuntimeError
    assert data["notes"].get("delivered") is not None
    assert data["notes"].get("request's") is None
    assert not data.uncommitted()


def test_listeners_hear_a_units_messages_only_once_it_is_committed() -> None:
    heard: list[Any] = []

    class Listener:
        tenants = {"t": object()}

        def committed(self, tenant: str, message: Any) -> None:
            heard.append(message["id"])

    data = TenantData("t", (*SPECS, CollectionSpec("messages")), None, listener=Listener())
    with open_unit():
        tx = data.begin()
        tx.put("messages", {"id": "undone"})
        tx.commit()
    assert heard == []
    with open_unit() as unit:
        tx = data.begin()
        tx.put("messages", {"id": "kept"})
        tx.commit()
        assert heard == []
        unit.commit()
        assert heard == ["kept"]


def test_units_do_not_nest() -> None:
    with open_unit(), pytest.raises(RuntimeError, match="already open"), open_unit():
        pass


def test_a_write_that_fails_as_the_units_first_leaves_nothing_to_the_next_request(
    tmp_path: Path,
) -> None:
    """A handler's bug in its first write (here a document its index cannot read) is a 500;
    the endpoint's unit is then used by the next request, whose commit must journal only its
    own writes: the failed one's line was kept (no undo had been recorded for it), written
    with the next request's, and the tenant did not load again (Damaged: quarantined)."""
    tagged = CollectionSpec("tagged", unique=("tag",), derived={"tag": lambda doc: doc["tag"]})
    specs = (base_collections.META, tagged, NOTES)
    data = TenantData("t", specs, TenantFiles("t", tmp_path))
    data.initialise({})
    data.load()
    with pytest.raises(KeyError), open_unit():
        tx = data.begin()
        tx.put("tagged", {"id": 1})  # no "tag": its index raises as the put is applied
        tx.commit()
    assert not data.uncommitted()
    with open_unit() as unit:
        tx = data.begin()
        tx.put("notes", {"id": "next"})
        tx.commit()
        unit.commit()
    data.close()
    again = TenantData("t", specs, TenantFiles("t", tmp_path))
    again.load()
    assert again["tagged"].get(1) is None
    assert again["notes"].get("next") == {"id": "next"}
    again.close()


def due_compaction(tmp_path: Path) -> TenantData:
    """A tenant on disk whose journal is past its compaction size at its next write."""
    data = tenant(tmp_path)
    files = files_of(data.backend)
    files.compact_bytes = 0
    files._snapshot_bytes = 0
    return data


def request_then_alone(data: TenantData) -> None:
    """A request's write), then one committed alone (a due item, a fault's counters)."""
    tx = data.begin()
    tx.put("notes", {"id": "request's"})
    tx.commit()
    alone = data.begin()
    alone.put("notes", {"id": "delivered"})
    alone.commit(alone=True)


def test_a_write_committed_alone_mid_unit_does_not_compact_the_units_writes(
    tmp_path: Path,
) -> None:
    """A write committed alone while the unit holds writes of the same tenant, with the
    journal past its compaction size: a snapshot taken then held the request's writes, and
    the request's undo did not reach it: they came back at the next start."""
    data = due_compaction(tmp_path)
    with pytest.raises(RuntimeError), open_unit():
        request_then_alone(data)
        raise RuntimeError("the request fails")
    data.backend.wait()
    after = state(data)
    assert data["notes"].get("request's") is None
    data.close()
    again = TenantData("t", SPECS, TenantFiles("t", tmp_path), capacity=4)
    again.load()
    assert again["notes"].get("request's") is None
    assert state(again) == after
    again.close()


def test_the_units_commit_compacts_a_journal_past_its_size(tmp_path: Path) -> None:
    data = due_compaction(tmp_path)
    files = files_of(data.backend)
    generation = files.generation
    with open_unit() as unit:
        request_then_alone(data)
        assert files.generation == generation  # (waits for the unit)
        unit.commit()
    assert files.generation == generation + 1
    data.close()


# Any writes, any undo: random sequences of puts (new, replacing, moving a unique index,
# evicting, out of order), deletes, clears and capacity changes, made before a unit and
# then inside one that is left uncommitted, leave the tenant exactly as it was. A delete's
# undo re-inserts the document as the newest (the documented exception above), so when the
# unit deletes, insertion order is compared as a set; an undone change of an indexed value
# puts the document last among those sharing its old value, so index buckets are compared
# as sets (both documented in docs/architecture.md).
LOG = CollectionSpec(
    "log",
    unique=("email",),
    multi=("to", "by_key", "marks"),
    capped=True,
    tally=("to", "channel", "at"),
    order=lambda doc: None if doc.get("failed") else (doc["at"], doc["id"]),
    # a bucket in key order, and one indexed under several values (one, two or none)
    in_key_order=("by_key", "marks"),
    several=("marks",),
    derived={
        "by_key": lambda doc: doc["to"],
        "marks": lambda doc: (doc["to"], "failed")[: doc.get("failed", 0) + bool(doc.get("email"))],
    },
)
PUT = st.tuples(
    st.just("put"),
    st.integers(0, 7),
    st.integers(0, 5),
    st.sampled_from(["a", "b", "c"]),
    st.booleans(),
    st.sampled_from([None, "x@", "y@"]),
)
WRITES = st.one_of(  # puts weighted: a full collection evicts
    PUT,
    PUT,
    PUT,
    st.tuples(st.just("delete"), st.integers(0, 7)),
    st.tuples(st.just("clear")),
    st.tuples(st.just("capacity"), st.integers(1, 6)),
)


def write(data: TenantData, writes: list[Any]) -> None:
    for kind, *args in writes:
        tx = data.begin()
        if kind == "put":
            key, at, to, failed, email = args
            doc: dict[str, Any] = {"id": key, "at": at, "to": to, "channel": "SMS"}
            if failed:
                doc["failed"] = True  # out of the order heap
            if email:
                doc["email"] = f"{email}{key}"
            tx.put("log", doc)
            tx.next_id("s")
        elif kind == "delete":
            tx.delete("log", args[0])
        elif kind == "clear":
            tx.clear("log")
        else:
            tx.capacity("log", args[0])
        tx.commit()


def without_insertion_order(found: dict[str, Any], docs: bool) -> dict[str, Any]:
    log = dict(found["log"])
    if docs:
        log["docs"] = sorted(log["docs"], key=lambda item: item[0])
    log["multi"] = {
        index: {value: sorted(keys) for value, keys in buckets.items()}
        for index, buckets in log["multi"].items()
    }
    return {**found, "log": log}


@settings(max_examples=300, deadline=None)
@given(st.lists(WRITES, max_size=12), st.lists(WRITES, min_size=1, max_size=12))
def test_any_writes_left_uncommitted_leave_the_tenant_exactly_as_it_was(
    before_unit: list[Any], in_unit: list[Any]
) -> None:
    data = TenantData("t", (base_collections.META, LOG), None, capacity=5)
    data.initialise({})
    write(data, before_unit)
    before = state(data)
    with open_unit():
        write(data, in_unit)
        state(data)  # (in_order yields each document once while the unit holds them)
    after = state(data)
    deletes = any(kind == "delete" for kind, *_ in in_unit)
    assert without_insertion_order(after, deletes) == without_insertion_order(before, deletes)
    write(data, before_unit)  # and the tenant goes on taking writes
    assert len({doc["id"] for doc in data["log"].in_order()}) == len(list(data["log"].in_order()))
