"""The store: indexes, the capped outbox, journal replay, compaction, crash tolerance."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sandbox.catalog import Catalog
from sandbox.settings import Settings
from sandbox.store import CollectionSpec, Store, base_collections
from sandbox.store.collection import Collection, Key
from sandbox.store.directory import DataDirectoryBusy
from sandbox.store.files import files_of
from sandbox.store.journal import Journal
from sandbox.store.snapshot import read_snapshot
from sandbox.vendors import VENDORS

PEOPLE = CollectionSpec(
    "people", unique=("email",), multi=("team",), normalise={"email": str.lower}
)


def test_unique_index_follows_changes_and_deletes() -> None:
    people = Collection(PEOPLE)
    people.put({"id": 1, "email": "A@x.com", "team": "red"})
    assert people.by("email", "a@X.COM") == {"id": 1, "email": "A@x.com", "team": "red"}
    people.put({"id": 1, "email": "b@x.com", "team": "red"})
    assert people.by("email", "a@x.com") is None
    assert people.by("email", "b@x.com")["id"] == 1  # type: ignore[index]
    people.delete(1)
    assert people.by("email", "b@x.com") is None and len(people) == 0


def test_multi_index_keeps_insertion_order_and_follows_moves() -> None:
    people = Collection(PEOPLE)
    for key, team in [(1, "red"), (2, "blue"), (3, "red")]:
        people.put({"id": key, "email": f"{key}@x", "team": team})
    assert [d["id"] for d in people.all_by("team", "red")] == [1, 3]
    assert [d["id"] for d in people.newest_by("team", "red")] == [3, 1]
    people.put({"id": 1, "email": "1@x", "team": "blue"})
    assert [d["id"] for d in people.all_by("team", "red")] == [3]
    assert len(people.all_by("team", "blue")) == 2


def test_a_replaced_document_keeps_its_place_among_its_peers() -> None:
    """Oldest first stays true after an update (Symplify's keyset paging of a list relies on
    it): only an index whose value changed moves the document."""
    people = Collection(PEOPLE)
    for key in (1, 2, 3):
        people.put({"id": key, "email": f"{key}@x", "team": "red"})
    people.put({"id": 1, "email": "new@x", "team": "red"})
    assert [d["id"] for d in people.all_by("team", "red")] == [1, 2, 3]
    assert people.by("email", "new@x")["id"] == 1 and people.by("email", "1@x") is None  # type: ignore[index]
    assert [d["id"] for d in people.newest_by("team", "red")] == [3, 2, 1]


# a member of a team, listed under each flag it has, both in key order (keyset paging)
MEMBERS = CollectionSpec(
    "members",
    multi=("team", "flagged"),
    in_key_order=("team", "flagged"),
    several=("flagged",),
    derived={"flagged": lambda d: tuple((d["team"], flag) for flag in d.get("flags", ()))},
)


def test_a_bucket_in_key_order_pages_after_a_key_whatever_order_documents_came_in() -> None:
    members = Collection(MEMBERS)
    for key in (5, 1, 9, 3, 7):
        members.put({"id": key, "team": "red"})
    members.put({"id": 2, "team": "blue"})
    assert [d["id"] for d in members.all_by("team", "red")] == [1, 3, 5, 7, 9]
    assert [d["id"] for d in members.page_by("team", "red", None, 2)] == [1, 3]
    assert [d["id"] for d in members.page_by("team", "red", 3, 2)] == [5, 7]
    assert [d["id"] for d in members.page_by("team", "red", 4, 10)] == [5, 7, 9]
    assert [d["id"] for d in members.page_by("team", "red", -1, 1)] == [1]
    assert members.page_by("team", "red", 9, 5) == []
    assert members.page_by("team", "green", None, 5) == []
    members.delete(5)
    members.put({"id": 5, "team": "red"})  # back: at its key's place, not last
    assert [d["id"] for d in members.newest_by("team", "red")] == [9, 7, 5, 3, 1]
    assert members.count_by("team", "red") == 5


def test_a_document_is_indexed_under_each_of_several_values_and_follows_their_changes() -> None:
    members = Collection(MEMBERS)
    members.put({"id": 4, "team": "red", "flags": ("out", "bounced")})
    members.put({"id": 2, "team": "red", "flags": ("out",)})
    members.put({"id": 3, "team": "red"})
    assert [d["id"] for d in members.page_by("flagged", ("red", "out"), None, 9)] == [2, 4]
    assert [d["id"] for d in members.all_by("flagged", ("red", "bounced"))] == [4]
    members.put({"id": 4, "team": "red", "flags": ("bounced", "late")})  # left one, took one
    members.put({"id": 3, "team": "red", "flags": ("out",)})
    assert [d["id"] for d in members.page_by("flagged", ("red", "out"), 2, 9)] == [3]
    assert members.count_by("flagged", ("red", "late")) == 1
    assert members.count_by("flagged", ("red", "bounced")) == 1
    members.delete(4)
    assert members.count_by("flagged", ("red", "bounced")) == 0
    assert members.count_by("flagged", ("red", "late")) == 0
    assert members.count_by("flagged", ("red", "out")) == 2


def test_a_capped_collection_indexed_under_several_values_evicts_from_each() -> None:
    spec = CollectionSpec(
        "m",
        multi=("tags",),
        in_key_order=("tags",),
        several=("tags",),
        capped=True,
        derived={"tags": lambda d: d["tags"]},
    )
    messages = Collection(spec, capacity=2)
    for key, tags in [(1, ("a", "b")), (2, ("b",)), (3, ("a",))]:
        messages.put({"id": key, "tags": tags})
    assert [d["id"] for d in messages.all_by("tags", "a")] == [3]
    assert [d["id"] for d in messages.all_by("tags", "b")] == [2]
    with pytest.raises(ValueError, match="not in key order"):
        CollectionSpec("loose", multi=("tags",), several=("tags",))


def test_capped_collection_evicts_oldest_and_unindexes_it() -> None:
    messages = Collection(CollectionSpec("m", multi=("to",), capped=True), capacity=3)
    for key in range(5):
        messages.put({"id": key, "to": "a" if key % 2 else "b"})
    assert [d["id"] for d in messages.newest()] == [4, 3, 2]
    assert [d["id"] for d in messages.all_by("to", "b")] == [2, 4]
    messages.set_capacity(1)
    assert [d["id"] for d in messages.values()] == [4]
    assert messages.all_by("to", "a") == []


def test_replacing_a_document_does_not_evict() -> None:
    messages = Collection(CollectionSpec("m", capped=True), capacity=2)
    messages.put({"id": 1})
    messages.put({"id": 2})
    messages.put({"id": 1, "status": "changed"})
    assert len(messages) == 2 and messages.get(1) == {"id": 1, "status": "changed"}


def settings(tmp_path: Path, **extra: object) -> Settings:
    return Settings(data_dir=tmp_path, **extra)  # type: ignore[arg-type]


def open_store(settings: Settings) -> Store:
    """The store of the app's vendors' collections."""
    return Catalog.of(VENDORS).open_store(settings)


def seeded(store: Store, name: str = "t1") -> None:
    store.put_tenant(
        {"name": name, "capillary_username": f"{name}_user"},
        {"customers": [{"id": 1, "mobile": "919353491050", "email": "a@b.co"}]},
    )


def test_committed_writes_survive_a_restart(tmp_path: Path) -> None:
    store = open_store(settings(tmp_path))
    seeded(store)
    tx = store.get("t1").begin()  # type: ignore[union-attr]
    tx.put("customers", {"id": 2, "mobile": "919000000002", "email": None})
    tx.put("messages", {"id": "m1", "customer_id": "2"})
    tx.commit()
    store.close()

    reopened = open_store(settings(tmp_path))
    data = reopened.get("t1")
    assert data is not None
    assert data["customers"].by("mobile", "919000000002")["id"] == 2  # type: ignore[index]
    assert [m["id"] for m in data["messages"].all_by("customer_id", "2")] == ["m1"]
    assert reopened.find_by_credential("capillary_username", "t1_user") is data
    reopened.close()


class Heard:
    """A listener (the app's event bus) that writes down what it is told."""

    def __init__(self) -> None:
        self.tenants: dict[str, object] = {"t1": object()}  # t1's messages are listened to
        self.changed: list[str] = []
        self.messages: list[tuple[str, str]] = []

    def tenant_changed(self, tenant: str) -> None:
        self.changed.append(tenant)

    def committed(self, tenant: str, message: dict[str, object]) -> None:
        self.messages.append((tenant, str(message["id"])))


def test_a_listener_is_told_of_each_tenant_loaded_then_hears_their_messages(
    tmp_path: Path,
) -> None:
    """The app hands the store its event bus once the bus can read the store (`listen`):
    each tenant already in the data directory is announced (its webhook, set before the
    restart, is watched again), and its messages reach the bus from then on."""
    store = open_store(settings(tmp_path))
    seeded(store)
    seeded(store, "t2")
    store.close()
    reopened = open_store(settings(tmp_path))
    heard = Heard()
    reopened.listen(heard)
    assert sorted(heard.changed) == ["t1", "t2"]
    tx = reopened.get("t1").begin()  # type: ignore[union-attr]
    tx.put("messages", {"id": "m1", "customer_id": "1"})
    tx.commit()
    assert heard.messages == [("t1", "m1")]
    seeded(reopened, "t3")  # a tenant put in place later: announced, listened to as well
    assert heard.changed[-1] == "t3"
    reopened.close()


def test_an_uncommitted_transaction_changes_nothing(tmp_path: Path) -> None:
    store = open_store(settings(tmp_path))
    seeded(store)
    data = store.get("t1")
    assert data is not None
    tx = data.begin()
    tx.put("customers", {"id": 9, "mobile": "919000000009"})
    assert tx.get("customers", 9) is not None  # the transaction reads its own write
    assert data["customers"].get(9) is None
    store.close()
    assert open_store(settings(tmp_path)).get("t1")["customers"].get(9) is None  # type: ignore[index]


def test_a_torn_journal_tail_is_dropped_and_appends_continue(tmp_path: Path) -> None:
    store = open_store(settings(tmp_path))
    seeded(store)
    tx = store.get("t1").begin()  # type: ignore[union-attr]
    tx.put("customers", {"id": 2, "mobile": "919000000002"})
    tx.commit()
    journal = files_of(store.get("t1").backend).journal  # type: ignore[union-attr]
    assert journal is not None
    path = journal.path
    store.close()
    with path.open("ab") as handle:  # a crash in the middle of a write
        handle.write(b'[["put","customers",{"id":3,"mob')

    reopened = open_store(settings(tmp_path))
    data = reopened.get("t1")
    assert data is not None and data["customers"].get(3) is None and data["customers"].get(2)
    tx = data.begin()
    tx.put("customers", {"id": 4, "mobile": "919000000004"})
    tx.commit()
    reopened.close()
    assert open_store(settings(tmp_path)).get("t1")["customers"].get(4)  # type: ignore[index]


def test_compaction_writes_a_tinydb_snapshot_and_a_fresh_journal(tmp_path: Path) -> None:
    store = open_store(settings(tmp_path, compact_bytes=2_000))
    seeded(store)
    data = store.get("t1")
    assert data is not None
    files = files_of(data.backend)
    first_generation = files.generation
    for number in range(40):
        tx = data.begin()
        tx.put("messages", {"id": f"m{number}", "customer_id": "1", "body": "x" * 50})
        tx.commit()
    assert files.generation > first_generation
    files.wait()  # it runs in the background, off the request path
    names = sorted(p.name for p in (tmp_path / "tenants" / "t1").iterdir())
    assert names == [
        "fixture.json",
        f"journal.{files.generation}.log",
        f"snapshot.{files.generation}.crc",
        f"snapshot.{files.generation}.json",
        "tenant.json",
    ]
    snapshot = read_snapshot(tmp_path / "tenants" / "t1" / f"snapshot.{files.generation}.json")
    assert snapshot["customers"][0]["mobile"] == "919353491050"
    store.close()
    assert len(open_store(settings(tmp_path)).get("t1")["messages"]) == 40  # type: ignore[index]


def test_outbox_capacity_is_persisted_per_tenant(tmp_path: Path) -> None:
    store = open_store(settings(tmp_path, outbox_retention=5))
    seeded(store)
    data = store.get("t1")
    assert data is not None
    tx = data.begin()
    tx.capacity("messages", 2)
    for number in range(4):
        tx.put("messages", {"id": number})
    tx.commit()
    assert [m["id"] for m in data["messages"].values()] == [2, 3]
    store.close()
    reopened = open_store(settings(tmp_path, outbox_retention=5)).get("t1")
    assert reopened is not None and reopened["messages"].capacity == 2


def test_deleting_a_tenant_removes_its_files(tmp_path: Path) -> None:
    store = open_store(settings(tmp_path))
    seeded(store)
    assert store.delete_tenant("t1")
    assert not (tmp_path / "tenants" / "t1").exists()
    assert store.find_by_credential("capillary_username", "t1_user") is None
    store.close()
    assert open_store(settings(tmp_path)).get("t1") is None


def test_a_directory_that_is_not_a_tenant_is_left_alone(tmp_path: Path) -> None:
    """A directory with no tenant.json is not understood: nothing in it is deleted, and it
    is listed as degraded, not loaded."""
    open_store(settings(tmp_path)).close()
    stranger = tmp_path / "tenants" / "half-created"
    stranger.mkdir(parents=True)
    (stranger / "snapshot.1.json").write_text("{}")
    store = open_store(settings(tmp_path))
    assert (stranger / "snapshot.1.json").read_text() == "{}"
    assert store.degraded["half-created"].problem == "no tenant.json: not loaded, left as it is"
    store.close()


def test_two_processes_cannot_share_a_data_directory(tmp_path: Path) -> None:
    store = open_store(settings(tmp_path))
    with pytest.raises(DataDirectoryBusy):
        open_store(settings(tmp_path))
    store.close()


def test_journal_lines_are_checksummed_json_arrays_of_operations(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.log")
    journal.append([["put", "c", {"id": 1}]])
    journal.close()
    header, record = (tmp_path / "j.log").read_bytes().splitlines()
    assert json.loads(header) == {"comms-sandbox": "journal", "format": 2}
    crc, _, payload = record.partition(b" ")
    assert json.loads(payload) == [["put", "c", {"id": 1}]]
    assert crc == b"%08x" % zlib.crc32(payload)
    assert list(Journal.replay(tmp_path / "j.log")) == [[["put", "c", {"id": 1}]]]


def test_a_crash_during_compaction_loses_nothing(tmp_path: Path) -> None:
    """Compaction starts journal N+1 before snapshot N+1 exists: a crash in between leaves
    snapshot N and journals N and N+1, and start-up replays both."""
    store = open_store(settings(tmp_path))
    seeded(store)
    data = store.get("t1")
    assert data is not None
    tx = data.begin()
    tx.put("customers", {"id": 2, "mobile": "919000000002"})
    tx.commit()
    generation = files_of(data.backend).generation
    store.close()
    directory = tmp_path / "tenants" / "t1"
    next_journal = Journal(directory / f"journal.{generation + 1}.log")
    next_journal.append([["put", "customers", {"id": 3, "mobile": "919000000003"}]])
    next_journal.close()
    (directory / f"snapshot.{generation + 1}.json.tmp").write_text('{"customers": {"1": ')

    reopened = open_store(settings(tmp_path))
    data = reopened.get("t1")
    assert data is not None
    assert data["customers"].get(2) is not None and data["customers"].get(3) is not None
    assert files_of(data.backend).generation == generation + 1
    assert not list(directory.glob("*.tmp"))
    reopened.close()


def test_tallies_survive_eviction_clearing_restart_and_compaction(tmp_path: Path) -> None:
    """Interaction history is a tally of messages ever inserted: the outbox's retention and
    clearing do not erase it, replay rebuilds it, snapshots keep it."""
    store = open_store(settings(tmp_path, outbox_retention=2, compact_bytes=10**9))
    seeded(store)
    data = store.get("t1")
    assert data is not None
    for number in range(5):
        tx = data.begin()
        stamp = f"2026-11-23T10:00:0{number}.000Z"
        tx.put(
            "messages",
            {"id": f"m{number}", "customer_id": "1", "channel": "SMS", "created_at": stamp},
        )
        tx.commit()
    tx = data.begin()
    tx.clear("messages")
    tx.commit()
    expected = {"SMS": (5, "2026-11-23T10:00:04.000Z")}
    assert len(data["messages"]) == 0 and data["messages"].tally("1") == expected
    store.close()
    replayed = open_store(settings(tmp_path, outbox_retention=2))
    data = replayed.get("t1")
    assert data is not None and data["messages"].tally("1") == expected
    data.compact()
    replayed.close()
    from_snapshot = open_store(settings(tmp_path, outbox_retention=2)).get("t1")
    assert from_snapshot is not None and from_snapshot["messages"].tally("1") == expected


def test_the_fixture_is_kept_on_disk_for_resets(tmp_path: Path) -> None:
    store = open_store(settings(tmp_path))
    fixture = {"capillary": {"customers": [{"mobile": "919353491050"}]}}
    store.put_tenant({"name": "t1"}, {}, fixture)
    store.close()
    data = open_store(settings(tmp_path)).get("t1")
    assert data is not None and data.fixture() == fixture
    assert (tmp_path / "tenants" / "t1" / "fixture.json").exists()


def test_a_collection_knows_its_earliest_value_through_puts_deletes_and_clears() -> None:
    """What the schedule's O(1) look for due items rests on (sandbox/schedule.py)."""
    due = Collection(CollectionSpec("scheduled", order=lambda doc: doc["due"]))
    assert due.earliest() is None
    for key, when in (("a", "2020-01-03"), ("b", "2020-01-01"), ("c", "2020-01-02")):
        due.put({"id": key, "due": when})
    assert due.earliest() == "2020-01-01"
    due.put({"id": "d", "due": "2019-12-31"})  # a smaller one put later
    assert due.earliest() == "2019-12-31"
    due.delete("d")  # the smallest goes: the next is found
    assert due.earliest() == "2020-01-01"
    due.put({"id": "b", "due": "2020-01-05"})  # the smallest replaced by a later one
    assert due.earliest() == "2020-01-02"
    due.clear()
    assert due.earliest() is None


def test_a_collection_walks_its_documents_in_order_leaving_out_those_without_a_place() -> None:
    """The schedule takes due items earliest first, a batch at a time, without sorting the
    collection at each look; an item set aside has no place (sandbox/store/base_collections.py)."""
    ordered = Collection(base_collections.SCHEDULED)
    dues = [f"2020-01-{day:02d}T00:00:00.000Z" for day in (5, 3, 9, 1, 3, 7, 2, 8, 4, 6)]
    for n, due in enumerate(dues, 1):
        ordered.put({"id": str(n), "due": due, "vendor": "v", "work": {}})
    walked = [(doc["due"][8:10], doc["id"]) for doc in ordered.in_order()]
    assert walked == sorted(walked, key=lambda pair: (pair[0], int(pair[1])))
    assert walked[:3] == [("01", "4"), ("02", "7"), ("03", "2")]  # a tie: as asked for
    ordered.put({"id": "4", "due": dues[3], "vendor": "v", "work": {}, "failed": {}})
    ordered.delete("7")
    for n in range(100):  # replaced many times: its stale places are dropped, not walked
        ordered.put({"id": "2", "due": f"2020-02-{n % 28 + 1:02d}T00:00:00.000Z", "work": {}})
    assert ordered.earliest() == ("2020-01-03T00:00:00.000Z", 5)
    assert [doc["id"] for doc in ordered.in_order()][:3] == ["5", "9", "1"]
    assert [doc["id"] for doc in ordered.in_order()][-1] == "2"
    assert len(list(ordered.in_order())) == 8  # neither the set-aside one nor the deleted
    assert len(ordered._heap) <= 2 * len(ordered) + 64 + 1


# each write to a collection, on one held with documents 1 and 2 (capped at 2): the key(s)
# whose document it changes
Write = Callable[[Collection], object]
MADE: dict[Key, str] = {1: "of 1", 2: "of 2", 3: "of a 3 stored before"}


def undone(write: Callable[[Collection], Any]) -> Write:
    """`write`, the memo filled again, then the write undone: what the undo changes."""

    def run(members: Collection) -> None:
        undo = write(members)
        members.memo("made").update(MADE)
        members.undo(undo)

    return run


MEMO_WRITES: dict[str, tuple[Write, tuple[int, ...]]] = {
    "put replacing": (lambda c: c.put({"id": 1, "team": "blue"}), (1,)),
    "put new": (lambda c: c.put({"id": 3, "team": "red"}), (1, 3)),  # (1 evicted)
    "load": (lambda c: c.load({"id": 1, "team": "blue"}), (1,)),
    "delete": (lambda c: c.delete(1), (1,)),
    "capacity": (lambda c: c.set_capacity(1), (1,)),
    "clear": (lambda c: c.clear(), (1, 2)),
    "undo put": (undone(lambda c: c.put_undoable({"id": 1, "team": "blue"})), (1,)),
    "undo delete": (undone(lambda c: c.delete_undoable(1)), (1,)),
    "undo eviction": (undone(lambda c: c.put_undoable({"id": 3, "team": "red"})), (1, 3)),
    "undo clear": (undone(lambda c: c.clear()), (1, 2)),
}


@pytest.mark.parametrize("write", list(MEMO_WRITES))
def test_a_memo_loses_the_entry_of_each_document_a_write_changes_and_only_it(write: str) -> None:
    """What a reader keeps of a document (`Collection.memo`) is never read for another
    document under its key: every write drops the entries of the keys it touches."""
    change, touched = MEMO_WRITES[write]
    members = Collection(CollectionSpec("m", multi=("team",), capped=True), capacity=2)
    for key in (1, 2):
        members.put({"id": key, "team": "red"})
    memo = members.memo("made")
    memo.update(MADE)
    change(members)
    assert members.memo("made") is memo
    assert {key: memo.get(key) for key in touched} == dict.fromkeys(touched)
    assert all(memo[key] == MADE[key] for key in (1, 2) if key not in touched)
