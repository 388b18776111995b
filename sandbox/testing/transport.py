"""An httpx transport that hands each request straight to an ASGI app in this thread.

Starlette's TestClient runs the app in a worker thread behind an anyio portal: every request
crosses threads twice. The sandbox's request path never waits on anything, so here a request
is one run of the app's coroutine on an event loop this transport owns, in the caller's thread:
several times cheaper, which is what makes in-process suites faster than a live server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote

import httpx
from starlette.types import ASGIApp, Message


class InProcessTransport(httpx.BaseTransport):
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self._helper: ThreadPoolExecutor | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        body = request.read()
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": unquote(url.path),
            "raw_path": url.raw_path.split(b"?", 1)[0],
            "query_string": url.query,
            "root_path": "",
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "client": ("127.0.0.1", 50000),
            "server": (url.host, url.port or (443 if url.scheme == "https" else 80)),
            "state": {},
        }
        sent_body = False
        status: int | None = None
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []

        async def receive() -> Message:
            nonlocal sent_body
            if sent_body:
                return {"type": "http.disconnect"}
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        async def handle() -> None:
            await self.app(scope, receive, send)

        self._run(handle())
        if status is None:  # the app hung up (an injected fault), as a server closing would
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return httpx.Response(status, headers=headers, content=b"".join(chunks), request=request)

    def _run(self, call: Coroutine[Any, Any, None]) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # the usual case: a sync client, no loop running in this thread
            self.loop.run_until_complete(call)
            return
        # called from inside a running loop (e.g. respx handing an async client's request to a
        # sync side effect): that loop cannot be re-entered, so a helper thread runs the app
        if self._helper is None:
            self._helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-app")
        self._helper.submit(asyncio.run, call).result()

    def close(self) -> None:
        if self._helper is not None:
            self._helper.shutdown()
        if not self.loop.is_closed():
            self.loop.close()
