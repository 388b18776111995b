"""Capillary credentials: HTTP Basic (password or its MD5 hex, as Capillary's clients send it)
and `X-CAP-API-OAUTH-TOKEN` tokens from /v3/oauth/token/generate.

Tokens are signed with the server's secret and expire on the tenant clock, so they survive a
restart and advancing a tenant's clock past `ttlSeconds` expires them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping

from sandbox.store import Store, TenantData
from sandbox.vendors.capillary.errors import CredentialsRejected, TokenExpired

TOKEN_TTL_SECONDS = 300
TOKEN_HEADER = "x-cap-api-oauth-token"


def authenticate(headers: Mapping[str, str], store: Store) -> TenantData:
    token = headers.get(TOKEN_HEADER)
    if token:
        return _from_token(token, store)
    header = headers.get("authorization", "")
    known = store.verified.get(header)
    if known is not None and (tenant := store.get(known)) is not None:
        return tenant  # the same Basic credentials were checked before (O(1) per request)
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
    record = store.record(tenant.name) if tenant else None
    if tenant is None or record is None or not password_matches(password, record):
        raise CredentialsRejected(field="Authorization")
    store.verified[header] = tenant.name
    return tenant


def password_matches(given: str, record: Mapping[str, str]) -> bool:
    expected = record["capillary_password"].encode()
    digest = hashlib.md5(expected, usedforsecurity=False).hexdigest().encode()
    offered = given.encode()
    return hmac.compare_digest(offered, expected) or hmac.compare_digest(offered.lower(), digest)


def issue_token(store: Store, tenant: TenantData) -> str:
    """A JWT-shaped token naming the tenant, valid for TOKEN_TTL_SECONDS of its clock."""
    now = int(tenant.clock.now().timestamp())
    header = _b64({"alg": "HS256", "typ": "JWT"})
    payload = _b64(
        {
            "iss": "comms-sandbox",
            "sub": tenant.name,
            "iat": now,
            "exp": now + TOKEN_TTL_SECONDS,
            "jti": secrets.token_urlsafe(12),
        }
    )
    signing_input = f"{header}.{payload}"
    return f"{signing_input}.{_sign(store, signing_input)}"


def _from_token(token: str, store: Store) -> TenantData:
    rejected = CredentialsRejected(
        "Authentication failed: X-CAP-API-OAUTH-TOKEN is not a valid token",
        field="X-CAP-API-OAUTH-TOKEN",
    )
    header, payload, signature = [*token.split("."), "", "", ""][:3]
    expected = _sign(store, f"{header}.{payload}").encode()
    if not hmac.compare_digest(signature.encode(), expected):
        raise rejected
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        tenant = store.get(str(claims["sub"]))
        expires = int(claims["exp"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise rejected from None
    if tenant is None:
        raise rejected
    if tenant.clock.now().timestamp() >= expires:
        raise TokenExpired(
            "Token expired: generate a new one with POST /v3/oauth/token/generate",
            field="X-CAP-API-OAUTH-TOKEN",
        )
    return tenant


def _b64(claims: Mapping[str, object]) -> str:
    raw = json.dumps(claims, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _sign(store: Store, signing_input: str) -> str:
    mac = hmac.new(store.secret, signing_input.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
