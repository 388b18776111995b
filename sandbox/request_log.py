"""The request log: the last N requests of each tenant (GET /_sandbox/tenants/{t}/requests),
in memory, a diagnostic. Entries are bounded: however long a request's path or query, or
however many messages it triggered, an entry keeps at most a few kilobytes.

The app keeps one `RequestLogs` (create_app); a tenant's log belongs to its state as loaded
(the store's `TenantData`): a tenant created, replaced, reset, loaded from a snapshot or
deleted starts a new log, and a restart forgets them all."""

from __future__ import annotations

from collections import deque
from datetime import datetime
from typing import Any, NamedTuple
from weakref import ref

from sandbox.clock import iso

MAX_TEXT = 1024  # characters of a path or query string kept
MAX_IDS = 1000  # message ids kept (the count is kept whole)


class Entry(NamedTuple):
    method: str
    path: str
    query: bytes
    status: int  # 0: the connection was dropped (an injected fault)
    operation_id: str
    vendor: str
    time: datetime
    seconds: float
    message_ids: list[str]
    error: str | None = None  # why no answer came (a webhook delivery)

    def bounded(self) -> Entry:
        """This entry within the bounds: itself, or for the rare long request a shorter one."""
        path, query, ids = self.path, self.query, self.message_ids
        if len(path) <= MAX_TEXT and len(query) <= MAX_TEXT and len(ids) <= MAX_IDS:
            return self
        if len(path) > MAX_TEXT:
            path = _bounded(path)
        if len(query) > MAX_TEXT:
            query = _bounded(query.decode("latin-1")).encode("latin-1")
        if len(ids) > MAX_IDS:  # the count is kept whole: the last id is dropped last
            ids = [*ids[: MAX_IDS - 1], f"... {len(ids)} in all"]
        return self._replace(path=path, query=query, message_ids=ids)

    def document(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query.decode("latin-1"),
            "status": self.status,
            "operationId": self.operation_id,
            "vendor": self.vendor,
            "time": iso(self.time),
            "duration_ms": round(self.seconds * 1000, 3),
            "message_ids": self.message_ids,
            **({"error": self.error} if self.error is not None else {}),
        }


def _bounded(text: str) -> str:
    return f"{text[:MAX_TEXT]}... ({len(text) - MAX_TEXT} more characters)"


class RequestLogs:
    """Each tenant's request log, the last `size` entries, held for as long as the tenant's
    state is (weakly keyed by it: a state replaced or deleted takes its log with it)."""

    __slots__ = ("_logs", "size")

    def __init__(self, size: int = 1000) -> None:  # (Settings.request_log_size)
        self.size = size
        # (a weak reference is equal to another of the same live object, and hashes as it:
        # a lookup makes one; the kept one forgets its log when the state is collected)
        self._logs: dict[ref[object], deque[Entry]] = {}

    def of(self, tenant: object) -> deque[Entry]:
        """The tenant's log, oldest entry first (empty until its first entry)."""
        log = self._logs.get(ref(tenant))
        if log is None:
            log = self._logs[ref(tenant, self._forget)] = deque(maxlen=self.size)
        return log

    def append(self, tenant: object, entry: Entry) -> None:
        """`entry`, bounded, as the tenant's newest (on every request: one lookup)."""
        log = self._logs.get(ref(tenant))
        if log is None:
            log = self.of(tenant)
        path, query, ids = entry.path, entry.query, entry.message_ids
        # (most entries are within the bounds: no call to bound them)
        small = len(path) <= MAX_TEXT and len(query) <= MAX_TEXT and len(ids) <= MAX_IDS
        log.append(entry if small else entry.bounded())

    def _forget(self, gone: ref[object]) -> None:
        self._logs.pop(gone, None)
