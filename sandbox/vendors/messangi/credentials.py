"""Messangi's credentials: an API key sent as a Bearer token, and a username and password that
log in for a login key."""

from __future__ import annotations

import secrets
from typing import Any

from sandbox.doc import Doc
from sandbox.vendor import Credentials


def issue(tenant: str) -> dict[str, str]:
    return {
        "messangi_api_key": secrets.token_urlsafe(24),
        "messangi_username": f"{tenant}@messangi.sandbox",
        "messangi_password": secrets.token_urlsafe(12),
    }


def show(keyring: Doc) -> dict[str, Any]:
    return {
        "type": "header",
        "name": "Authorization",
        "value": f"Bearer {keyring['messangi_api_key']}",
        "username": keyring["messangi_username"],
        "password": keyring["messangi_password"],
    }


CREDENTIALS = Credentials(
    issue=issue,
    demo={
        "messangi_api_key": "demo-messangi-key",
        "messangi_username": "demo@messangi.sandbox",
        "messangi_password": "demo-password",
    },
    show=show,
    indexed=("messangi_api_key", "messangi_username"),
)
