"""An append-only journal of mutations: one checksummed JSON line per acknowledged write.

A write is acknowledged only after its line is handed to the kernel with write(2), so it
survives kill -9 of this process; with fsync on, it also survives a power cut. An append that
fails (disk full, I/O error) is cut off again, so the file is exactly what it was before and
later appends stay readable; the failure is a StorageUnavailable (503) and the caller changes
nothing in memory.

Replay tells the two kinds of bad line apart: a last line with no newline was cut short by a
crash, was never acknowledged, and is dropped; a complete line that does not match its
checksum, or any bad line followed by more lines, is damage, and the file is left exactly as
it is (`Damaged`): acknowledged records are never truncated away.

Format 2 files start with a header line; format 1 (the first release) had none and no
checksums, and is still read.
"""

from __future__ import annotations

import logging
import os
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from sandbox.errors import StorageUnavailable
from sandbox.store.format import (
    FORMAT,
    Damaged,
    NewerFormat,
    dumps,
    payload_of,
    storage_error,
)

log = logging.getLogger(__name__)

HEADER = b'{"comms-sandbox":"journal","format":2}\n'


class OpenJournals:
    """The journals holding an open file, least recently written first: past `limit`, the
    idlest is closed (its next append reopens it), so ten thousand idle tenants hold no file
    descriptors and the server cannot run out of them because of its tenants."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: OrderedDict[Journal, None] = OrderedDict()
        self.newest: Journal | None = None  # the last one written: no reordering to do

    def used(self, journal: Journal) -> None:
        self.newest = journal
        self._open[journal] = None
        self._open.move_to_end(journal)
        while len(self._open) > self.limit:
            idlest, _ = self._open.popitem(last=False)
            idlest.release()

    def forget(self, journal: Journal) -> None:
        self._open.pop(journal, None)
        if self.newest is journal:
            self.newest = None


class Journal:
    def __init__(self, path: Path, fsync: bool = False, files: OpenJournals | None = None) -> None:
        self.path = path
        self.fsync = fsync
        self.files = files
        self._fd = -1
        self.broken: StorageUnavailable | None = None  # a failed append could not be undone
        self.last_line = 0  # bytes of the last line appended (withdraw_last)
        try:
            self.size = path.stat().st_size
        except FileNotFoundError:
            self.size = 0
        if self.size == 0:  # a new journal: its header first
            try:
                self._open()
                self._write(HEADER)
            except OSError as exc:
                self.release()
                path.unlink(missing_ok=True)
                raise storage_error(exc, path) from None
            self.size = len(HEADER)

    def append(self, entry: Any) -> None:
        """Write one entry durably, or raise StorageUnavailable and leave the file as it was."""
        if self.broken is not None:
            raise self.broken
        try:
            payload = orjson.dumps(entry)
        except TypeError:  # an integer beyond 64 bits
            payload = dumps(entry)
        data = b"%08x %s\n" % (zlib.crc32(payload), payload)  # format.line, inlined
        try:
            if self._fd < 0:
                self._open()
            written = os.write(self._fd, data)
            if written < len(data):
                self._write(memoryview(data)[written:])
            if self.fsync:
                os.fsync(self._fd)
        except OSError as exc:
            self._undo(exc)
            raise storage_error(exc, self.path) from None
        self.size += len(data)
        self.last_line = len(data)
        if self.files is not None and self.files.newest is not self:
            self.files.used(self)

    def _open(self) -> None:
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def _write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def withdraw_last(self) -> None:
        """Cut the last line appended back out (a unit of writes another tenant's journal
        refused, sandbox/store/unit.py)."""
        self.size -= self.last_line
        self.last_line = 0
        self._undo(None)

    def _undo(self, exc: OSError | None) -> None:
        """Cut the file back to its size before the failed append."""
        try:
            if self._fd < 0 and exc is None:
                self._open()
            if self._fd >= 0:
                os.ftruncate(self._fd, self.size)
                if self.fsync:
                    os.fsync(self._fd)
        except OSError as again:
            # the file may now end in a partial line; nothing more may be appended to it
            self.broken = storage_error(again, self.path)
            log.error(
                "journal %s: a failed append (%s) could not be undone (%s)",
                self.path,
                exc or "a withdrawn line",
                again,
            )

    def release(self) -> None:
        """Close the file descriptor while the journal is idle; the next append reopens it."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def close(self) -> None:
        self.release()
        if self.files is not None:
            self.files.forget(self)

    @staticmethod
    def replay(path: Path, last: bool = True, repair: bool = True) -> Iterator[Any]:
        """Yield each record. A torn final line of the `last` journal (the one appends go to)
        is skipped, and with `repair` cut off so later appends stay readable; any other bad
        line raises Damaged."""
        if not path.exists():
            return
        torn = False
        with path.open("rb") as handle:
            checked = _format_of(path, handle.readline())
            if not checked:  # format 1: the first line is already a record
                handle.seek(0)
            good = handle.tell()
            for number, text in enumerate(handle, start=2 if checked else 1):
                record = _parse(text, checked)
                if record is _BAD:
                    if text.endswith(b"\n"):  # complete, so written whole: damaged since
                        problem = "does not match its checksum" if checked else "is not JSON"
                        raise Damaged(path, f"line {number} {problem}; the file is kept as it is")
                    torn = True  # no newline: the final line, cut short by a crash
                    break
                good += len(text)
                yield record
        if torn:
            if not last:
                raise Damaged(path, "its last line is cut short, and a later journal exists")
            log.warning("journal %s: dropping a torn last line after byte %d", path, good)
            if repair:
                with path.open("r+b") as handle:
                    handle.truncate(good)

    @staticmethod
    def format_of(path: Path) -> int:
        """The file's format (2, or 1 for the first release's); Damaged if neither."""
        with path.open("rb") as handle:
            return 2 if _format_of(path, handle.readline()) else 1


_BAD = object()


def _parse(text: bytes, checked: bool) -> Any:
    payload = payload_of(text) if checked else (text if text.endswith(b"\n") else None)
    if payload is None:
        return _BAD
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        return _BAD


def _format_of(path: Path, first: bytes) -> bool:
    """True for a format 2 header; False when the file starts with a format 1 record (or is
    empty); NewerFormat for a newer header."""
    if first == HEADER:
        return True
    if first.startswith(b'{"comms-sandbox":"journal"'):
        try:
            found = orjson.loads(first).get("format")
        except (orjson.JSONDecodeError, AttributeError):
            raise Damaged(path, "its header line is damaged") from None
        if isinstance(found, int) and found > FORMAT:
            raise NewerFormat(path, found)
        raise Damaged(path, f"its header names an unknown format {found!r}")
    return False
