"""uvicorn's httptools protocol with the limits it does not have: how large a request's head
(request line and headers) may grow, how long a request may take to arrive, and how many
connections may be open at once.

httptools accepts a header of any size (four connections streaming an unterminated 250 MiB
header took the server to 761 MiB), and uvicorn starts no timer before a connection's first
request (idle connections held file descriptors until the process ran out). Here:

- a head larger than `max_head_bytes` is answered 431 and the connection closed;
- a head not complete `head_timeout` seconds after it began (or after the connection opened),
  or a body not complete `body_timeout` seconds after its request began, is answered 408 and
  the connection closed;
- past `max_connections`, the connection idle longest (no request begun) is closed to make
  room, so idle connections cannot starve clients that send requests.

Timers cost nothing per request: one sweep a second notes when it first saw each
connection's current request, and closes the late ones (so a timeout holds to within a
second). Only `data_received` is overridden: parser callbacks run several times per request,
and each override would cost every request.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)

SWEEP_SECONDS = 1.0


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    max_head_bytes = 64 * 1024
    head_timeout = 10.0
    body_timeout = 30.0
    max_connections = 4096

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0
        self._scope: Any = None  # the request whose head bytes are being counted
        self._swept: Any = None  # the request the sweeper saw last
        self._since = self.loop.time()  # when the connection opened, or the sweeper first
        # saw its current request (timeouts hold to within the sweep's second)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._since = self.loop.time()
        _Sweeper.of(self.loop).watch(self.connections)
        if len(self.connections) > self.max_connections:
            self._make_room()

    def data_received(self, data: bytes) -> None:
        """The only method on the request path: httptools' parser callbacks are uvicorn's
        own, and the phase of a request is read from what they leave (`scope` is new when a
        request began, and has a "method" once its head is complete)."""
        _parse(self, data)
        scope = self.scope
        if scope is not self._scope:  # a request began in this chunk
            self._scope = scope
            self._head_bytes = 0
        if scope is not None and "method" not in scope:  # its head is still arriving
            self._head_bytes += len(data)  # counted whole: a head that began here counts it
            if self._head_bytes > self.max_head_bytes:
                limit = self.max_head_bytes
                self.refuse(431, "HEADERS_TOO_LARGE", f"the request's head exceeds {limit} bytes")

    @property
    def _idle(self) -> bool:
        """No byte of a request has arrived on this connection yet."""
        return self.scope is None

    def lateness(self, now: float) -> str | None:
        """Why this connection is closed now: its head or its whole request is late."""
        if self.transport is None or self.transport.is_closing():
            return None
        scope, cycle = self.scope, self.cycle
        if scope is not self._swept:  # a request the sweeper had not seen yet
            self._swept = scope
            self._since = now
        waited = now - self._since
        in_head = scope is None or "method" not in scope
        if in_head and waited > self.head_timeout:
            return f"the request's head took over {self.head_timeout:g} s"
        in_body = not in_head and cycle is not None and cycle.more_body
        if in_body and not cycle.response_complete and waited > self.body_timeout:
            return f"the request's body took over {self.body_timeout:g} s"
        return None

    def refuse(self, status: int, code: str, message: str) -> None:
        """Answer `status` with the sandbox's error envelope and close the connection."""
        if self.transport is None or self.transport.is_closing():
            return
        body = orjson.dumps({"error": {"code": code, "message": message}})
        reason = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}[status]
        self.transport.write(
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n%s" % (status, reason, len(body), body)
        )
        self.transport.close()
        log.info("closed a connection from %s: %s", self.client, message)

    def _make_room(self) -> None:
        """Close the connection that has waited longest without sending a byte."""
        idle = [
            c
            for c in self.connections
            if isinstance(c, GuardedHttpToolsProtocol) and c._idle and c is not self
        ]
        if idle:
            oldest = min(idle, key=lambda c: c._since or 0.0)
            oldest.transport.close()


_parse = HttpToolsProtocol.data_received  # uvicorn's own, called without super()'s lookup


class _Sweeper:
    """Once a second, closes the connections whose request is late."""

    _by_loop: dict[int, _Sweeper] = {}

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.connections: set[Any] | None = None
        self.handle: asyncio.TimerHandle | None = None

    @classmethod
    def of(cls, loop: asyncio.AbstractEventLoop) -> _Sweeper:
        sweeper = cls._by_loop.get(id(loop))
        if sweeper is None or sweeper.loop is not loop:
            sweeper = cls._by_loop[id(loop)] = cls(loop)
        return sweeper

    def watch(self, connections: set[Any]) -> None:
        self.connections = connections
        if self.handle is None:
            self.handle = self.loop.call_later(SWEEP_SECONDS, self.sweep)

    def sweep(self) -> None:
        now = self.loop.time()
        for connection in list(self.connections or ()):
            if isinstance(connection, GuardedHttpToolsProtocol):
                late = connection.lateness(now)
                if late is not None:
                    connection.refuse(408, "REQUEST_TIMEOUT", late)
        self.handle = self.loop.call_later(SWEEP_SECONDS, self.sweep) if self.connections else None


def protocol(
    max_head_bytes: int, head_timeout: float, body_timeout: float, max_connections: int
) -> type[GuardedHttpToolsProtocol]:
    """The protocol class for uvicorn's `http=`, with these limits."""
    return type(
        "GuardedHttpToolsProtocol",
        (GuardedHttpToolsProtocol,),
        {
            "max_head_bytes": max_head_bytes,
            "head_timeout": head_timeout,
            "body_timeout": body_timeout,
            "max_connections": max_connections,
        },
    )
