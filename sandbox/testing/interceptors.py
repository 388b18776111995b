"""The HTTP libraries whose requests to the vendors' real hosts the `comms_sandbox` fixture
sends to the sandbox: one interceptor per library, each entered only when its library is
installed (a library the app lacks is never imported, and costs nothing).

Each interceptor is a context manager `routes(sandbox, *, block_network: bool)` in a module of
its own; while it runs, the library's requests to a vendor host reach `sandbox` (in-process or
live) and its requests to other hosts go out, or fail with `network.NetworkBlocked` when
`block_network` is true.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import cache
from typing import Any, NamedTuple

import pytest

from sandbox.testing.client import Sandbox


class Interceptor(NamedTuple):
    library: str  # the import name whose presence turns the interceptor on
    module: str  # where its context manager lives
    routes: str  # the context manager's name
    remedy: str  # what to install when its module cannot be imported


TESTING = "pip install 'comms-sandbox[testing]'"
URLLIB3 = "pip install 'urllib3>=2'"
AIOHTTP = "pip install 'aiohttp>=3.12.1'"
INTERCEPTORS = (
    # httpx, sync and async clients, with respx (the `testing` extra): yields the respx router
    Interceptor("httpx", "sandbox.testing.respx_routes", "vendor_routes", TESTING),
    # urllib3's connection pools, and so requests (sessions, mounted adapters, Retry)
    Interceptor("urllib3", "sandbox.testing.urllib3_routes", "urllib3_routes", URLLIB3),
    # aiohttp's ClientSession, through a client middleware (aiohttp 3.12.1 or later)
    Interceptor("aiohttp", "sandbox.testing.aiohttp_routes", "aiohttp_routes", AIOHTTP),
)


@cache
def installed(library: str) -> bool:
    return importlib.util.find_spec(library) is not None


@contextmanager
def intercepting(sandbox: Sandbox, *, block_network: bool) -> Iterator[dict[str, Any]]:
    """Every installed library's interceptor, entered for `sandbox`; yields what each one
    yields, by library (the respx router under "httpx")."""
    with ExitStack() as stack:
        entered: dict[str, Any] = {}
        for interceptor in INTERCEPTORS:
            if not installed(interceptor.library):
                continue
            try:
                module = importlib.import_module(interceptor.module)
            except ImportError as exc:
                # an installed library that cannot be routed (respx missing, urllib3 1.x)
                raise pytest.UsageError(
                    f"comms_sandbox cannot route {interceptor.library} ({exc}): "
                    f"{interceptor.remedy}"
                ) from None
            routes = getattr(module, interceptor.routes)
            entered[interceptor.library] = stack.enter_context(
                routes(sandbox, block_network=block_network)
            )
        yield entered
