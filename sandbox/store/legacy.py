"""Reading the first release's data directory (storage format 1): its `registry/` journal of
tenant records and the server secret. The store migrates them into tenant.json files and
server.json at start-up, then keeps the old registry, renamed `registry.format-1`."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.doc import Doc
from sandbox.store.collection import CollectionSpec
from sandbox.store.files import TenantFiles
from sandbox.store.format import Damaged
from sandbox.store.tenant import TenantData

log = logging.getLogger(__name__)

REGISTRY = "registry"
RETIRED = "registry.format-1"
_TENANTS = CollectionSpec("tenants", key="name")
_SERVER = CollectionSpec("server")


@dataclass
class Registry:
    """What a first-release registry held: the tenants' keyrings and the signing secret."""

    keyrings: dict[str, Doc] = field(default_factory=dict)
    secret: str | None = None


def read_registry(root: Path) -> Registry | None:
    """The first release's registry, read without changing a byte of it; None when the data
    directory has none. A damaged one yields no keyrings: its tenants are then left unloaded,
    their files untouched."""
    directory = root / REGISTRY
    if not directory.is_dir():
        return None
    files = TenantFiles("_registry", directory)
    data = TenantData("_registry", [_TENANTS, _SERVER], files)
    try:
        files.read(data)
    except Damaged as exc:
        log.error(
            "the first release's registry is damaged (%s): its tenants are not loaded, "
            "their files are left as they are",
            exc,
        )
        return Registry()
    secret = data["server"].get("secret")
    return Registry(
        {doc["name"]: doc for doc in data["tenants"].values()},
        str(secret["value"]) if secret is not None else None,
    )


def upgraded_keyring(keyring: Doc) -> Doc:
    """A first-release keyring in this release's shape: with an incarnation."""
    return {**keyring, "incarnation": keyring.get("incarnation") or secrets.token_hex(8)}


def retire_registry(root: Path) -> None:
    """Keep the migrated registry, out of the way (it is never read again)."""
    old = root / REGISTRY
    if old.is_dir() and not (root / RETIRED).exists():
        os.rename(old, root / RETIRED)
        log.warning("migrated the first release's registry; kept it as %s", root / RETIRED)
