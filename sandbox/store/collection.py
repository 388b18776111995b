"""An in-memory collection of JSON documents with unique and multi-valued indexes.

Documents are never mutated after they are stored: a change is a new document put under the
same key. That makes a put O(1), lets compaction snapshot without copying documents, and keeps
indexes exact (the old document is still there to un-index).
"""

from __future__ import annotations

import heapq
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from operator import methodcaller
from typing import Any

from sortedcontainers import SortedDict

from sandbox.doc import Doc

Key = str | int
# what undoes one write (`Collection.undo`): the write's kind and what it changed, as it was
Undo = tuple[Any, ...]


@dataclass(frozen=True)
class CollectionSpec:
    """What a collection is keyed and indexed by, and whether it keeps only the newest N."""

    name: str
    key: str = "id"
    unique: tuple[str, ...] = ()
    multi: tuple[str, ...] = ()
    capped: bool = False
    normalise: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    # index name -> the value a document is indexed under, computed from the whole document
    # (e.g. a tuple of several fields); None leaves the document out of that index. Names
    # here are also listed in `unique` or `multi`; lookups pass the computed value.
    derived: dict[str, Callable[[Doc], Any]] = field(default_factory=dict)
    # string fields with few distinct values: one object each when read from disk
    shared: tuple[str, ...] = ()
    # (group field, kind field, time field): a running count and latest time per group and
    # kind of every document ever inserted; eviction and clearing do not undo it
    tally: tuple[str, str, str] | None = None
    # names it was stored under by earlier releases: their snapshots and journals still load
    formerly: tuple[str, ...] = ()
    # a sort key computed from a document (None leaves it out): `Collection.earliest` answers
    # the smallest, `Collection.in_order` the documents smallest first (e.g. the scheduled
    # items by due time), each O(log n) from a heap kept as documents are put
    order: Callable[[Doc], Any] | None = None
    # multi indexes whose buckets keep their keys sorted (sortedcontainers' SortedDict), not
    # in insertion order: `Collection.page_by` pages one after a key in O(log n + page)
    # (keyset paging that a document changed or put back cannot reorder)
    in_key_order: tuple[str, ...] = ()
    # multi indexes whose derived value is a tuple of values: the document is indexed under
    # each of them (none: an empty tuple), e.g. a contact under each listing it belongs to;
    # each is kept in key order too (listed in `in_key_order`)
    several: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        loose = [name for name in self.several if name not in self.in_key_order]
        if loose:
            raise ValueError(f"{self.name}: several-valued indexes not in key order: {loose}")


class Collection:
    # get(key): the document stored under `key`, or None. The documents' own dict.get, set
    # with them (`_hold`): a C call, no Python frame (a send reads five documents this way)
    get: Callable[[Key], Doc | None]

    def __init__(self, spec: CollectionSpec, capacity: int | None = None) -> None:
        self.spec = spec
        self.capacity = capacity if spec.capped else None
        self._docs: dict[Key, Doc] = {}
        self._hold(OrderedDict() if spec.capped else {})
        self._unique: dict[str, dict[Any, Key]] = {name: {} for name in spec.unique}
        # multi-valued index: value -> keys in insertion order (a dict used as an ordered set)
        self._multi: dict[str, dict[Any, dict[Key, None]]] = {name: {} for name in spec.multi}
        self._plain = not (spec.unique or spec.multi or spec.capped or spec.tally or spec.order)
        # the multi indexes whose buckets are SortedDicts, and those of them whose value is
        # several values
        self._sorted = frozenset(spec.in_key_order)
        self._several = frozenset(spec.several)
        # index name -> what a document is indexed under, one call (a put asks every index)
        self._value_of = {name: _value_of(spec, name) for name in (*spec.unique, *spec.multi)}
        # tally: group -> {kind: (count, latest time)}; each group's dict is replaced, never
        # changed in place, so a snapshot can take the current ones as they are
        self.tallies: dict[Any, dict[Any, tuple[int, Any]]] = {}
        # spec.order's heap: (sort key, tie-breaker, key, document); an entry whose document
        # is no longer the stored one is stale, dropped when it reaches the top
        self._order = spec.order
        self._heap: list[tuple[Any, int, Key, Doc]] = []
        self._pushed = count()
        # caches of what readers make from each document, by key (`memo`); every change of
        # the document under a key drops that key's entries
        self._memos: dict[str, dict[Key, Any]] = {}

    # reads -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._docs)

    def __contains__(self, key: object) -> bool:
        return key in self._docs

    def _hold(self, docs: dict[Key, Doc]) -> None:
        """`docs` as the collection's documents (a new collection, a clear and its undo)."""
        self._docs = docs
        self.get = docs.get

    def count_by(self, index: str, value: Any) -> int:
        """How many documents a multi-valued index holds under `value`, in O(1)."""
        return len(self._multi[index].get(self._norm(index, value), ()))

    def by(self, index: str, value: Any) -> Doc | None:
        """The document whose unique `index` field equals `value` (normalised), if any."""
        key = self._unique[index].get(self._norm(index, value))
        return None if key is None else self._docs[key]

    def tally(self, group: Any) -> dict[Any, tuple[int, Any]]:
        """kind -> (count, latest time) of the documents ever inserted for `group`."""
        return self.tallies.get(group, {})

    def keys_by(self, index: str, value: Any) -> list[Key]:
        """The keys of the documents whose `index` field equals `value`, oldest first."""
        return list(self._multi[index].get(self._norm(index, value), ()))

    def all_by(self, index: str, value: Any) -> list[Doc]:
        """Documents whose `index` field equals `value`, oldest first."""
        keys = self._multi[index].get(self._norm(index, value), {})
        return [self._docs[k] for k in keys]

    def page_by(self, index: str, value: Any, after: Key | None, size: int) -> list[Doc]:
        """Up to `size` documents of an `in_key_order` index under `value` whose keys come
        after `after` (None: from the first), smallest key first, in O(log n + size)."""
        # (each looked up in one pass of C)
        return list(map(self._docs.__getitem__, self.page_keys(index, value, after, size)))

    def page_keys(self, index: str, value: Any, after: Key | None, size: int) -> list[Key]:
        """The keys of `page_by`'s documents, in its order and cost."""
        assert index in self._sorted, f"{self.spec.name}.{index} is not kept in key order"
        bucket: Any = self._multi[index].get(self._norm(index, value))  # (a SortedDict)
        if not bucket:
            return []
        start = 0 if after is None else bucket.bisect_right(after)
        keys: list[Key] = bucket.keys()[start : start + size]  # (a walk of irange costs ~3x)
        return keys

    def memo(self, name: str) -> dict[Key, Any]:
        """A cache, by key, of something a reader makes from each document (e.g. its encoded
        answer), named `name`: the collection drops a key's entry whenever the document
        under that key changes (a put, a delete, an eviction, an undo, a clear, a load), so
        an entry found is of the document stored now. What it may hold is the reader's to
        bound (it may clear it at any time); a new collection starts with none."""
        memo = self._memos.get(name)
        if memo is None:
            memo = self._memos[name] = {}
        return memo

    def newest_by(self, index: str, value: Any) -> Iterator[Doc]:
        keys = self._multi[index].get(self._norm(index, value), {})
        return (self._docs[k] for k in reversed(keys))

    def earliest(self) -> Any:
        """The smallest sort key of the spec's `order` among the documents (None when there is
        none), in O(1) after the stale entries at the top of the heap are dropped."""
        assert self._order is not None, f"{self.spec.name} declares no order"
        heap, docs = self._heap, self._docs
        while heap and docs.get(heap[0][2]) is not heap[0][3]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def in_order(self) -> Iterator[Doc]:
        """The ordered documents, smallest sort key first, each in O(log n): a walk of the
        heap that changes nothing. Take what is needed before changing the collection (a put
        during the walk moves the heap under it)."""
        assert self._order is not None, f"{self.spec.name} declares no order"
        heap, docs = self._heap, self._docs
        frontier = [(heap[0], 0)] if heap else []
        while frontier:
            entry, at = heapq.heappop(frontier)
            if docs.get(entry[2]) is entry[3]:
                yield entry[3]
            for child in (2 * at + 1, 2 * at + 2):
                if child < len(heap):
                    heapq.heappush(frontier, (heap[child], child))

    def values(self) -> Iterator[Doc]:
        return iter(self._docs.values())

    def newest(self) -> Iterator[Doc]:
        return reversed(self._docs.values())

    def snapshot(self) -> list[Doc]:
        """A consistent list of the documents (they are immutable, so no deep copy)."""
        return list(self._docs.values())

    # writes (only TenantData calls these, after journaling) -------------------------------
    def load(self, doc: Doc, tally: bool = True) -> None:
        """Put a document read from disk: its `shared` strings become one object each (the
        code that writes documents at run time already shares them). A snapshot's documents
        are already in the snapshot's tallies (tally=False); a journal's are not."""
        for name in self.spec.shared:
            value = doc.get(name)
            if type(value) is str:
                doc[name] = sys.intern(value)  # the document is not visible to anyone yet
        self.put(doc, tally)

    def put(self, doc: Doc, tally: bool = True, evicted: list[Doc] | None = None) -> Doc | None:
        """Store `doc` under its key; the document it replaced (None: a new key). A capped
        collection's documents evicted to make room are added to `evicted` when given."""
        key = doc[self.spec.key]
        if self._memos:
            self._forget(key)
        if self._plain:  # no index, no cap: nothing else to maintain
            old = self._docs.get(key)
            self._docs[key] = doc
            return old
        old = self._docs.get(key)
        self._docs[key] = doc  # a replaced document keeps its place
        if old is not None:
            self._reindex(key, old, doc)
            return old
        if tally and self.spec.tally is not None:
            self._count(doc)
        self._index(key, doc)
        if self.capacity is not None:
            self._evict(evicted)
        return None

    def _count(self, doc: Doc) -> None:
        group_field, kind_field, time_field = self.spec.tally  # type: ignore[misc]
        group, kind = doc.get(group_field), doc.get(kind_field)
        if group is None or kind is None:
            return
        kinds = self.tallies.get(group, {})
        count = kinds[kind][0] + 1 if kind in kinds else 1
        self.tallies[group] = {**kinds, kind: (count, doc.get(time_field))}

    def delete(self, key: Key) -> None:
        if self._memos:
            self._forget(key)
        old = self._docs.pop(key, None)
        if old is not None:
            self._unindex(key, old)

    def clear(self, tallies: bool = False) -> Undo:
        """Remove every document (and the tallies too when `tallies`: a reset). The old
        containers are let go, not emptied: what undoes the clear holds them (O(1))."""
        if tallies:
            self.tallies = {}
        undo = ("clear", self._docs, self._unique, self._multi, self._heap)
        self._forget_all()
        self._hold(OrderedDict() if self.spec.capped else {})
        self._heap = []
        self._unique = {name: {} for name in self.spec.unique}
        self._multi = {name: {} for name in self.spec.multi}
        return undo

    def set_capacity(self, capacity: int, evicted: list[Doc] | None = None) -> None:
        if self.spec.capped:
            self.capacity = capacity
            self._evict(evicted)

    # undo: a request that fails puts back what it wrote (sandbox/store/unit.py) ------------
    #
    # Each write returns what undoes it; undoing a request's writes newest first leaves the
    # collection as it was: its documents, their order, indexes, tallies and order heap (a
    # document put back gets a fresh heap entry; the undone one's entry is stale).
    # O(1) per write; an undone eviction costs its index buckets' size (failures only).
    def put_undoable(self, doc: Doc) -> Undo:
        tally, capacity = self.spec.tally, self.capacity
        # its group's counts as they were (put back as they are), and a list for what a full
        # capped collection evicts
        group = doc.get(tally[0]) if tally is not None else None
        counts = self.tallies.get(group) if tally is not None else None
        full = capacity is not None and len(self._docs) >= capacity
        evicted: list[Doc] | None = [] if full else None
        return ("put", doc[self.spec.key], self.put(doc, True, evicted), group, counts, evicted)

    def delete_undoable(self, key: Key) -> Undo:
        old = self._docs.get(key)
        self.delete(key)
        return ("delete", key, old)

    def capacity_undoable(self, capacity: int) -> Undo:
        before = self.capacity
        evicted: list[Doc] = []
        self.set_capacity(capacity, evicted)
        return ("capacity", before, evicted)

    @staticmethod
    def replaced(undo: Undo) -> tuple[Key, Doc | None]:
        """From what undoes a put (`put_undoable`): its key and the document it replaced
        (None: a new key)."""
        return undo[1], undo[2]

    def undo(self, undo: Undo) -> None:
        """Put back what one write (newest first) changed."""
        kind = undo[0]
        if kind == "put":
            _, key, old, group, counts, evicted = undo
            if old is None:  # a new key: the newest document and the last of its buckets
                self.delete(key)
            else:  # keeps its place; its indexes move back
                self.put(self._back(old), tally=False)
            self._restore_evicted(evicted)
            if self.spec.tally is not None:
                if counts is None:
                    self.tallies.pop(group, None)
                else:
                    self.tallies[group] = counts
        elif kind == "delete":
            _, key, old = undo
            if old is not None:  # (comes back as the newest: see docs/architecture.md)
                self.put(self._back(old), tally=False)
        elif kind == "clear":
            _, docs, self._unique, self._multi, self._heap = undo
            self._hold(docs)
            self._forget_all()
        else:  # capacity
            _, self.capacity, evicted = undo
            self._restore_evicted(evicted)

    def _back(self, doc: Doc) -> Doc:
        """A document put back: itself, or in an ordered collection a copy, whose fresh heap
        entry is its only live one (the entry the original may still have stays stale)."""
        return doc if self._order is None else dict(doc)

    def _restore_evicted(self, evicted: list[Doc] | None) -> None:
        """Evicted documents back in front, oldest first, and first in their buckets."""
        if not evicted:
            return
        docs = self._docs
        assert isinstance(docs, OrderedDict)
        for gone in reversed(evicted):  # the newest evicted first: each goes in front
            doc = self._back(gone)
            key = doc[self.spec.key]
            if self._memos:
                self._forget(key)
            docs[key] = doc
            docs.move_to_end(key, last=False)
            for name, index in self._unique.items():
                _add_unique(index, self._indexed_as(name, doc), key)
            for name, multi in self._multi.items():
                value = self._indexed_as(name, doc)
                if name in self._sorted:  # (at its key's place)
                    _add_sorted(multi, value, key, name in self._several)
                elif value not in (None, ""):
                    multi[value] = {key: None, **multi.get(value, {})}
            if self._order is not None:
                self._ordered(key, doc)

    # internals ---------------------------------------------------------------------------
    def _forget(self, key: Key) -> None:
        """The memos' entries of the document under `key`, dropped: it is changing."""
        for memo in self._memos.values():
            memo.pop(key, None)

    def _forget_all(self) -> None:
        for memo in self._memos.values():
            memo.clear()

    def _norm(self, index: str, value: Any) -> Any:
        normalise = self.spec.normalise.get(index)
        return normalise(value) if normalise is not None and value is not None else value

    def _evict(self, evicted: list[Doc] | None = None) -> None:
        assert isinstance(self._docs, OrderedDict) and self.capacity is not None
        while len(self._docs) > self.capacity:
            key, old = self._docs.popitem(last=False)
            if self._memos:
                self._forget(key)
            self._unindex(key, old)
            if evicted is not None:
                evicted.append(old)

    def _indexed_as(self, name: str, doc: Doc) -> Any:
        return self._value_of[name](doc)

    def _index(self, key: Key, doc: Doc) -> None:
        if self._order is not None:
            self._ordered(key, doc)
        value_of = self._value_of
        for name, index in self._unique.items():
            _add_unique(index, value_of[name](doc), key)
        sorted_ = self._sorted  # (empty for most collections: one test a put)
        for name, multi in self._multi.items():
            if sorted_ and name in sorted_:
                _add_sorted(multi, value_of[name](doc), key, name in self._several)
                continue
            value = value_of[name](doc)  # (_add_multi inlined: a put asks every index)
            if value is not None and value != "":
                multi.setdefault(value, {})[key] = None

    def _reindex(self, key: Key, old: Doc, doc: Doc) -> None:
        """A replaced document: only the indexes whose value changed move, so it keeps its
        place (oldest first) among the documents sharing a value with it."""
        if self._order is not None:  # (the old entry is stale now)
            self._ordered(key, doc)
        for name, index in self._unique.items():
            was, value = self._indexed_as(name, old), self._indexed_as(name, doc)
            if was != value:
                _drop_unique(index, was, key)
                _add_unique(index, value, key)
        for name, multi in self._multi.items():
            was, value = self._indexed_as(name, old), self._indexed_as(name, doc)
            if was == value:
                continue
            if name in self._sorted:  # (a sorted bucket has no place to keep)
                self._drop_values(name, multi, was, key)
                _add_sorted(multi, value, key, name in self._several)
            else:
                _drop_multi(multi, was, key)
                _add_multi(multi, value, key)

    def _unindex(self, key: Key, doc: Doc) -> None:
        value_of = self._value_of
        for name, index in self._unique.items():
            _drop_unique(index, value_of[name](doc), key)
        several = self._several
        for name, multi in self._multi.items():
            if several and name in several:
                self._drop_values(name, multi, value_of[name](doc), key)
                continue
            value = value_of[name](doc)  # (_drop_multi inlined: a full outbox evicts a
            keys = multi.get(value)  # message on every send)
            if keys is not None:
                keys.pop(key, None)
                if not keys:
                    del multi[value]

    def _drop_values(
        self, name: str, multi: dict[Any, dict[Key, None]], value: Any, key: Key
    ) -> None:
        for one in value if name in self._several else (value,):
            _drop_multi(multi, one, key)

    def _ordered(self, key: Key, doc: Doc) -> None:
        """Push the document's entry on the order's heap; rebuilt without its stale entries
        once they are as many as the live ones (amortised O(1) a put)."""
        assert self._order is not None
        heap = self._heap
        if len(heap) > 2 * len(self._docs) + 64:
            docs = self._docs
            heap[:] = [entry for entry in heap if docs.get(entry[2]) is entry[3]]
            heapq.heapify(heap)
        sort_key = self._order(doc)
        if sort_key is not None:
            heapq.heappush(heap, (sort_key, next(self._pushed), key, doc))


def _value_of(spec: CollectionSpec, name: str) -> Callable[[Doc], Any]:
    """What a document is indexed under by index `name`: its derived value, else its field
    of that name, normalised (a plain field is read by dict.get, in C)."""
    derive = spec.derived.get(name)
    if derive is not None:
        return derive
    normalise = spec.normalise.get(name)
    if normalise is None:
        return methodcaller("get", name)

    def normalised(doc: Doc) -> Any:
        value = doc.get(name)
        return None if value is None else normalise(value)

    return normalised


def _add_unique(index: dict[Any, Key], value: Any, key: Key) -> None:
    if value not in (None, ""):
        index[value] = key


def _add_sorted(
    multi: dict[Any, dict[Key, None]], value: Any, key: Key, several: bool = False
) -> None:
    """Index `key` under `value` (each of its values when `several`: most documents have an
    empty tuple) in a sorted bucket, at its key's place."""
    for one in value if several else (value,):
        if one not in (None, ""):
            bucket = multi.get(one)
            if bucket is None:
                bucket = multi[one] = SortedDict()
            bucket[key] = None


def _drop_unique(index: dict[Any, Key], value: Any, key: Key) -> None:
    if value not in (None, "") and index.get(value) == key:
        del index[value]


def _add_multi(multi: dict[Any, dict[Key, None]], value: Any, key: Key) -> None:
    if value not in (None, ""):
        multi.setdefault(value, {})[key] = None


def _drop_multi(multi: dict[Any, dict[Key, None]], value: Any, key: Key) -> None:
    keys = multi.get(value)
    if keys is not None:
        keys.pop(key, None)
        if not keys:
            del multi[value]
