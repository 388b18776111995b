"""The on-disk format's building blocks: its version, checksummed lines, small record files
written atomically, and the errors that say a file cannot be trusted.

Every line the store appends is `crc32-hex SP json LF`: replay tells a line that a crash cut
short (no LF: it was never acknowledged) from one that was damaged afterwards (a complete line
whose checksum does not match), the way SQLite and PostgreSQL check their logs.
"""

from __future__ import annotations

import errno
import json
import os
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from sandbox.errors import StorageUnavailable

# The data directory's format. 1: the first release (plain JSON lines, a registry journal);
# 2: checksums, format headers, a tenant.json per tenant. This release writes 2, reads 1 and 2.
FORMAT = 2


class Damaged(Exception):
    """A file that cannot be trusted: its tenant is quarantined, nothing is deleted."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class NewerFormat(Damaged):
    """A file written by a newer release, in a format this one does not read."""

    def __init__(self, path: Path, found: object) -> None:
        super().__init__(
            path,
            f"written in storage format {found} by a newer comms-sandbox; this release reads "
            f"formats up to {FORMAT}: upgrade, or give this server another --data-dir",
        )


def dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # an integer beyond 64 bits: the json module writes any integer
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def checksum(payload: bytes) -> bytes:
    return b"%08x" % zlib.crc32(payload)


def line(payload: bytes) -> bytes:
    """A checksummed line holding `payload` (JSON, which never contains a raw newline)."""
    return b"%08x %s\n" % (zlib.crc32(payload), payload)


def payload_of(text: bytes) -> bytes | None:
    """The payload of a complete checksummed line (LF included), or None if it does not
    match its checksum."""
    if len(text) < 11 or text[8:9] != b" " or not text.endswith(b"\n"):
        return None
    payload = text[9:-1]
    return payload if checksum(payload) == text[:8] else None


def write_atomically(path: Path, data: bytes | Iterable[bytes]) -> None:
    """Replace `path` with `data` (bytes, or chunks of them): written to a temporary file,
    fsynced, renamed, directory fsynced. A crash leaves the old file or the new one."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("wb") as handle:
            for chunk in [data] if isinstance(data, bytes) else data:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        fsync_directory(path.parent)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise storage_error(exc, path) from None


def write_checked_file(path: Path, kind: str, body: dict[str, Any]) -> None:
    """A small JSON record file (`tenant.json`, `server.json`) with its format and checksum."""
    content = {"comms-sandbox": kind, "format": FORMAT, **body}
    payload = dumps(content)
    write_atomically(path, dumps({**content, "crc32": checksum(payload).decode()}) + b"\n")


def read_checked_file(path: Path, kind: str) -> dict[str, Any]:
    """The body of a record file written by `write_checked_file`; Damaged if it is not one."""
    try:
        document = orjson.loads(path.read_bytes())
    except OSError as exc:
        raise Damaged(path, f"cannot be read ({exc.strerror})") from None
    except orjson.JSONDecodeError:
        raise Damaged(path, "is not JSON (damaged or emptied)") from None
    if not isinstance(document, dict) or document.get("comms-sandbox") != kind:
        raise Damaged(path, f"is not a comms-sandbox {kind} record")
    if not isinstance(document.get("format"), int) or document["format"] > FORMAT:
        raise NewerFormat(path, document.get("format"))
    stated = document.pop("crc32", None)
    if stated != checksum(dumps(document)).decode():
        raise Damaged(path, "does not match its checksum (damaged)")
    return {k: v for k, v in document.items() if k not in {"comms-sandbox", "format"}}


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# errno -> what a person is told failed
_FAILURES = {
    errno.ENOSPC: "storage full",
    errno.EDQUOT: "storage quota exceeded",
    errno.EROFS: "storage read-only",
    errno.EIO: "storage I/O error",
    errno.EMFILE: "too many open files",
    errno.ENFILE: "too many open files in the system",
    errno.EFBIG: "file size limit reached",
    errno.EACCES: "storage not writable (permission denied)",
    errno.EPERM: "storage not writable (operation not permitted)",
}


def storage_error(exc: OSError, path: Path) -> StorageUnavailable:
    """The 503 a write that could not be made durable answers, naming what failed."""
    failure = _FAILURES.get(exc.errno or 0, "storage error")
    reason = exc.strerror or str(exc)
    return StorageUnavailable(
        f"{failure}: {reason} while writing {'/'.join(path.parts[-3:])}; the request "
        "changed nothing",
        field=None,
    )
