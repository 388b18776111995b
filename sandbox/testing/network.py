"""Whether a test may reach hosts other than the vendors' and the sandbox's.

While `comms_sandbox` is active the vendors' real hosts always reach the sandbox; any other
host goes out as usual, unless the ini file says `comms_sandbox_block_network = true` or the
test is marked `@pytest.mark.comms_sandbox_block_network`: then every interceptor (httpx,
urllib3 and requests, aiohttp) refuses it with `NetworkBlocked`, before any connection is made.
`@pytest.mark.comms_sandbox_block_network(False)` lets one test out where the ini blocks.
Every interceptor reads the setting from `blocks_network(request)` and words the refusal with
`refusal(...)`; urllib3's and aiohttp's ask a `Gate` (respx passes the live sandbox's URL
through by a route of its own). Loopback is no exception: a local server of the test's own is
another host; only a live sandbox's own address (host and port, as its URL names them) stays
reachable. Importing this module costs nothing (pytest only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from sandbox.testing.client import Sandbox

OPTION = "comms_sandbox_block_network"  # the ini option's and the marker's name
PORTS = {"http": 80, "https": 443}  # a scheme's port, where a URL names none


class NetworkBlocked(RuntimeError):
    """A request to a host that is neither a vendor's nor the sandbox's, while the network is
    blocked. A RuntimeError, as pytest-socket's: an HTTP library's retries and an app's
    `except ConnectionError` do not swallow it, so the test fails where the request was made."""


def add_option(parser: pytest.Parser) -> None:
    parser.addini(
        OPTION,
        type="bool",
        default=False,
        help="while comms_sandbox is active, refuse requests to hosts that are neither a "
        "vendor's nor the sandbox's (httpx, requests, urllib3, aiohttp)",
    )


def describe_marker(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{OPTION}(block=True): while comms_sandbox is active, refuse requests to hosts that "
        f"are neither a vendor's nor the sandbox's; (False) lets them out where the ini file "
        f"sets {OPTION}",
    )


def blocks_network(request: pytest.FixtureRequest) -> bool:
    """True when the test's requests to other hosts than the vendors' and the sandbox's must
    fail: its closest `comms_sandbox_block_network` marker decides, else the ini option."""
    marker = request.node.get_closest_marker(OPTION)
    if marker is None:
        return bool(request.config.getini(OPTION))
    if marker.kwargs.keys() - {"block"} or len(marker.args) > 1:
        raise pytest.UsageError(
            f"{OPTION} marker: takes one argument, block (True or False); got "
            f"{marker.args or ''}{marker.kwargs or ''}"
        )
    block = marker.kwargs.get("block", marker.args[0] if marker.args else True)
    if not isinstance(block, bool):
        raise pytest.UsageError(f"{OPTION} marker: block is True or False, not {block!r}")
    return block


def refusal(method: str, url: str) -> NetworkBlocked:
    """The error for a blocked request, naming it and what let it out."""
    return NetworkBlocked(
        f"comms-sandbox: {method} {url} not sent: the network is blocked ({OPTION} is set by "
        f"the ini file or a marker), and only the vendors' hosts and the sandbox are reachable"
    )


class Gate:
    """Whether a request to a host that is not a vendor's may go out: always, unless the
    network is blocked; then only to a live sandbox's own host and port."""

    def __init__(self, sandbox: Sandbox, block_network: bool) -> None:
        self.block_network = block_network
        url = urlsplit(str(sandbox.http.base_url))
        live = sandbox.caller is None
        self.live = (url.hostname, url.port or PORTS.get(url.scheme)) if live else None

    def check(self, method: str, scheme: str, host: str, port: int | None, target: str) -> None:
        """`NetworkBlocked` for the request (`target` its path and query), unless it may go
        out."""
        if not self.block_network:
            return
        default = PORTS.get(scheme)
        if (host.lower(), port or default) != self.live:
            shown = host if port is None or port == default else f"{host}:{port}"
            raise refusal(method, f"{scheme}://{shown}{target}")
