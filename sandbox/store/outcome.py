"""What became of a group commit whose outcome is unknown (docs/architecture.md "Failures").

The committer's cycle (sandbox/store/postgres.py `Registry._cycle`) sends every waiting unit
of every tenant in ONE statement. When the connection breaks after that statement was sent,
the database may have committed it or not, and the error does not say which. Answering 503
"nothing changed" could then be a lie (the rows landed), and so could a 200. So, before
anything is answered, `resolve` asks the database: it connects again (waiting FIRST_WAIT
seconds, doubled each time, BOUND seconds at most) and reads, for each storage of the batch,
its head and the rows its units would have taken:

- the rows are the batch's units, byte for byte: STORED (the whole transaction committed);
- the head is where the batch began, or another unit holds the first number: NOT STORED
  (nothing of this storage landed; its requests catch up and run again, as after `Behind`);
- the storage is gone, or its rows were compacted away by another process: UNKNOWN.

A storage the database could not be asked about within BOUND seconds is UNKNOWN too. Its
units are undone in memory (the state is the one at its last known unit, `seq`, exactly), and
its requests are answered 503 saying the write may or may not be stored. Every request
catches its tenant up from `seq` before it serves, so whatever did land is replayed then: no
answer comes from a state that disagrees with the database.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

from sandbox.errors import StorageUnavailable
from sandbox.store.backend import Behind

log = logging.getLogger(__name__)

BOUND = 5.0  # seconds spent asking the database again before the outcome is called unknown
# the same for an append made at once, on the event loop's thread (every request waits)
BOUND_AT_ONCE = 1.0
FIRST_WAIT = 0.05  # the first wait before asking again, doubled each time

# a storage's head and the rows after `base` up to what the batch would have moved it to
LANDED = """
SELECT w.storage, st.head, j.seq, j.unit
FROM unnest(%(storages)s::text[], %(bases)s::bigint[], %(heads)s::bigint[])
    AS w(storage, base, head)
LEFT JOIN sandbox_storages st ON st.storage = w.storage
LEFT JOIN sandbox_journal j ON j.storage = w.storage AND j.seq > w.base AND j.seq <= w.head
ORDER BY w.storage, j.seq
"""

Write = tuple[str, int, list[bytes]]  # as sandbox/store/committer.py's


class Reader(Protocol):
    """What `resolve` asks of the connection (sandbox/store/pg_database.py's Database)."""

    where: str

    def read(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]: ...


class Unknown(StorageUnavailable):
    """A batch whose outcome is known only in part: `stored`, the storages whose units are in
    the database; `unknown`, those nobody can tell (the rest were not stored)."""

    def __init__(self, message: str, stored: set[str], unknown: set[str]) -> None:
        super().__init__(message)
        self.stored = stored
        self.unknown = unknown


def resolve(
    database: Reader, writes: list[Write], failure: StorageUnavailable, bound: float = BOUND
) -> set[str]:
    """The storages of `writes` whose units the database holds, after `failure` broke the
    statement that sent them; raises Unknown when some cannot be told (the database did not
    answer within `bound` seconds, or their rows are gone)."""
    params = {
        "storages": [storage for storage, _, _ in writes],
        "bases": [base for _, base, _ in writes],
        "heads": [base + len(units) for _, base, units in writes],
    }
    rows = _ask(database, params, bound)
    if rows is None:
        message = _unknown_message(database.where, failure)
        raise Unknown(message, set(), {storage for storage, _, _ in writes})
    heads: dict[str, int | None] = {}
    landed: dict[tuple[str, int], bytes] = {}
    for storage, head, seq, unit in rows:
        heads[storage] = head
        if seq is not None:
            landed[storage, seq] = bytes(unit)
    stored: set[str] = set()
    unknown: set[str] = set()
    for storage, base, units in writes:
        head = heads.get(storage)
        first = landed.get((storage, base + 1))
        if all(landed.get((storage, seq)) == unit for seq, unit in enumerate(units, base + 1)):
            stored.add(storage)
        elif head is None or (head > base and first in (None, units[0])):
            unknown.add(storage)  # dropped, or compacted past: nothing left to compare
        # else: its head never moved, or another process's unit took the first number
    log.warning(
        "PostgreSQL at %s: a commit's outcome was unknown (%s): %d storages stored, %d not, "
        "%d unknown",
        database.where,
        failure.message,
        len(stored),
        len(writes) - len(stored) - len(unknown),
        len(unknown),
    )
    if unknown:
        raise Unknown(_unknown_message(database.where, failure), stored, unknown)
    return stored


def refusal(failure: StorageUnavailable | None, storage: str) -> StorageUnavailable:
    """Why `storage`'s units in a cycle were not settled as stored: `failure` (what stopped
    the cycle) unless it is known they were not stored (then `Behind`: the requests catch up
    and run again, nothing of theirs being in the database)."""
    if failure is not None and (not isinstance(failure, Unknown) or storage in failure.unknown):
        return failure
    name = storage.rsplit("/", 1)[0]
    return Behind(
        f"tenant {name}: another process wrote to it at the same time (or replaced, reset or "
        "deleted it); this request changed nothing"
    )


def stored(failure: StorageUnavailable) -> set[str]:
    """The storages known to be stored though the cycle failed (`Unknown`'s)."""
    return failure.stored if isinstance(failure, Unknown) else set()


def _ask(database: Reader, params: dict[str, Any], bound: float) -> list[tuple[Any, ...]] | None:
    """LANDED's rows, asked again with waits that double, for `bound` seconds at most."""
    deadline = time.monotonic() + bound
    wait = FIRST_WAIT
    while True:
        try:
            return database.read(LANDED, params)
        except StorageUnavailable:
            if time.monotonic() + wait > deadline:
                return None
            time.sleep(wait)
            wait *= 2


def _unknown_message(where: str, failure: StorageUnavailable) -> str:
    cause = failure.message.split(" is unavailable (", 1)[-1].split(");", 1)[0]
    return (
        f"PostgreSQL at {where} stopped answering while this request's write was being "
        f"committed ({cause}), so whether it was stored is unknown: it may have been. Read "
        "the tenant (its outbox) before sending the request again"
    )
