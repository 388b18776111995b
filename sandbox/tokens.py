"""Signed bearer tokens (JWT-shaped, HS256) that name a tenant and a vendor and expire on
that tenant's clock: Capillary's OAuth tokens and Messangi's login keys.

They are signed with the server's secret (kept in the data directory), so they survive a
restart; advancing a tenant's clock past a token's lifetime expires it. A token issued for
one vendor is not accepted by another, nor by a tenant re-created under the same name (tokens
carry the tenant's incarnation).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from enum import Enum

from sandbox.store import Store, TenantData


class Verdict(Enum):
    INVALID = "invalid"
    EXPIRED = "expired"


def issue(store: Store, tenant: TenantData, vendor: str, ttl_seconds: int) -> str:
    """A token naming `tenant`, for `vendor`, valid for `ttl_seconds` of the tenant's clock."""
    now = int(tenant.clock.now().timestamp())
    header = _b64({"alg": "HS256", "typ": "JWT"})
    payload = _b64(
        {
            "iss": "comms-sandbox",
            "aud": vendor,
            "sub": tenant.name,
            "inc": _incarnation(store, tenant.name),
            "iat": now,
            "exp": now + ttl_seconds,
            "jti": secrets.token_urlsafe(12),
        }
    )
    signing_input = f"{header}.{payload}"
    return f"{signing_input}.{_sign(store, signing_input)}"


def verify(store: Store, token: str, vendor: str) -> TenantData | Verdict:
    """The tenant `token` names, or why it is refused."""
    header, payload, signature = [*token.split("."), "", "", ""][:3]
    expected = _sign(store, f"{header}.{payload}").encode()
    if not hmac.compare_digest(signature.encode(), expected):
        return Verdict.INVALID
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        name = str(claims["sub"])
        incarnation = claims["inc"]
        expires = int(claims["exp"])
        audience = claims["aud"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        return Verdict.INVALID
    tenant = store.get(name)  # (first: another process may have created it)
    if tenant is None or audience != vendor or incarnation != _incarnation(store, name):
        return Verdict.INVALID
    if tenant.clock.now().timestamp() >= expires:
        return Verdict.EXPIRED
    return tenant


def _incarnation(store: Store, name: str) -> str | None:
    keyring = store.keyring(name)
    return None if keyring is None else keyring.get("incarnation")


def _b64(claims: Mapping[str, object]) -> str:
    raw = json.dumps(claims, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _sign(store: Store, signing_input: str) -> str:
    mac = hmac.new(store.secret, signing_input.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
