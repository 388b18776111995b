"""Messangi credentials: `Authorization: Bearer <key>`, the key being the tenant's API key or
one issued by POST /kingslanding/login (valid 24 hours on the tenant's clock).

Login keys are signed tokens (sandbox/tokens.py), so they survive a restart. Missing or wrong
credentials are a 401 (the sandbox's contract), a login with an unknown username or a wrong
password included (Messangi publishes no error for it; one real Node helper expects 403 and is
not served: docs/vendors/messangi.md).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from sandbox import tokens
from sandbox.errors import Unauthorized
from sandbox.http import Context, Reply
from sandbox.store import Store, TenantData
from sandbox.vendors.messangi.handler_table import handlers

LOGIN_TTL_SECONDS = 24 * 3600


def authenticate(headers: Mapping[str, str], store: Store) -> TenantData:
    scheme, _, key = headers.get("authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise Unauthorized(
            "Authorization: send 'Authorization: Bearer <API key>' (the tenant's key, or one "
            "from POST /kingslanding/login)",
            field="Authorization",
        )
    known = store.verified_tenant("messangi", key)
    if known is not None:
        return known  # this API key was checked before
    tenant = store.find_by_credential("messangi_api_key", key)
    if tenant is not None:
        store.remember_verified("messangi", key, tenant)
        return tenant
    found = tokens.verify(store, key, "messangi")
    if found is tokens.Verdict.EXPIRED:
        raise Unauthorized(
            "Authorization: the API key has expired (keys from /kingslanding/login last 24 "
            "hours); log in again",
            field="Authorization",
        )
    if found is tokens.Verdict.INVALID:
        raise Unauthorized("Authorization: unknown API key", field="Authorization")
    return found


@handlers("login")
def login(ctx: Context) -> Reply:
    """200 with an empty body and the key in the Authorization header, as Messangi answers;
    401 for credentials that do not log in."""
    username, password = ctx.body["username"], ctx.body["password"]
    tenant = ctx.store.find_by_credential("messangi_username", username)
    keyring = ctx.store.keyring(tenant.name) if tenant is not None else None
    if tenant is None or keyring is None:
        raise Unauthorized(f"username: no account '{username}'", field="username")
    if not hmac.compare_digest(password.encode(), keyring["messangi_password"].encode()):
        raise Unauthorized("password: wrong password", field="password")
    ctx.tenant = tenant  # the request log belongs to this tenant
    key = tokens.issue(ctx.store, tenant, "messangi", LOGIN_TTL_SECONDS)
    return Reply(
        b"",
        headers={
            "Authorization": f"Bearer {key}",
            "Access-Control-Expose-Headers": "Authorization",
        },
    )
