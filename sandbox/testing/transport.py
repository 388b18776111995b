"""Hand a request straight to the sandbox's ASGI app in this process, and its answer back.

Starlette's TestClient runs the app in a worker thread behind an anyio portal: every request
crosses threads twice. The sandbox's request path never waits on anything, so here a request
is one run of the app's coroutine: awaited in the caller's own event loop for async clients,
run on a loop this object owns for sync ones, always in the caller's thread. The same call
serves the in-process client (`InProcessTransport`), the vendors' real hosts routed by respx
(`respx_routes`), those intercepted in urllib3 (`urllib3_routes`, which requests uses too) and
in aiohttp (`aiohttp_routes`): the request is turned into an ASGI scope once (`exchange`, from
the target as on the wire), never re-sent through a second client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar
from urllib.parse import unquote

import httpx
from starlette.types import ASGIApp, Message

T = TypeVar("T")
# an answer of the app: status, headers (names lower-case), body
RawResponse = tuple[int, list[tuple[bytes, bytes]], bytes]


class AppCaller:
    """Calls one ASGI app with an httpx request (`call`), or with any library's request given
    by its parts (`exchange`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self._helper: ThreadPoolExecutor | None = None

    async def call(self, request: httpx.Request, target: str | None = None) -> httpx.Response:
        """The app's answer to `request`, sent to `target` (the sandbox's path and query, as
        on the wire: e.g. "/capillary/v2/...?channel=sms"; by default the request's own)."""
        url = request.url
        answer = await self.exchange(
            method=request.method,
            scheme=url.scheme,
            server=(url.host, url.port or (443 if url.scheme == "https" else 80)),
            target=url.raw_path.decode("ascii") if target is None else target,
            headers=[(k.lower(), v) for k, v in request.headers.raw],
            body=request.read(),
        )
        if answer is None:  # the app hung up (an injected fault), as a server closing would
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        status, headers, content = answer
        return httpx.Response(status, headers=headers, content=content, request=request)

    async def exchange(
        self,
        *,
        method: str,
        scheme: str,
        server: tuple[str, int],
        target: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> RawResponse | None:
        """The app's answer (status, headers, body) to one request: `target` its path and
        query as on the wire (percent-escapes kept: the path is decoded here, once), header
        names lower-case. None when the app hung up without answering (an injected fault)."""
        raw_path, _, query = target.partition("?")
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": scheme,
            "path": unquote(raw_path),
            "raw_path": raw_path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": server,
            "state": {},
        }
        sent_body = False
        status: int | None = None
        answer_headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        answered = asyncio.Event()

        async def receive() -> Message:
            nonlocal sent_body
            if sent_body:  # the client stays until the whole answer is sent, as a real one does
                await answered.wait()
                return {"type": "http.disconnect"}
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status, answer_headers
            if message["type"] == "http.response.start":
                status = message["status"]
                answer_headers = message.get("headers", [])
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    answered.set()

        await self.app(scope, receive, send)
        if status is None:
            return None
        return status, answer_headers, chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def call_sync(self, request: httpx.Request, target: str | None = None) -> httpx.Response:
        """`call`, for a caller that cannot await (a sync httpx client)."""
        return self.run(self.call(request, target))

    def run(self, call: Coroutine[Any, Any, T]) -> T:
        """The result of `call` (one of this object's coroutines), for a caller that cannot
        await: a sync client, in this thread."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # the usual case: a sync client, no loop running in this thread
            return self._drive(call)
        # a sync client used inside a running loop (e.g. in an async test): that loop cannot
        # be re-entered, so a helper thread runs the app on a loop of its own
        if self._helper is None:
            self._helper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-app")
        return self._helper.submit(asyncio.run, call).result()

    def _drive(self, call: Coroutine[Any, Any, T]) -> T:
        """Run `call` to its end. The sandbox's request path waits on nothing, so the first
        step almost always finishes it: no event-loop turn is paid for (a third of the cost
        of an in-process send). Only a call that really waits (an injected latency) goes on
        to run on this object's loop, from where it stopped."""
        asyncio.events._set_running_loop(self.loop)  # what it awaits belongs to this loop
        try:
            waiting_for = call.send(None)
        except StopIteration as finished:
            return finished.value  # type: ignore[no-any-return]
        except BaseException:
            call.close()
            raise
        finally:
            asyncio.events._set_running_loop(None)
        return self.loop.run_until_complete(_Resumed(call, waiting_for))

    def close(self) -> None:
        if self._helper is not None:
            self._helper.shutdown()
        if not self.loop.is_closed():
            self.loop.close()


class _Resumed(Generic[T]):
    """An awaitable that goes on with a coroutine already started by hand: it hands the
    future the coroutine is waiting for to the loop, then sends it the results, as `await`
    would have."""

    def __init__(self, call: Coroutine[Any, Any, T], waiting_for: Any) -> None:
        self.call = call
        self.waiting_for = waiting_for

    def __await__(self) -> Generator[Any, Any, T]:
        pending = self.waiting_for
        while True:
            try:
                try:
                    sent = yield pending
                except BaseException as exc:
                    pending = self.call.throw(exc)
                else:
                    pending = self.call.send(sent)
            except StopIteration as finished:
                return finished.value  # type: ignore[no-any-return]


class InProcessTransport(httpx.BaseTransport):
    """An httpx transport whose every request is answered by the app in this thread."""

    def __init__(self, app: ASGIApp) -> None:
        self.caller = AppCaller(app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.caller.call_sync(request)

    def close(self) -> None:
        self.caller.close()
