"""Symplify's error body. Symplify publishes none and no client reads one (carmaclient's first
commit decoded `{"error": "..."}`; at HEAD it reads none): the sandbox answers that shape, with
the HTTP status and the field it names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sandbox.errors import ApiError, register_envelope


@register_envelope("symplify")
def render(error: ApiError, now: datetime | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": error.message, "status": error.http_status}
    if error.field:
        body["field"] = error.field
    return body
