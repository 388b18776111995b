"""Tenants: create, replace, read, delete, reset; their settings."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson

from sandbox import collector, json_slices
from sandbox.catalog import Catalog, of_request
from sandbox.clock import wall_now
from sandbox.control import credentials, fixtures
from sandbox.control.handler_table import handlers
from sandbox.control.tenant_state import settings_doc, stored_settings
from sandbox.doc import Doc
from sandbox.errors import Conflict, InvalidInput, NotFound
from sandbox.http import Context, Offload, Reply, tenant_of
from sandbox.openapi import Operation, compile_schema, field_name
from sandbox.store import Store
from sandbox.store.store import Current, Staged
from sandbox.webhooks import checked_url


def put_tenant(
    store: Store, catalog: Catalog, name: str, fixture: dict[str, Any] | None
) -> tuple[Doc, bool]:
    """Create or replace `name` from `fixture`; a replaced tenant keeps its credentials."""
    return installed(store, catalog, staged(store, catalog, name, fixture, store.current(name)))


def staged(
    store: Store,
    catalog: Catalog,
    name: str,
    document: dict[str, Any] | None,
    replaces: Current,
) -> Staged:
    """The tenant's new state, written under a staging name: the slow part of a create,
    replace or reset (documents of many megabytes), safe to run in a worker thread.
    `replaces`: what stood for the tenant when the operation began (`Store.current`), which
    `installed` checks is still there."""
    tables = fixtures.tables(document, wall_now(), catalog)
    try:
        new = store.stage(name, tables, document or {}, replaces)
    except orjson.JSONEncodeError:  # a value JSON's grammar allows and the store cannot write
        raise _unwritable(document) from None
    made = sum(len(docs) for docs in tables.values())
    if made >= collector.FREEZE_PAST and new.directory is not None:  # on disk now, not in memory
        json_slices.free_in_pieces(document)
    collector.settle(made)  # in the worker, while the collector is paused
    return new


def installed(store: Store, catalog: Catalog, new: Staged) -> tuple[Doc, bool]:
    """Put a staged tenant in place (on the event loop thread); its keyring and whether it
    is new. A replaced tenant keeps its credentials. 409 if another create, replace, reset or
    delete of the tenant was installed since this one began (nothing changes)."""
    existing = store.keyring(new.name)
    created = not store.exists(new.name)
    demo = store.settings.demo_tenant
    try:
        keyring = credentials.keyring_for(new.name, existing, catalog.vendors, demo)
    except BaseException:
        store.discard(new)
        raise
    store.install(keyring, new)
    return keyring, created


def _unwritable(document: Any) -> InvalidInput:
    path = json_slices.first_path(document, json_slices.unwritable)
    where = field_name(path) if path else "body"
    return InvalidInput(
        f"{where}: a value the store cannot write (an integer past 64 bits, or a string with "
        "a lone surrogate)",
        field=where,
    )


@handlers("listTenants")
def list_tenants(ctx: Context) -> Reply:
    return Reply({"tenants": ctx.store.names()})


@handlers("putTenant")
def put_tenant_handler(ctx: Context) -> Offload:
    """Parsing, validating and writing a large document take seconds: in a worker thread."""
    name = ctx.path_params["tenant"]
    replaces = ctx.store.current(name)  # taken as it begins, on the loop
    catalog = of_request(ctx)

    def finish(new: Staged) -> Reply:
        keyring, created = installed(ctx.store, catalog, new)
        return Reply(credentials.document(keyring, catalog.vendors), 201 if created else 200)

    return Offload(lambda: staged(ctx.store, catalog, name, ctx.parse_body(), replaces), finish)


@handlers("getTenant")
def get_tenant(ctx: Context) -> Reply:
    tenant_of(ctx)
    return Reply(credentials.document(_keyring(ctx), of_request(ctx).vendors))


@handlers("deleteTenant")
def delete_tenant(ctx: Context) -> Reply:
    """A damaged tenant can be deleted too: its files are then set aside, not removed."""
    if not ctx.store.delete_tenant(ctx.path_params["tenant"]):
        raise NotFound(f"no tenant named '{ctx.path_params['tenant']}'", field="tenant")
    return Reply(None, 204)


@handlers("resetTenant")
def reset_tenant(ctx: Context) -> Offload:
    data = tenant_of(ctx)
    catalog = of_request(ctx)

    def work() -> Staged:
        """The stored fixture, checked and loaded as a PUT's body is: one an earlier release
        accepted and this one refuses is a 409 naming what (the tenant stays as it is)."""
        try:
            document = data.fixture()
            _stored_document_check(ctx.op).validate_in_pieces(document)
            return staged(ctx.store, catalog, data.name, document, data)
        except InvalidInput as refused:
            raise Conflict(
                f"tenant: {data.name} cannot be reset: the fixture it was created from is one "
                f"this release refuses ({refused.message}); nothing was changed. Replace the "
                "tenant (PUT) with a corrected document",
                field="tenant",
            ) from None

    def finish(new: Staged) -> Reply:
        keyring, _ = installed(ctx.store, catalog, new)
        return Reply(credentials.document(keyring, catalog.vendors))

    return Offload(work, finish)


# id(operation) -> (the operation, an operation whose body is its stored document, schema
# `x-sandbox-stored-document`): refusals name the field as a body's do. (Holding the
# operation keeps its id from being reused by another app's.)
_STORED_CHECKS: dict[int, tuple[Operation, Operation]] = {}


def _stored_document_check(op: Operation) -> Operation:
    known = _STORED_CHECKS.get(id(op))
    if known is not None and known[0] is op:
        return known[1]
    schema = op.definition["x-sandbox-stored-document"]
    checker = replace(op, body_schema=schema, body_validator=compile_schema(schema))
    _STORED_CHECKS[id(op)] = (op, checker)
    return checker


@handlers("getSettings")
def get_settings(ctx: Context) -> Reply:
    return Reply(stored_settings(tenant_of(ctx)))


@handlers("putSettings")
def put_settings(ctx: Context) -> Reply:
    """Changes the settings the body names; `rate_limits` replaces them all (a vendor left
    out or null: no limit); `webhook_url` null removes the webhook."""
    data, body = tenant_of(ctx), ctx.body
    stored = data["meta"].get("settings") or {}
    rate_limits = (
        (body["rate_limits"] or {}) if "rate_limits" in body else stored.get("rate_limits", {})
    )
    webhook = stored.get("webhook_url")
    if "webhook_url" in body:
        webhook = checked_url(body["webhook_url"]) if body["webhook_url"] is not None else None
    tx = data.begin()
    if "outbox_retention" in body:
        tx.capacity("messages", body["outbox_retention"])
    if "rate_limits" in body or "webhook_url" in body:
        tx.put("meta", settings_doc(rate_limits, webhook))
    tx.commit()
    # a webhook removed is let go at its next delivery, which reads the URL from the store:
    # a removal the journal then refuses (503) goes on delivering to the webhook still set
    if webhook is not None:
        ctx.store.announce(data.name)
    return Reply(stored_settings(data))


def _keyring(ctx: Context) -> Doc:
    keyring = ctx.store.keyring(ctx.path_params["tenant"])
    if keyring is None:
        raise NotFound(f"no tenant named '{ctx.path_params['tenant']}'", field="tenant")
    return keyring
