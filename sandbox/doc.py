"""A stored document: what every layer passes around, from the store to a vendor's handler.
The bottom of the package: it imports nothing of sandbox/."""

from __future__ import annotations

from typing import Any

Doc = dict[str, Any]
