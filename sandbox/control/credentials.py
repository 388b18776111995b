"""Per-tenant credentials, in each vendor's own scheme (docs/contract.md section 2): each vendor
issues and shows its own (`Vendor.credentials`); this module puts them in one record."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from sandbox.store.collection import Doc
from sandbox.vendor import Vendor

# the tenant whose credentials are fixed, so the README can print them
DEMO_TENANT = "demo"


def generate(tenant: str, vendors: Iterable[Vendor]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for vendor in vendors:
        if vendor.credentials is not None:
            fields.update(vendor.credentials.fields_for(tenant, DEMO_TENANT))
    return fields


def record(tenant: str, secrets_: dict[str, str]) -> Doc:
    """The tenant's record: the name, each credential as an indexed field, and an incarnation
    that tells this tenant from an earlier one of the same name (tokens name both)."""
    return {"name": tenant, **secrets_, "incarnation": secrets.token_hex(8)}


def completed(existing: Doc, vendors: Iterable[Vendor]) -> Doc:
    """An existing record with credentials issued for any vendor it has none of (a vendor
    added since the tenant was created); the same record when nothing is missing."""
    missing = {
        name: value
        for name, value in generate(existing["name"], vendors).items()
        if name not in existing
    }
    return {**existing, **missing} if missing else existing


def document(record: Doc, vendors: Iterable[Vendor]) -> dict[str, Any]:
    """The tenant as the control plane shows it. A vendor added after the tenant was made
    has no credentials in its record until the tenant is next replaced or reset (`completed`):
    it is left out until then."""
    return {
        "tenant": record["name"],
        "credentials": {
            vendor.name: vendor.credentials.show(record)
            for vendor in vendors
            if vendor.credentials is not None and vendor.credentials.demo.keys() <= record.keys()
        },
    }
