"""Symplify's credential: the token of the `X-Carma-Authentication-Token` header."""

from __future__ import annotations

import secrets
from typing import Any

from sandbox.doc import Doc
from sandbox.vendor import Credentials


def issue(tenant: str) -> dict[str, str]:
    return {"symplify_token": secrets.token_urlsafe(24)}


def show(keyring: Doc) -> dict[str, Any]:
    return {
        "type": "header",
        "name": "X-Carma-Authentication-Token",
        "value": keyring["symplify_token"],
    }


CREDENTIALS = Credentials(
    issue=issue,
    demo={"symplify_token": "demo-symplify-token"},
    show=show,
    indexed=("symplify_token",),
)
