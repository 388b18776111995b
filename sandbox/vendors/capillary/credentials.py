"""Capillary's credentials: a till's username and password (HTTP Basic), and the OAuth key and
secret that buy a token (`POST /v3/oauth/token/generate`)."""

from __future__ import annotations

import secrets
from typing import Any

from sandbox.doc import Doc
from sandbox.vendor import Credentials


def issue(tenant: str) -> dict[str, str]:
    return {
        "capillary_username": f"{tenant}_till",
        "capillary_password": secrets.token_urlsafe(12),
        "capillary_oauth_key": f"{tenant}-key-{secrets.token_hex(4)}",
        "capillary_oauth_secret": secrets.token_urlsafe(18),
    }


def show(keyring: Doc) -> dict[str, Any]:
    return {
        "type": "basic",
        "username": keyring["capillary_username"],
        "password": keyring["capillary_password"],
        "oauth_key": keyring["capillary_oauth_key"],
        "oauth_secret": keyring["capillary_oauth_secret"],
    }


CREDENTIALS = Credentials(
    issue=issue,
    demo={
        "capillary_username": "demo_till",
        "capillary_password": "demo-password",
        "capillary_oauth_key": "demo-oauth-key",
        "capillary_oauth_secret": "demo-oauth-secret",
    },
    show=show,
    indexed=("capillary_username", "capillary_oauth_key"),
)
