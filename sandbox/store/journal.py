"""An append-only journal of mutations: one JSON line per acknowledged write.

A write is acknowledged only after its line is handed to the kernel with write(2), so it
survives kill -9 of this process; with fsync on, it also survives a power cut. A line torn
by a crash is the last one, and replay ignores it (and cuts it off before appending again).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger(__name__)


def _line(record: Any) -> bytes:
    try:
        return orjson.dumps(record) + b"\n"
    except TypeError:  # an integer beyond 64 bits: the json module writes any integer
        return (json.dumps(record, separators=(",", ":")) + "\n").encode()


class Journal:
    def __init__(self, path: Path, fsync: bool = False) -> None:
        self.path = path
        self.fsync = fsync
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.size = os.fstat(self._fd).st_size

    def append(self, record: Any) -> None:
        data = _line(record)
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        if self.fsync:
            os.fsync(self._fd)
        self.size += len(data)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    @staticmethod
    def replay(path: Path) -> Iterator[Any]:
        """Yield each complete record; truncate a torn tail so later appends stay parseable."""
        if not path.exists():
            return
        good = 0
        with path.open("rb") as handle:
            for line in handle:
                if not line.endswith(b"\n"):
                    break
                try:
                    record = orjson.loads(line)
                except ValueError:  # a torn line (or a line no one could have written)
                    break
                good += len(line)
                yield record
        if good < path.stat().st_size:
            log.warning("journal %s: dropping a torn tail after byte %d", path, good)
            with path.open("r+b") as handle:
                handle.truncate(good)
