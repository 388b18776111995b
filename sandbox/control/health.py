"""Liveness, and the tenants that could not be loaded."""

from __future__ import annotations

from sandbox.control.guard import ControlGuard
from sandbox.control.handler_table import handlers
from sandbox.http import Context, Reply


@handlers("health")
def health(ctx: Context) -> Reply:
    """The server takes traffic; quarantined tenants (damaged files) are listed, if any, to
    whoever may use the control plane (health answers anyone: with a control token, only the
    token's holder learns tenant names here)."""
    admitted = ControlGuard.of(ctx.store.settings).admits(ctx.headers)
    degraded = [d.document() for _, d in sorted(ctx.store.degraded.items()) if admitted]
    return Reply({"status": "ok", "degraded": degraded} if degraded else {"status": "ok"})
