"""Per-tenant credentials, in each vendor's own scheme (docs/contract.md section 2): each vendor
issues and shows its own (`Vendor.credentials`); this module puts them in one keyring."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from sandbox.doc import Doc
from sandbox.vendor import Vendor


def keyring_for(tenant: str, existing: Doc | None, vendors: Iterable[Vendor], demo: str) -> Doc:
    """The tenant's keyring: its name, an incarnation that tells it from an earlier tenant of
    the same name (tokens name both), and each vendor's credentials as indexed fields. An
    existing keyring keeps all of these and gains credentials for a vendor it has none of (one
    added since the tenant was made); the tenant named `demo` gets the vendors' fixed ones."""
    base = existing or {"name": tenant, "incarnation": secrets.token_hex(8)}
    missing: dict[str, str] = {}
    for vendor in vendors:
        scheme = vendor.credentials
        if scheme is not None and not scheme.issued_in(base):
            missing.update(scheme.demo if tenant == demo else scheme.issue(tenant))
    return {**base, **missing} if missing else base


def document(keyring: Doc, vendors: Iterable[Vendor]) -> dict[str, Any]:
    """The tenant as the control plane shows it. A vendor added after the tenant was made
    has no credentials in its keyring until the tenant is next replaced or reset
    (`keyring_for`): it is left out until then."""
    return {
        "tenant": keyring["name"],
        "credentials": {
            vendor.name: vendor.credentials.show(keyring)
            for vendor in vendors
            if vendor.credentials is not None and vendor.credentials.issued_in(keyring)
        },
    }
