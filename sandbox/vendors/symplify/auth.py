"""Symplify credentials: the `X-Carma-Authentication-Token` header carries the tenant's token;
the path's `{customerid}` must be one of the tenant's accounts (see accounts.py)."""

from __future__ import annotations

from collections.abc import Mapping

from sandbox.errors import Unauthorized
from sandbox.store import Store, TenantData

HEADER = "X-Carma-Authentication-Token"
_CACHE = "symplify\n"  # prefix of this vendor's entries in the shared verified-credentials cache


def authenticate(headers: Mapping[str, str], store: Store) -> TenantData:
    token = headers.get(HEADER.lower(), "").strip()
    if not token:
        raise Unauthorized(f"{HEADER}: the header is missing", field=HEADER)
    known = store.verified.get(_CACHE + token)
    if known is not None and (tenant := store.get(known)) is not None:
        return tenant
    tenant = store.find_by_credential("symplify_token", token)
    if tenant is None:
        raise Unauthorized(f"{HEADER}: unknown token", field=HEADER)
    store.verified[_CACHE + token] = tenant.name
    return tenant
