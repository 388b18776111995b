"""Snapshots of a tenant's state in TinyDB's JSON layout, one table per collection.

TinyDB rewrites a whole table on every insert, so it is used where that is cheap: a snapshot
is written once per compaction and read once at start-up; between snapshots, writes go to the
append-only journal. A snapshot is an ordinary TinyDB database (`TinyDB(path)` opens it).

Writing goes through `StreamingJSONStorage`, a TinyDB storage that serialises one document at
a time: TinyDB's own `insert_multiple` copies every document and `JSONStorage` serialises the
whole database as one string, which would triple a large tenant's memory at each compaction.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.storages import JSONStorage, Storage

Doc = dict[str, Any]
PAUSE_SECONDS = 0.0005
_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer beyond 64 bits
        return _json(value)


class _Numbered(Mapping[str, Doc]):
    """A list of documents seen as a TinyDB table: document ids "1", "2", ... in order."""

    def __init__(self, docs: list[Doc]) -> None:
        self._docs = docs

    def __getitem__(self, key: str) -> Doc:
        return self._docs[int(key) - 1]

    def __iter__(self) -> Iterator[str]:
        return (str(number) for number in range(1, len(self._docs) + 1))

    def __len__(self) -> int:
        return len(self._docs)


class StreamingJSONStorage(Storage):
    """A TinyDB storage that writes JSONStorage's format document by document, then fsyncs.

    With `pause_every`, it sleeps briefly after that many documents: run from a background
    thread, it then holds the GIL in short slices and the server's event loop keeps serving
    (without pauses the thread would take the GIL for 5 ms each time the loop made a syscall).
    """

    def __init__(self, path: Path, pause_every: int | None = None) -> None:
        self.path = path
        self.pause_every = pause_every

    def read(self) -> dict[str, dict[str, Any]] | None:
        if not self.path.exists():
            return None
        with self.path.open(encoding="utf-8") as handle:
            data: dict[str, dict[str, Any]] = json.load(handle)
        return data

    def write(self, data: Mapping[str, Mapping[str, Any]]) -> None:
        with self.path.open("w", encoding="utf-8") as handle:
            handle.write("{")
            written = 0
            for number, (name, table) in enumerate(data.items()):
                handle.write(("," if number else "") + _dumps(name) + ":{")
                for position, (doc_id, doc) in enumerate(table.items()):
                    handle.write(("," if position else "") + _dumps(doc_id) + ":" + _dumps(doc))
                    written += 1
                    if self.pause_every and written % self.pause_every == 0:
                        time.sleep(PAUSE_SECONDS)
                handle.write("}")
            handle.write("}")
            handle.flush()
            os.fsync(handle.fileno())


def write_snapshot(
    path: Path, tables: Mapping[str, Iterable[Doc]], pause_every: int | None = None
) -> None:
    """Atomically replace `path` with a TinyDB database holding `tables`."""
    tmp = path.with_name(path.name + ".tmp")
    storage = StreamingJSONStorage(tmp, pause_every)
    storage.write({name: _Numbered(list(docs)) for name, docs in tables.items()})
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def read_snapshot(path: Path) -> dict[str, list[Doc]]:
    """Every table of the snapshot as plain dicts, in insertion order, read by TinyDB."""
    db = TinyDB(path, storage=JSONStorage, access_mode="r")
    try:
        raw = db.storage.read() or {}
    finally:
        db.close()
    return {name: list(table.values()) for name, table in raw.items()}


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
