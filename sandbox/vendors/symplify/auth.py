"""Symplify credentials: the `X-Carma-Authentication-Token` header carries the tenant's token;
the path's `{customerid}` must be one of the tenant's accounts (see accounts.py)."""

from __future__ import annotations

from collections.abc import Mapping

from sandbox.errors import Unauthorized
from sandbox.store import Store, TenantData

HEADER = "X-Carma-Authentication-Token"


def authenticate(headers: Mapping[str, str], store: Store) -> TenantData:
    token = headers.get(HEADER.lower(), "").strip()
    if not token:
        raise Unauthorized(f"{HEADER}: the header is missing", field=HEADER)
    known = store.verified_tenant("symplify", token)
    if known is not None:
        return known
    tenant = store.find_by_credential("symplify_token", token)
    if tenant is None:
        raise Unauthorized(f"{HEADER}: unknown token", field=HEADER)
    store.remember_verified("symplify", token, tenant)
    return tenant
