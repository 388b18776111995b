"""The request log: the last N requests of each tenant (GET /_sandbox/tenants/{t}/requests),
in memory, a diagnostic. Entries are bounded: however long a request's path or query, or
however many messages it triggered, an entry keeps at most a few kilobytes, and of its body
the first BODY_KEPT bytes. Its headers are kept as received (a reference, no copy) and its
body as read (a slice only when longer): the web outbox's message page shows them, with
every credential masked (`sent`).

The app keeps one `RequestLogs` (create_app); a tenant's log belongs to its state as loaded
(the store's `TenantData`): a tenant created, replaced, reset, loaded from a snapshot or
deleted starts a new log, and a restart forgets them all."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple
from weakref import ref

from sandbox.clock import iso

MAX_TEXT = 1024  # characters of a path or query string kept
MAX_IDS = 1000  # message ids kept (the count is kept whole)
BODY_KEPT = 16 * 1024  # bytes of a request's body kept (its size is kept whole)


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
