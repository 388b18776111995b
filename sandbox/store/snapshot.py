"""Snapshots of a tenant's state in TinyDB's JSON layout, one table per collection.

TinyDB rewrites a whole table on every insert, so it is used where that is cheap: a snapshot
is written once per compaction and read once at start-up; between snapshots, writes go to the
append-only journal. A snapshot is an ordinary TinyDB database (`TinyDB(path)` opens it).

Writing goes through `StreamingJSONStorage`, a TinyDB storage that serialises one document at
a time: TinyDB's own `insert_multiple` copies every document and `JSONStorage` serialises the
whole database as one string, which would triple a large tenant's memory at each compaction.

Format 2 snapshots carry a `_format` table and a checksum file beside them
(`snapshot.N.crc`: the CRC-32 and size of `snapshot.N.json`), written before the snapshot is
renamed into place: a snapshot that does not match it is damaged, not silently partial.
Format 1 snapshots (the first release) have neither and are read as they are.
"""

from __future__ import annotations

import os
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import orjson
from tinydb import TinyDB
from tinydb.storages import JSONStorage, Storage

from sandbox.doc import Doc
from sandbox.store.format import (
    FORMAT,
    Damaged,
    NewerFormat,
    dumps,
    fsync_directory,
    storage_error,
    write_atomically,
)

PAUSE_SECONDS = 0.0005
FORMAT_TABLE = "_format"


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
    """A TinyDB storage that writes JSONStorage's format document by document, then fsyncs,
    keeping the CRC-32 and size of what it wrote (`crc`, `size`).

    With `pause_every`, it sleeps briefly after that many documents: run from a background
    thread, it then holds the GIL in short slices and the server's event loop keeps serving
    (without pauses the thread would take the GIL for 5 ms each time the loop made a syscall).
    """

    def __init__(self, path: Path, pause_every: int | None = None) -> None:
        self.path = path
        self.pause_every = pause_every
        self.crc = 0
        self.size = 0

    def read(self) -> dict[str, dict[str, Any]] | None:
        if not self.path.exists():
            return None
        data: dict[str, dict[str, Any]] = orjson.loads(self.path.read_bytes())
        return data

    def write(self, data: Mapping[str, Mapping[str, Any]]) -> None:
        with self.path.open("wb") as handle:
            self._put(handle, b"{")
            written = 0
            for number, (name, table) in enumerate(data.items()):
                self._put(handle, (b"," if number else b"") + dumps(name) + b":{")
                for position, (doc_id, doc) in enumerate(table.items()):
                    self._put(
                        handle, (b"," if position else b"") + dumps(doc_id) + b":" + dumps(doc)
                    )
                    written += 1
                    if self.pause_every and written % self.pause_every == 0:
                        time.sleep(PAUSE_SECONDS)
                self._put(handle, b"}")
            self._put(handle, b"}")
            handle.flush()
            os.fsync(handle.fileno())

    def _put(self, handle: BinaryIO, chunk: bytes) -> None:
        handle.write(chunk)
        self.crc = zlib.crc32(chunk, self.crc)
        self.size += len(chunk)


def checksum_path(path: Path) -> Path:
    return path.with_suffix(".crc")


def write_snapshot(
    path: Path, tables: Mapping[str, Iterable[Doc]], pause_every: int | None = None
) -> None:
    """Atomically replace `path` with a TinyDB database holding `tables` (and its checksum
    file); StorageUnavailable, with nothing replaced, when the disk refuses."""
    tmp = path.with_name(path.name + ".tmp")
    storage = StreamingJSONStorage(tmp, pause_every)
    content = {FORMAT_TABLE: _Numbered([{"format": FORMAT}])}
    content.update({name: _Numbered(list(docs)) for name, docs in tables.items()})
    try:
        storage.write(content)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise storage_error(exc, path) from None
    write_atomically(checksum_path(path), b"%08x %d\n" % (storage.crc, storage.size))
    try:
        os.replace(tmp, path)
        fsync_directory(path.parent)
    except OSError as exc:
        raise storage_error(exc, path) from None


def read_snapshot(path: Path) -> dict[str, list[Doc]]:
    """Every table of the snapshot as plain dicts, in insertion order, read by TinyDB after
    its checksum is verified; Damaged (or NewerFormat) when it cannot be trusted."""
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise Damaged(path, f"cannot be read ({exc.strerror})") from None
    db = TinyDB(path, storage=JSONStorage, access_mode="r")
    try:
        raw = db.storage.read()
    except ValueError:
        raise Damaged(
            path, "is not a complete JSON document (damaged, emptied or cut short)"
        ) from None
    finally:
        db.close()
    if not isinstance(raw, dict):
        raise Damaged(path, "is not a TinyDB database (emptied or replaced?)")
    tables = {name: list(table.values()) for name, table in raw.items()}
    stamp = tables.pop(FORMAT_TABLE, None)
    if stamp is not None:  # format 2 or later: the checksum file must vouch for it
        found = stamp[0].get("format") if stamp else None
        if not isinstance(found, int) or found > FORMAT:
            raise NewerFormat(path, found)
        _verify(path, raw_bytes)
    return tables


def _verify(path: Path, content: bytes) -> None:
    sums = checksum_path(path)
    try:
        stated = sums.read_text().split()
    except OSError:
        raise Damaged(path, f"its checksum file {sums.name} is missing") from None
    actual = [f"{zlib.crc32(content):08x}", str(len(content))]
    if stated != actual:
        raise Damaged(path, f"does not match {sums.name} (damaged or changed since written)")
