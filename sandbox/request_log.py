"""The request log: the last N requests of each tenant (GET /_sandbox/tenants/{t}/requests),
in memory, a diagnostic. Entries are bounded: however long a request's path or query, or
however many messages it triggered, an entry keeps at most a few kilobytes, and of its body
the first BODY_KEPT bytes. Its headers are kept as received (a reference, no copy) and its
body as read (a slice only when longer): the web outbox's message page shows them, with
every credential masked (`sent`).

The app keeps one `RequestLogs` (create_app); a tenant's log belongs to its state as loaded
(the store's `TenantData`): a tenant created, replaced, reset, loaded from a snapshot or
deleted starts a new log, and a restart forgets them all.

With the tenants in PostgreSQL, `SharedRequestLogs`: the process that served a request has
its entry at once, as above; a writer thread stores the entries in the database in batches
(every FLUSH_SECONDS, off the event loop: no request waits for it), so a tenant's log read
through any process holds every process's entries, each visible elsewhere about FLUSH_SECONDS
after it was logged. Reading it costs one statement. The database keeps the newest `size` of
each tenant, as memory does, and outlives a restart; an entry of a process killed before its
batch was written (within FLUSH_SECONDS) is lost, as a diagnostic may be."""

from __future__ import annotations

import heapq
import itertools
import logging
import re
import secrets
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any, NamedTuple
from weakref import ref

import orjson

from sandbox.asgi import RawHeaders
from sandbox.clock import iso, wall_seconds
from sandbox.errors import StorageUnavailable
from sandbox.store import TenantData
from sandbox.store.shared import RequestRows, Row, read_requests, rows_of

log = logging.getLogger(__name__)

MAX_TEXT = 1024  # characters of a path or query string kept
MAX_IDS = 1000  # message ids kept (the count is kept whole)
BODY_KEPT = 16 * 1024  # bytes of a request's body kept (its size is kept whole)
FLUSH_SECONDS = 0.1  # how often a process writes its new entries to a shared database
PENDING = 10_000  # entries kept for the database while it cannot take them, at most
BATCH = 1000  # entries written in one transaction, at most
# (an integer: the contract suite's Hypothesis draws the literals of the sandbox's code, and a
# float such as 1e6 would be drawn, and sent, as "1000000.0" for every integer parameter)
MICROSECONDS = 1_000_000  # a row's `logged`: wall microseconds


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
    headers: Mapping[str, str] | None = None  # as received: `sent` masks the credentials
    body: bytes = b""  # its first BODY_KEPT bytes (`kept_body`)
    body_size: int = -1  # how long it was (-1: len(body))
    logged: float = 0.0  # wall seconds when it was logged (SharedRequestLogs' order)

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


def kept_body(raw: bytes) -> tuple[bytes, int]:
    """(the start of a request's body an entry keeps, its whole size; -1: all of it kept)."""
    return (raw, -1) if len(raw) <= BODY_KEPT else (raw[:BODY_KEPT], len(raw))


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

    def of(self, tenant: object) -> Sequence[Entry]:
        """The tenant's log, oldest entry first (empty until its first entry)."""
        return self._own(tenant)

    def _own(self, tenant: object) -> deque[Entry]:
        log = self._logs.get(ref(tenant))
        if log is None:
            log = self._logs[ref(tenant, self._forget)] = deque(maxlen=self.size)
        return log

    def append(self, tenant: object, entry: Entry) -> None:
        """`entry`, bounded, as the tenant's newest (on every request: one lookup)."""
        log = self._logs.get(ref(tenant))
        if log is None:
            log = self._own(tenant)
        path, query, ids = entry.path, entry.query, entry.message_ids
        # (most entries are within the bounds: no call to bound them)
        small = len(path) <= MAX_TEXT and len(query) <= MAX_TEXT and len(ids) <= MAX_IDS
        log.append(entry if small else entry.bounded())

    def _forget(self, gone: ref[object]) -> None:
        self._logs.pop(gone, None)

    def close(self) -> None:
        """Nothing to finish: the logs live in memory."""


class SharedRequestLogs(RequestLogs):
    """The request logs of a server whose tenants are in PostgreSQL (module docstring): this
    process's entries in memory, and every process's in the database, written in batches by
    a writer thread started with the first entry. A tenant kept in memory only has its log in
    memory only."""

    __slots__ = ("_pending", "_rows", "_stop", "_thread", "process")

    def __init__(self, url: str, size: int = 1000) -> None:
        super().__init__(size)
        self.process = secrets.token_hex(8)  # this process's rows, told from the others'
        self._rows = RequestRows(url)  # (connects when the first batch is written)
        # (storage, entry) not yet written, oldest first: the request path appends, the writer
        # takes (a deque's append and popleft are atomic); bounded while the database is away
        self._pending: deque[tuple[str, Entry]] = deque(maxlen=PENDING)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def append(self, tenant: object, entry: Entry) -> None:
        rows = rows_of(tenant) if isinstance(tenant, TenantData) else None
        if rows is None:
            super().append(tenant, entry)
            return
        kept = entry.bounded()._replace(logged=wall_seconds())
        super().append(tenant, kept)
        self._pending.append((rows.storage, kept))
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._write, name="request-log-writer", daemon=True
            )
            self._thread.start()

    def of(self, tenant: object) -> Sequence[Entry]:
        """This process's entries and the other processes' the database holds, in the order
        they were logged, the newest `size` (one statement; StorageUnavailable, a 503 naming
        the database, when it cannot be read)."""
        own = self._own(tenant)
        rows = rows_of(tenant) if isinstance(tenant, TenantData) else None
        if rows is None:
            return own
        others = [
            decode(entry, body, logged)
            for logged, entry, body in read_requests(rows, self.process, self.size)
        ]
        if not others:
            return own
        merged = list(heapq.merge(own, others, key=attrgetter("logged")))
        return merged[-self.size :]

    def close(self) -> None:
        """Write what is pending and stop the writer."""
        thread = self._thread
        if thread is not None:
            self._stop.set()
            thread.join(timeout=10)
        self._rows.close()

    def _write(self) -> None:
        """The writer thread: every FLUSH_SECONDS, what was logged since, in batches of at
        most BATCH entries; the last when stopped. What the database cannot take waits for
        the next turn (at most PENDING entries, the oldest dropped first)."""
        numbers = itertools.count()
        waiting: deque[Row] = deque(maxlen=PENDING)
        failing = False
        while True:
            stopping = self._stop.wait(FLUSH_SECONDS)
            pending = self._pending
            while pending:
                storage, entry = pending.popleft()
                try:
                    fields, body = encode(entry)
                except Exception:  # a value JSON cannot hold: a bug, logged; the rest go on
                    log.exception("request log entry %s %s not stored", entry.method, entry.path)
                    continue
                logged = round(entry.logged * MICROSECONDS)
                waiting.append((storage, self.process, next(numbers), logged, fields, body))
            try:
                while waiting:
                    batch = list(itertools.islice(waiting, BATCH))
                    self._rows.write(batch, self.size)
                    for _ in batch:
                        waiting.popleft()
                failing = False
            except StorageUnavailable as exc:
                if not failing:
                    log.warning("request log entries wait for the database: %s", exc.message)
                failing = True
            if stopping:
                return


def encode(entry: Entry) -> tuple[bytes, bytes]:
    """An entry as a database row keeps it: (its fields as JSON, its kept body)."""
    headers = entry.headers
    fields = [
        *(entry.method, entry.path, entry.query.decode("latin-1"), entry.status),
        *(entry.operation_id, entry.vendor, entry.time, entry.seconds),
        *(entry.message_ids, entry.error),
        headers.decoded() if isinstance(headers, RawHeaders) else headers and dict(headers),
        entry.body_size,
    ]
    return orjson.dumps(fields), entry.body


def decode(fields: bytes, body: bytes, logged: int) -> Entry:
    """The entry `encode` stored."""
    (
        method,
        path,
        query,
        status,
        operation_id,
        vendor,
        time,
        seconds,
        ids,
        error,
        headers,
        size,
    ) = orjson.loads(fields)
    return Entry(
        method,
        path,
        query.encode("latin-1"),
        status,
        operation_id,
        vendor,
        datetime.fromisoformat(time),
        seconds,
        ids,
        error,
        headers,
        body,
        size,
        logged / MICROSECONDS,
    )


# the headers that carry credentials: the vendors' (Capillary Basic and OAuth, Messangi's
# Bearer, Symplify's X-Carma-Authentication-Token) and any whose name says token, secret,
# password, key or auth
_SECRET_NAME = re.compile(r"token|secret|passw|key|auth|cookie|session|signature", re.I)
# a credential's field in a JSON or form body: its name, then its value
_JSON_FIELD = re.compile(r'"([^"\\]{1,100})"(\s*:\s*)(?:"(?:[^"\\]|\\.)*"|[^\s,}\]"]+)')
_FORM_FIELD = re.compile(r"(?<![^&])([^=&]{1,100})=([^&]*)")
MASK = "****"


def _mask_header(name: str, value: str) -> str:
    if not _SECRET_NAME.search(name):
        return value
    scheme, _, rest = value.partition(" ")  # "Basic ...", "Bearer ...": the scheme stays
    return f"{scheme} {MASK}" if rest and scheme.isalpha() and len(scheme) < 16 else MASK


def sent(entry: Entry) -> dict[str, Any]:
    """What a request sent, as the web outbox shows it: its headers and the kept start of its
    body, every credential masked (a header or a body field named like one), and whether the
    body was cut short."""
    headers = entry.headers or {}
    text = entry.body.decode("utf-8", "replace")
    form = "x-www-form-urlencoded" in headers.get("content-type", "")
    if form:
        text = _FORM_FIELD.sub(
            lambda m: f"{m[1]}={MASK}" if _SECRET_NAME.search(m[1]) else m[0], text
        )
    else:
        text = _JSON_FIELD.sub(
            lambda m: f'"{m[1]}"{m[2]}"{MASK}"' if _SECRET_NAME.search(m[1]) else m[0], text
        )
    size = entry.body_size if entry.body_size >= 0 else len(entry.body)
    return {
        "headers": [(name, _mask_header(name, headers[name])) for name in headers],
        "body": text,
        "size": size,
        "kept": len(entry.body),
        "truncated": size > len(entry.body),
    }
