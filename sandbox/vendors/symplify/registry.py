"""The Symplify handler registry (operationId -> handler)."""

from __future__ import annotations

from sandbox.http import Handlers

handlers = Handlers()
