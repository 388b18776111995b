"""What the processes serving one PostgreSQL database share besides the tenants' journals
(docs/architecture.md "Several processes: what is shared"): each tenant's rate-limit windows
(and, next, its request log). Both are keyed by `storage`, one incarnation of a tenant's state
(sandbox/store/postgres.py): a create, replace, reset, snapshot load or delete starts them
afresh, as the embedded store's memory does, and drops the old rows with the rest of it.

    sandbox_rates     (storage, scope, window_start, count)       a tenant's window per vendor
    sandbox_requests  (storage, process, n, logged, entry, body)  the newest entries of a
                                                                  tenant's request log

The tables are created with the others (sandbox/store/postgres.py's SCHEMA, IF NOT EXISTS: a
database of the first increment gains them at the next start; a release that does not know
them leaves them alone, so the schema's format stays 1).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sandbox.store.postgres import TenantRows
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
