"""Helpers for tests against the sandbox, in-process or live (`SANDBOX_URL`).

    with in_process() as sandbox:            # or: live("http://127.0.0.1:8000")
        tenant = sandbox.create_tenant({...})
        sandbox.http.post("/capillary/v2/communications/sendMessage",
                          json={...}, headers=tenant.capillary_auth())
        tenant.assert_suppressed(to="919353491050", reason="CUSTOMER_STATUS_BLOCKED")

With pytest, the `comms_sandbox` fixture (sandbox.testing.plugin) does this for every test and
routes the vendors' real hosts into the sandbox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.testing.client import Sandbox, Tenant, in_process, live

__all__ = ["Sandbox", "Tenant", "in_process", "live"]


def __getattr__(name: str) -> Any:
    """The client's names, imported on first use: pytest loads the plugin below this package
    in every run, and the client (httpx with it) is only needed once a test asks for it."""
    if name in __all__:
        from sandbox.testing import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
