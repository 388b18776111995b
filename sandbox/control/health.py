"""Liveness, and the tenants that could not be loaded."""

from __future__ import annotations

from sandbox.control.registry import handlers
from sandbox.http import Context, Reply


@handlers("health")
def health(ctx: Context) -> Reply:
    """The server takes traffic; quarantined tenants (damaged files) are listed, if any."""
    degraded = [d.document() for _, d in sorted(ctx.store.degraded.items())]
    return Reply({"status": "ok", "degraded": degraded} if degraded else {"status": "ok"})
