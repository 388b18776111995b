"""The control plane's operationId -> handler table, filled by the modules of this package."""

from __future__ import annotations

from sandbox.http import Handlers

handlers = Handlers()
