"""Per-tenant credentials, in each vendor's own scheme (CONTRACT.md section 2)."""

from __future__ import annotations

import secrets
from typing import Any

from sandbox.store.collection import Doc

# The demo tenant's credentials are fixed so the README can print them.
DEMO = {
    "capillary_username": "demo_till",
    "capillary_password": "demo-password",
    "capillary_oauth_key": "demo-oauth-key",
    "capillary_oauth_secret": "demo-oauth-secret",
    "messangi_api_key": "demo-messangi-key",
    "messangi_username": "demo@messangi.sandbox",
    "messangi_password": "demo-password",
    "symplify_token": "demo-symplify-token",
}


def generate(tenant: str) -> dict[str, str]:
    if tenant == "demo":
        return dict(DEMO)
    return {
        "capillary_username": f"{tenant}_till",
        "capillary_password": secrets.token_urlsafe(12),
        "capillary_oauth_key": f"{tenant}-key-{secrets.token_hex(4)}",
        "capillary_oauth_secret": secrets.token_urlsafe(18),
        "messangi_api_key": secrets.token_urlsafe(24),
        "messangi_username": f"{tenant}@messangi.sandbox",
        "messangi_password": secrets.token_urlsafe(12),
        "symplify_token": secrets.token_urlsafe(24),
    }


def record(tenant: str, secrets_: dict[str, str]) -> Doc:
    """The tenant's record: the name, each credential as an indexed field, and an incarnation
    that tells this tenant from an earlier one of the same name (tokens name both)."""
    return {"name": tenant, **secrets_, "incarnation": secrets.token_hex(8)}


def document(record: Doc) -> dict[str, Any]:
    """The tenant as the control plane shows it."""
    return {
        "tenant": record["name"],
        "credentials": {
            "capillary": {
                "type": "basic",
                "username": record["capillary_username"],
                "password": record["capillary_password"],
                "oauth_key": record["capillary_oauth_key"],
                "oauth_secret": record["capillary_oauth_secret"],
            },
            "messangi": {
                "type": "header",
                "name": "Authorization",
                "value": f"Bearer {record['messangi_api_key']}",
                "username": record["messangi_username"],
                "password": record["messangi_password"],
            },
            "symplify": {
                "type": "header",
                "name": "X-Carma-Authentication-Token",
                "value": record["symplify_token"],
            },
        },
    }
