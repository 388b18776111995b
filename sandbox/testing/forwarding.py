"""A request for a vendor's host, sent on to a live sandbox (`live()`, `--sandbox-url`): the
one way every library's routes forward (respx's for httpx, urllib3's for urllib3 and requests,
aiohttp's).

The request goes to the sandbox's base URL and `target` (the sandbox's path and query, e.g.
`/capillary/v2/...`) with the library's headers, less those the forwarding client sets itself:
the live sandbox's `Host`, and the body's framing (the body is sent whole, however the library
would have framed it). A caller that cannot await uses the sandbox's own client; one in an
event loop a client of its own, awaited in that loop. An `httpx.TransportError` (the sandbox
dropped the connection, an injected fault, or does not answer) is the caller's to turn into
what its library raises.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from sandbox.testing.client import Sandbox

TIMEOUT = 30  # seconds, as `live()`'s client
_SET_HERE = frozenset({b"host", b"content-length", b"transfer-encoding"})


def _kept(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    return [(name, value) for name, value in headers if name.lower() not in _SET_HERE]


def outgoing(
    sandbox: Sandbox,
    method: str,
    target: str,
    headers: Iterable[tuple[bytes, bytes]],
    content: bytes,
) -> httpx.Request:
    """The request for the live sandbox: `target` under its base URL."""
    return sandbox.http.build_request(method, target, content=content, headers=_kept(headers))


def forward(sandbox: Sandbox, request: httpx.Request) -> httpx.Response:
    """The live sandbox's answer to `request` (`outgoing`), read whole."""
    return sandbox.http.send(request)


async def forward_async(request: httpx.Request) -> httpx.Response:
    """`forward`, awaited in the caller's loop."""
    async with httpx.AsyncClient(timeout=TIMEOUT) as client:
        return await client.send(request)
