"""POST /v3/oauth/token/generate."""

from __future__ import annotations

import hmac

from sandbox.http import Context, Reply
from sandbox.vendors.capillary.auth import TOKEN_TTL_SECONDS, issue_token
from sandbox.vendors.capillary.errors import OAuthFailed
from sandbox.vendors.capillary.handler_table import handlers


@handlers("generateOAuthToken")
def generate_token(ctx: Context) -> Reply:
    key, secret = ctx.body["key"], ctx.body["secret"]
    tenant = ctx.store.find_by_credential("capillary_oauth_key", key)
    keyring = ctx.store.keyring(tenant.name) if tenant else None
    if tenant is None or keyring is None:
        raise OAuthFailed("Failed to generate OAuth token: unknown client key", field="key")
    if not hmac.compare_digest(secret.encode(), keyring["capillary_oauth_secret"].encode()):
        raise OAuthFailed("Failed to generate OAuth token: wrong client secret", field="secret")
    ctx.tenant = tenant  # the request log belongs to this tenant
    token = issue_token(ctx.store, tenant)
    return Reply({"data": {"accessToken": token, "ttlSeconds": TOKEN_TTL_SECONDS}, "errors": None})
