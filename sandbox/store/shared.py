"""What the processes serving one PostgreSQL database share besides the tenants' journals
(docs/architecture.md "Several processes: what is shared"): each tenant's rate-limit windows
and its request log. Both are keyed by `storage`, one incarnation of a tenant's state
(sandbox/store/postgres.py): a create, replace, reset, snapshot load or delete starts them
afresh, as the embedded store's memory does, and drops the old rows with the rest of it.

    sandbox_rates     (storage, scope, window_start, count)       a tenant's window per vendor
    sandbox_requests  (storage, process, n, logged, entry, body)  the newest entries of a
                                                                  tenant's request log

The tables are created with the others (sandbox/store/postgres.py's SCHEMA, format 2, IF NOT
EXISTS: a database of format 1 gains them as it is migrated forward at the next start).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import groupby
from operator import itemgetter

from sandbox.store.pg_database import Database
from sandbox.store.pg_rows import TenantRows
from sandbox.store.tenant import TenantData

# One statement: the row lock orders every process's requests of a tenant and scope. A window
# is kept while `now` falls in [start - grace, start + length); else this request starts one.
_COUNT = """
INSERT INTO sandbox_rates AS r VALUES (%s, %s, %s, 1)
ON CONFLICT (storage, scope) DO UPDATE SET
    window_start = CASE WHEN excluded.window_start >= r.window_start - %s
        AND excluded.window_start < r.window_start + %s
        THEN r.window_start ELSE excluded.window_start END,
    count = CASE WHEN excluded.window_start >= r.window_start - %s
        AND excluded.window_start < r.window_start + %s
        THEN r.count + 1 ELSE 1 END
RETURNING window_start, count
"""


def rows_of(tenant: TenantData) -> TenantRows | None:
    """The tenant's rows when it is kept in PostgreSQL; None for the embedded store."""
    backend = tenant.backend
    return backend if isinstance(backend, TenantRows) else None


def count_request(
    rows: TenantRows, scope: str, now: datetime, length: timedelta, grace: timedelta
) -> tuple[datetime, int]:
    """One more request of the tenant in `scope`, counted in the database (one statement, one
    round trip, on the tenant's connection): the start of the window `now` falls in and the
    requests the window has counted, this one included, whichever process served them. A
    window runs `length` from the first request after the previous one ended; a `now` up to
    `grace` before its start still falls in it (processes read the clock a moment apart)."""
    found = rows.database.execute(_COUNT, (rows.storage, scope, now, grace, length, grace, length))
    start, count = found[0]
    return start, count


# a request-log row: (storage, process, n, logged, entry, body); `logged` in microseconds
Row = tuple[str, str, int, int, bytes, bytes]
_STORAGE = itemgetter(0)


class RequestRows:
    """The request-log rows one process writes, on a connection of its own (its writer
    thread's: the event loop's statements never wait for a batch)."""

    def __init__(self, url: str) -> None:
        self.database = Database(url)

    def write(self, batch: Sequence[Row], size: int) -> None:
        """`batch` stored in one transaction, and each of its tenants' rows cut to the newest
        `size`. A row of a state no tenant holds any more (reset, replaced or deleted since it
        was logged) is not stored: the tenant's row is locked while its rows are added, so a
        switch to another state waits, then drops them with the rest."""
        with self.database.transaction() as connection:
            for storage, rows in groupby(sorted(batch, key=_STORAGE), key=_STORAGE):
                held = connection.execute(
                    "SELECT 1 FROM sandbox_tenants WHERE storage = %s FOR KEY SHARE", (storage,)
                ).fetchone()
                if held is None:
                    continue
                _, process, numbers, logged, entries, bodies = zip(*rows, strict=True)
                connection.execute(  # (one statement: the rows as four arrays)
                    "INSERT INTO sandbox_requests SELECT %s, %s, * FROM "
                    "unnest(%b::bigint[], %b::bigint[], %b::bytea[], %b::bytea[])",
                    (storage, process[0], list(numbers), list(logged), list(entries), list(bodies)),
                )
                connection.execute(
                    "DELETE FROM sandbox_requests WHERE storage = %s AND logged < ("
                    "SELECT logged FROM sandbox_requests WHERE storage = %s "
                    "ORDER BY logged DESC OFFSET %s LIMIT 1)",
                    (storage, storage, size - 1),
                )

    def close(self) -> None:
        self.database.close()


def read_requests(rows: TenantRows, other_than: str, size: int) -> list[tuple[int, bytes, bytes]]:
    """The newest `size` rows of the tenant's request log that processes other than
    `other_than` wrote, oldest first: (logged, entry, body). One statement."""
    found = rows.database.read(
        "SELECT logged, entry, body FROM sandbox_requests WHERE storage = %s AND process <> %s "
        "ORDER BY logged DESC LIMIT %s",
        (rows.storage, other_than, size),
    )
    found.reverse()
    return [(logged, bytes(entry), bytes(body)) for logged, entry, body in found]
