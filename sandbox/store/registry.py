"""The set of tenants, their credentials, and the data directory that holds them."""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO

from sandbox.settings import Settings
from sandbox.store import schema
from sandbox.store.collection import CollectionSpec, Doc
from sandbox.store.tenant import TenantData

log = logging.getLogger(__name__)

# A tenant's registry document carries its credentials, flattened into fields that are
# indexed so a vendor request finds its tenant in O(1).
CREDENTIAL_FIELDS = (
    "capillary_username",
    "capillary_oauth_key",
    "messangi_api_key",
    "messangi_username",
    "symplify_token",
)
TENANTS = CollectionSpec("tenants", key="name", unique=CREDENTIAL_FIELDS)
SERVER = CollectionSpec("server")  # the server's own documents, e.g. its signing secret


class DataDirectoryBusy(RuntimeError):
    pass


class Store:
    def __init__(self, settings: Settings, specs: Iterable[CollectionSpec] = schema.ALL) -> None:
        self.settings = settings
        self.specs = tuple(specs)
        self.root = settings.data_dir
        self._lock: IO[str] | None = None
        if self.root is not None:
            self.root.mkdir(parents=True, exist_ok=True)
            self._lock = _lock_directory(self.root)
        self.registry = TenantData(
            "_registry",
            [TENANTS, SERVER],
            self.root / "registry" if self.root else None,
            fsync=settings.fsync,
        )
        if self.root is not None:
            (self.root / "registry").mkdir(exist_ok=True)
        self.registry.load()
        self.tenants: dict[str, TenantData] = {}
        # credentials already verified -> tenant name; cleared whenever tenants change
        self.verified: dict[str, str] = {}
        for doc in self.registry["tenants"].values():
            data = self._new_tenant_data(doc["name"])
            data.load()
            self.tenants[doc["name"]] = data
        self._remove_orphans()

    # reads ---------------------------------------------------------------------------------
    def get(self, name: str) -> TenantData | None:
        return self.tenants.get(name)

    def record(self, name: str) -> Doc | None:
        return self.registry["tenants"].get(name)

    @property
    def secret(self) -> bytes:
        """A random key kept in the data directory, so signed tokens survive restarts."""
        doc = self.registry["server"].get("secret")
        if doc is None:
            tx = self.registry.begin()
            doc = tx.put("server", {"id": "secret", "value": secrets.token_hex(32)})
            tx.commit()
        return bytes.fromhex(doc["value"])

    def find_by_credential(self, field: str, value: str) -> TenantData | None:
        doc = self.registry["tenants"].by(field, value)
        return None if doc is None else self.tenants.get(doc["name"])

    # writes --------------------------------------------------------------------------------
    def put_tenant(
        self, record: Doc, tables: Mapping[str, Iterable[Doc]], fixture: Doc | None = None
    ) -> TenantData:
        """Create or replace a tenant: its state becomes `tables`, its record `record`;
        `fixture` is kept (on disk) for resets."""
        name = record["name"]
        self.verified.clear()
        old = self.tenants.pop(name, None)
        if old is not None:
            old.close()
        data = self._new_tenant_data(name)
        if old is not None:
            data.generation = old.generation  # the new snapshot supersedes the old one
        data.initialise(tables, fixture or {})  # durable first: a crash leaves an orphan
        tx = self.registry.begin()
        tx.put("tenants", record)
        tx.commit()
        self.tenants[name] = data
        return data

    def delete_tenant(self, name: str) -> bool:
        data = self.tenants.pop(name, None)
        if data is None:
            return False
        self.verified.clear()
        tx = self.registry.begin()
        tx.delete("tenants", name)
        tx.commit()
        data.destroy()
        return True

    def close(self) -> None:
        for data in self.tenants.values():
            data.close()
        self.registry.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    # internals -----------------------------------------------------------------------------
    def _new_tenant_data(self, name: str) -> TenantData:
        return TenantData(
            name,
            self.specs,
            self.root / "tenants" / name if self.root else None,
            capacity=self.settings.outbox_retention,
            fsync=self.settings.fsync,
            compact_bytes=self.settings.compact_bytes,
            request_log_size=self.settings.request_journal_size,
        )

    def _remove_orphans(self) -> None:
        """Tenant directories with no registry record were being created when a crash hit."""
        if self.root is None or not (self.root / "tenants").exists():
            return
        for path in (self.root / "tenants").iterdir():
            if path.name not in self.tenants:
                log.warning("removing orphaned tenant directory %s", path)
                shutil.rmtree(path, ignore_errors=True)


def _lock_directory(root: Path) -> IO[str]:
    handle = (root / "LOCK").open("a")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise DataDirectoryBusy(
            f"another comms-sandbox process is using {root}; give each its own --data-dir"
        ) from None
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle
