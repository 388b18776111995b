"""uvicorn's httptools protocol with the limits it does not have: how large a request's head
(request line and headers) may grow, how long a request may take to arrive, and how many
connections may be open at once.

httptools accepts a header of any size (four connections streaming an unterminated 250 MiB
header took the server to 761 MiB), and uvicorn starts no timer before a connection's first
request (idle connections held file descriptors until the process ran out). Here:

- a head larger than `max_head_bytes` is answered 431 and the connection closed;
- a head not complete `head_timeout` seconds after it began (or after the connection opened),
  or a body not complete `body_timeout` seconds after its head, is answered 408 and closed;
- past `max_connections`, the connection idle longest (no request begun) is closed to make
  room, so idle connections cannot starve clients that send requests.

Timers cost nothing per request: each connection notes when its current phase began, and one
sweep a second closes the late ones.
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
        self._in_head = True
        self._since: float | None = self.loop.time()  # when the current phase began
        self._idle = True  # no byte of a request yet on this connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._since = self.loop.time()
        _Sweeper.of(self.loop).watch(self.connections)
        if len(self.connections) > self.max_connections:
            self._make_room()

    def data_received(self, data: bytes) -> None:
        self._idle = False
        super().data_received(data)
        if self._in_head:  # counted after parsing: a head that began in this chunk counts it
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes:
                limit = self.max_head_bytes
                self.refuse(431, "HEADERS_TOO_LARGE", f"the request's head exceeds {limit} bytes")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        self._since = self.loop.time()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._since = self.loop.time()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._since = None  # the app has it; uvicorn's keep-alive timer takes over after
        super().on_message_complete()

    def late(self, now: float) -> bool:
        if self._since is None or self.transport is None or self.transport.is_closing():
            return False
        limit = self.head_timeout if self._in_head else self.body_timeout
        return now - self._since > limit

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
            if isinstance(connection, GuardedHttpToolsProtocol) and connection.late(now):
                phase = "head" if connection._in_head else "body"
                limit = connection.head_timeout if connection._in_head else connection.body_timeout
                connection.refuse(
                    408, "REQUEST_TIMEOUT", f"the request's {phase} took over {limit:g} s"
                )
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
