"""Liveness."""

from __future__ import annotations

from sandbox.control.handlers import handlers
from sandbox.http import Context, Reply


@handlers("health")
def health(ctx: Context) -> Reply:
    return Reply({"status": "ok"})
