"""The request log: the last N requests of each tenant (GET /_sandbox/tenants/{t}/requests),
in memory, a diagnostic. Entries are bounded: however long a request's path or query, or
however many messages it triggered, an entry keeps at most a few kilobytes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sandbox.clock import iso

MAX_TEXT = 1024  # characters of a path or query string kept
MAX_IDS = 1000  # message ids kept (the count is kept whole)


class Entry(NamedTuple):
    method: str
    path: str
    query: str
    status: int  # 0: the connection was dropped (an injected fault)
    operation_id: str
    vendor: str
    time: datetime
    seconds: float
    message_ids: list[str]
    message_count: int

    @classmethod
    def of(
        cls,
        *,
        method: str,
        path: str,
        query: bytes,
        status: int,
        operation_id: str,
        vendor: str,
        time: datetime,
        seconds: float,
        message_ids: list[str],
    ) -> Entry:
        return cls(
            method,
            _bounded(path),
            _bounded(query.decode("latin-1")),
            status,
            operation_id,
            vendor,
            time,
            seconds,
            message_ids[:MAX_IDS],
            len(message_ids),
        )

    def document(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "operationId": self.operation_id,
            "vendor": self.vendor,
            "time": iso(self.time),
            "duration_ms": round(self.seconds * 1000, 3),
            "message_ids": self.message_ids,
            "message_count": self.message_count,
        }


def _bounded(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return f"{text[:MAX_TEXT]}... ({len(text) - MAX_TEXT} more characters)"
