"""The app's vendors, as the layers under the app use them: built once by `create_app` from
its vendors and handed down (handlers read it as `ctx.catalog`), so nothing below the app
imports the vendor list. The store is given only what it stores: the collections' specs and
the credential fields a request is authenticated by."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sandbox.http import Context
from sandbox.recipient_names import Directory
from sandbox.request_log import RequestLogs
from sandbox.schedule import DueHandler
from sandbox.settings import Settings
from sandbox.store import CollectionSpec, Store
from sandbox.store.store import TenantListener
from sandbox.vendor import Vendor


@dataclass(frozen=True)
class Catalog:
    vendors: tuple[Vendor, ...]
    # operationId -> the name of its vendor (a fault names an operation by its id alone)
    operations: Mapping[str, str]
    # vendor name -> how a message it scheduled is recorded once due (sandbox/schedule.py)
    due: Mapping[str, DueHandler]
    # the vendors' collections (the store adds its own, sandbox/store/base_collections.py)
    specs: tuple[CollectionSpec, ...]
    # the tenant record's fields a request is authenticated by, indexed by the store
    credential_fields: tuple[str, ...]
    # each tenant's request log (the app's, sized by its settings; kept here so every layer
    # that writes or reads one reaches the same logs: the request path, due deliveries,
    # webhook deliveries, the control plane and the web pages)
    request_logs: RequestLogs
    # the names the tenants know their recipients by (the outbox's q= finds them)
    names: Directory

    @classmethod
    def of(cls, vendors: Iterable[Vendor], request_logs: RequestLogs | None = None) -> Catalog:
        vendors = tuple(vendors)
        operations = {op: vendor.name for vendor in vendors for op in vendor.handlers}
        if len(operations) != sum(len(vendor.handlers) for vendor in vendors):
            raise ValueError("two vendors declare the same operationId")
        return cls(
            vendors,
            operations,
            {v.name: v.deliver_due for v in vendors if v.deliver_due is not None},
            tuple(spec for vendor in vendors for spec in vendor.collections),
            tuple(
                field
                for vendor in vendors
                if vendor.credentials is not None
                for field in vendor.credentials.indexed
            ),
            RequestLogs() if request_logs is None else request_logs,
            Directory(vendors),
        )

    def vendor(self, name: str) -> Vendor | None:
        return next((vendor for vendor in self.vendors if vendor.name == name), None)

    def open_store(self, settings: Settings, listener: TenantListener | None = None) -> Store:
        """The store of these vendors' collections (its data directory opened, if any)."""
        return Store(settings, self.specs, self.credential_fields, listener)


def of_request(ctx: Context) -> Catalog:
    """The catalog a control-plane handler is given (`ctx.catalog`), with its vendors."""
    catalog = ctx.catalog
    if not isinstance(catalog, Catalog):
        raise TypeError(f"ctx.catalog is a {type(catalog).__name__}: create_app builds a Catalog")
    return catalog
