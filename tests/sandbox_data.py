"""Test data shared by the suites: the standard fixture and its customers' ids.

(A module of its own: `from conftest import ...` is ambiguous with several conftest.py files.)
"""

from __future__ import annotations

import base64

from sandbox.testing.example import EXAMPLE_FIXTURE

FIXTURE = EXAMPLE_FIXTURE


def basic(username: str, password: str) -> dict[str, str]:
    return {
        "Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
    }
