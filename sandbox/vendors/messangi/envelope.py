"""Messangi's envelope: every answer, errors included, is `{"meta": {...}, "data": ...}`.

`meta.timestamp` is epoch milliseconds on the tenant's clock and `meta.transactionId` a UUID;
an error carries its reason in `meta.explain` and `data: null`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sandbox.clock import epoch_ms, wall_now
from sandbox.errors import ApiError, register_envelope
from sandbox.http import Context, Reply


def meta(now: datetime) -> dict[str, Any]:
    return {"timestamp": epoch_ms(now), "transactionId": str(uuid.uuid4())}


def ok(ctx: Context, data: Any) -> Reply:
    return Reply({"meta": meta(ctx.now), "data": data})


def nanos(stamp: str) -> str:
    """Messangi writes dates with nanoseconds (2023-08-09T18:26:03.384279468Z); the sandbox
    keeps milliseconds: 2026-11-23T10:00:00.123Z -> 2026-11-23T10:00:00.123000000Z."""
    return f"{stamp[:-1]}000000Z"


@register_envelope("messangi")
def render(error: ApiError, now: datetime | None = None) -> dict[str, Any]:
    body = meta(now or wall_now())
    body["explain"] = error.message
    return {"meta": body, "data": None}
