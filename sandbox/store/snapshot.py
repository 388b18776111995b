"""Snapshots of a tenant's state as TinyDB JSON documents, one table per collection.

TinyDB rewrites a whole table on every insert, so it is used where that is cheap: a snapshot
is written in one pass at compaction (every document of a table inserted at once, one file
write, fsynced by TinyDB's JSONStorage) and read once at start-up. Between snapshots,
writes go to the append-only journal. A snapshot file can be opened with TinyDB directly.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import JSONStorage

Doc = dict[str, Any]


def write_snapshot(path: Path, tables: Mapping[str, Iterable[Doc]]) -> None:
    """Atomically replace `path` with a TinyDB database holding `tables`."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    db = TinyDB(tmp, storage=CachingMiddleware(JSONStorage))  # type: ignore[no-untyped-call]
    try:
        for name, docs in tables.items():
            rows = list(docs)
            if rows:
                db.table(name, cache_size=0).insert_multiple(rows)
    finally:
        db.close()  # CachingMiddleware flushes once; JSONStorage flushes and fsyncs
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def read_snapshot(path: Path) -> dict[str, list[Doc]]:
    """Every table of the snapshot as plain dicts, in insertion order."""
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
