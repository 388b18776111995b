"""Tenant documents (docs/contract.md sections 3 and 8): fixtures and snapshots are one format with
one loader. A fixture is a snapshot with most sections left out.

The shape is validated by `openapi/sandbox.yaml` before this runs; each vendor section is then
loaded by that vendor's own fixture module, which checks cross-references, and the sections
that belong to no vendor by `tenant_state`. `snapshot` writes the whole document back out.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sandbox import __version__, yaml_documents
from sandbox.catalog import Catalog
from sandbox.clock import iso
from sandbox.control import tenant_state
from sandbox.doc import Doc
from sandbox.errors import InvalidInput
from sandbox.store import TenantData

# the snapshot format this sandbox writes; it reads this one and every older one
SNAPSHOT_FORMAT = 1


def tables(
    document: dict[str, Any] | None, now: datetime, catalog: Catalog
) -> dict[str, list[Doc]]:
    """The store documents a tenant of the app's vendors (`catalog`) starts with: each
    vendor's section loaded by that vendor (`Vendor.fixture`), the core sections by
    tenant_state; id sequences merged by their highest value."""
    document = document or {}
    _check_format(document)
    stamp = tenant_state.now_of(document, now)
    parts = [
        vendor.fixture.load(document[vendor.name], stamp)
        for vendor in catalog.vendors
        if vendor.fixture is not None and document.get(vendor.name)
    ]
    parts.append(tenant_state.tables(document, catalog.operations))
    result: dict[str, list[Doc]] = {}
    sequences: dict[str, int] = {}
    for part in parts:
        for name, docs in part.items():
            if name == "_sequences":
                for row in docs:
                    sequences[row["id"]] = max(sequences.get(row["id"], 0), int(row["value"]))
            else:
                result.setdefault(name, []).extend(docs)
    if sequences:
        result["_sequences"] = [{"id": k, "value": v} for k, v in sequences.items()]
    return result


def snapshot(data: TenantData, now: datetime, catalog: Catalog) -> dict[str, Any]:
    """The tenant's whole state as a document `tables` recreates it from (no credentials)."""
    document: dict[str, Any] = {
        "snapshot": {
            "format": SNAPSHOT_FORMAT,
            "tenant": data.name,
            "taken_at": iso(now),
            "sandbox_version": __version__,
        },
    }
    for vendor in catalog.vendors:
        if vendor.fixture is not None:
            document[vendor.name] = vendor.fixture.write(data)
    document.update(tenant_state.sections(data))
    return document


def _check_format(document: dict[str, Any]) -> None:
    given = (document.get("snapshot") or {}).get("format", SNAPSHOT_FORMAT)
    if given > SNAPSHOT_FORMAT:
        raise InvalidInput(
            f"snapshot.format: {given} is newer than this sandbox ({__version__}) reads "
            f"(up to {SNAPSHOT_FORMAT}); take the snapshot with the same or an older release",
            field="snapshot.format",
        )


def read_file(path: Path) -> dict[str, Any]:
    document = yaml_documents.load(path.read_bytes(), what=path.name)
    return document or {}
