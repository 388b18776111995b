"""The store: the only code that knows TinyDB exists. Tenant-scoped, crash-safe, indexed."""

from sandbox.doc import Doc
from sandbox.store.collection import Collection, CollectionSpec
from sandbox.store.store import Store
from sandbox.store.tenant import TenantData, Tx

__all__ = ["Collection", "CollectionSpec", "Doc", "Store", "TenantData", "Tx"]
