"""Capillary credentials: HTTP Basic (password or its MD5 hex, as Capillary's clients send it)
and `X-CAP-API-OAUTH-TOKEN` tokens from /v3/oauth/token/generate (see sandbox/tokens.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping

from sandbox import tokens
from sandbox.store import Store, TenantData
from sandbox.vendors.capillary.errors import CredentialsRejected, TokenExpired

TOKEN_TTL_SECONDS = 300
TOKEN_HEADER = "x-cap-api-oauth-token"


def authenticate(headers: Mapping[str, str], store: Store) -> TenantData:
    token = headers.get(TOKEN_HEADER)
    if token:
        return _from_token(token, store)
    header = headers.get("authorization", "")
    known = store.verified_tenant("capillary", header)
    if known is not None:
        return known  # the same Basic credentials were checked before
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise CredentialsRejected(
            "Authentication failed: send Authorization: Basic base64(username:password) "
            "or an X-CAP-API-OAUTH-TOKEN header",
            field="Authorization",
        )
    try:
        username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise CredentialsRejected(
            "Authentication failed: the Basic credentials are not valid base64",
            field="Authorization",
        ) from None
    tenant = store.find_by_credential("capillary_username", username)
    keyring = store.keyring(tenant.name) if tenant else None
    if tenant is None or keyring is None or not password_matches(password, keyring):
        raise CredentialsRejected(field="Authorization")
    store.remember_verified("capillary", header, tenant)
    return tenant


def password_matches(given: str, keyring: Mapping[str, str]) -> bool:
    expected = keyring["capillary_password"].encode()
    digest = hashlib.md5(expected, usedforsecurity=False).hexdigest().encode()
    offered = given.encode()
    return hmac.compare_digest(offered, expected) or hmac.compare_digest(offered.lower(), digest)


def issue_token(store: Store, tenant: TenantData) -> str:
    """A token naming the tenant, valid for TOKEN_TTL_SECONDS of its clock."""
    return tokens.issue(store, tenant, "capillary", TOKEN_TTL_SECONDS)


def _from_token(token: str, store: Store) -> TenantData:
    found = tokens.verify(store, token, "capillary")
    if found is tokens.Verdict.EXPIRED:
        raise TokenExpired(
            "Token expired: generate a new one with POST /v3/oauth/token/generate",
            field="X-CAP-API-OAUTH-TOKEN",
        )
    if found is tokens.Verdict.INVALID:
        raise CredentialsRejected(
            "Authentication failed: X-CAP-API-OAUTH-TOKEN is not a valid token",
            field="X-CAP-API-OAUTH-TOKEN",
        )
    return found
