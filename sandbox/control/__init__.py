"""The control plane under /_sandbox: tenants, fixtures, outbox, clock, request log,
faults and rate limits."""

from __future__ import annotations

from collections.abc import Mapping

from sandbox.control import (
    clock_api,
    explain_api,
    faults_api,
    health,
    outbox_api,
    snapshots,
    tenants,
)
from sandbox.control.handler_table import handlers
from sandbox.errors import Unauthorized
from sandbox.store import Store, TenantData
from sandbox.vendor import Vendor

__all__ = [
    "VENDOR",
    "clock_api",
    "explain_api",
    "faults_api",
    "health",
    "outbox_api",
    "snapshots",
    "tenants",
]


def _no_credentials(headers: Mapping[str, str], store: Store) -> TenantData:
    raise Unauthorized("the control plane takes no credentials")  # no operation is secured


VENDOR = Vendor(name="sandbox", handlers=handlers, authenticate=_no_credentials, envelope="sandbox")
