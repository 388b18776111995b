"""aiohttp's `ClientSession`, with the vendors' real hosts answered by the sandbox.

    async def notify(auth: aiohttp.BasicAuth) -> None:  # the application's code
        async with aiohttp.ClientSession("https://eu.api.capillarytech.com") as session:
            await session.post("/v2/communications/sendMessage", json={...}, auth=auth)

    with in_process() as sandbox, aiohttp_routes(sandbox):
        tenant = sandbox.create_tenant(fixture)
        asyncio.run(notify(aiohttp.BasicAuth(user, password)))
        tenant.assert_suppressed(to="919353491050")

While the block runs, every session's requests go through one more client middleware (aiohttp
3.12.1 or later), the innermost, after the session's own: `ClientSession._request` is wrapped
once, to add it. So aiohttp builds every request as it always does (json=, data=, params, auth,
cookies, the session's headers and base URL, the closed-session check, redirects, the session's
middlewares and raise_for_status), and only the last step changes: a request to a vendor's host
(`vendor_hosts`) is answered by the sandbox instead of a connection. In-process, the app's
answer is awaited in the caller's loop (`transport.AppCaller.exchange`); against a live sandbox
(`sandbox.caller is None`) the request is forwarded to its `/{vendor}` path. Any other host
goes out as usual, or, with `block_network`, fails with `network.NetworkBlocked` naming it (a
live sandbox's own address excepted, as for every library: `network.Gate`).
"""

from __future__ import annotations

import inspect
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

import aiohttp
import httpx
from aiohttp import ClientRequest, ClientResponse, ClientSession
from aiohttp.base_protocol import BaseProtocol
from aiohttp.helpers import TimerNoop
from aiohttp.payload import Payload
from aiohttp.streams import StreamReader
from multidict import CIMultiDict, CIMultiDictProxy

from sandbox.testing.client import Sandbox
from sandbox.testing.forwarding import forward_async, outgoing
from sandbox.testing.network import Gate
from sandbox.testing.transport import RawResponse
from sandbox.testing.vendor_hosts import VendorHosts
from sandbox.vendor import Vendor
from sandbox.vendors import VENDORS

Handler = Any  # aiohttp.ClientHandlerType, which aiohttp before 3.12 lacks

# aiohttp 3.12 brought client middlewares, 3.12.1 Payload.as_bytes; 3.14 a ClientResponse
# argument, `stream_writer`
SUPPORTED = hasattr(aiohttp, "ClientMiddlewareType") and hasattr(Payload, "as_bytes")
_STREAM_WRITER = "stream_writer" in inspect.signature(ClientResponse.__init__).parameters
_READ_LIMIT = 2**16  # aiohttp's default read buffer


class _Complete(BaseProtocol):
    """The protocol behind an answer's body, which is whole from the start: there is no
    transport to pause or resume."""

    def pause_reading(self) -> None:
        pass

    def resume_reading(self, resume_parser: bool = True) -> None:
        pass


class _Sent:
    """What aiohttp 3.14 reads of the request's writer: the bytes it sent."""

    def __init__(self, size: int) -> None:
        self.output_size = size


class SandboxMiddleware:
    """The client middleware that answers the vendors' hosts from `sandbox`."""

    def __init__(self, sandbox: Sandbox, hosts: VendorHosts, block_network: bool) -> None:
        self.sandbox = sandbox
        self.hosts = hosts
        self.gate = Gate(sandbox, block_network)

    async def __call__(self, request: ClientRequest, handler: Handler) -> ClientResponse:
        url = request.url
        vendor = self.hosts.find(url.raw_host or "")
        if vendor is None:
            host, port = url.raw_host or "", url.explicit_port
            self.gate.check(request.method, url.scheme, host, port, url.raw_path_qs)
            response: ClientResponse = await handler(request)
            return response
        body = request.body
        content = body if isinstance(body, bytes) else await body.as_bytes()  # read once
        if request.compress:  # what aiohttp's writer puts on the wire (Content-Encoding is set)
            content = _compressed(content, str(request.compress))
        headers = [(k.encode(), v.encode()) for k, v in request.headers.items()]
        target = vendor.path(url.raw_path_qs)
        caller = self.sandbox.caller
        if caller is not None:
            answer = await caller.exchange(
                method=request.method,
                scheme=url.scheme,
                server=(url.raw_host or "", url.port or 80),  # yarl: the scheme's port if none
                target=target,
                headers=[(k.lower(), v) for k, v in headers],
                body=content,
            )
        else:
            answer = await _forward(self.sandbox, request.method, target, headers, content)
        if answer is None:  # the sandbox dropped the connection (an injected fault)
            raise aiohttp.ServerDisconnectedError()
        return _response(request, answer, len(content))


def _compressed(content: bytes, encoding: str) -> bytes:
    packer = zlib.compressobj(wbits=16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS)
    return packer.compress(content) + packer.flush()


async def _forward(
    sandbox: Sandbox, method: str, target: str, headers: list[tuple[bytes, bytes]], body: bytes
) -> RawResponse | None:
    """The live sandbox's answer to the request, sent to `target` (its path and query)."""
    try:
        answer = await forward_async(outgoing(sandbox, method, target, headers, body))
    except httpx.RemoteProtocolError:  # it hung up: the caller raises as aiohttp would
        return None
    except httpx.TransportError as exc:
        raise aiohttp.ClientConnectionError(
            f"comms-sandbox: the sandbox at {sandbox.http.base_url} did not answer ({exc!r})"
        ) from None
    return answer.status_code, answer.headers.raw, answer.content


def _response(request: ClientRequest, answer: RawResponse, sent: int) -> ClientResponse:
    """The ClientResponse aiohttp would have made of `answer`, its body already received."""
    loop = request.loop
    arguments: dict[str, Any] = {
        "writer": None,
        "continue100": None,
        "timer": TimerNoop(),
        "request_info": request.request_info,
        "traces": request._traces,
        "loop": loop,
        "session": request.session,
    }
    if _STREAM_WRITER:
        arguments["stream_writer"] = _Sent(sent)
    response = request.response_class(request.method, request.original_url, **arguments)
    status, raw_headers, body = answer
    response.version = aiohttp.HttpVersion11
    response.status = status
    response.reason = _reason(status)
    raw = tuple(raw_headers)
    headers = CIMultiDict(
        (k.decode("utf-8", "surrogateescape"), v.decode("utf-8", "surrogateescape")) for k, v in raw
    )
    response._headers = CIMultiDictProxy(headers)
    response._raw_headers = raw
    content = StreamReader(_Complete(loop), _READ_LIMIT, loop=loop)
    content.feed_data(body)
    content.feed_eof()
    response.content = content
    if cookies := headers.getall(aiohttp.hdrs.SET_COOKIE, ()):
        response._raw_cookie_headers = tuple(cookies)
    response._closed = False
    content.on_eof(response._response_eof)  # whole already: released, as aiohttp does
    return response


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


@contextmanager
def aiohttp_routes(
    sandbox: Sandbox, *, block_network: bool = False, vendors: Sequence[Vendor] = VENDORS
) -> Iterator[SandboxMiddleware]:
    """Answer every aiohttp request to a vendor's real host from `sandbox` while the block
    runs; other hosts go out as usual, or fail with `network.NetworkBlocked` when
    `block_network`."""
    middleware = SandboxMiddleware(sandbox, VendorHosts(vendors), block_network)
    original = ClientSession._request

    def routed(self: ClientSession, method: str, str_or_url: Any, /, **kwargs: Any) -> Any:
        given = kwargs.get("middlewares")
        kwargs["middlewares"] = (*(self._middlewares if given is None else given), middleware)
        return original(self, method, str_or_url, **kwargs)

    ClientSession._request = routed if SUPPORTED else _unsupported  # type: ignore[method-assign, assignment]
    try:
        yield middleware
    finally:
        ClientSession._request = original  # type: ignore[method-assign]


async def _unsupported(self: ClientSession, method: str, str_or_url: Any, /, **_: Any) -> Any:
    """aiohttp before 3.12.1 lacks client middlewares: no request may go out unrouted."""
    raise aiohttp.ClientConnectionError(
        f"comms-sandbox routes aiohttp 3.12.1 or later (a client middleware answers the vendors' "
        f"hosts); aiohttp {aiohttp.__version__} is installed: pip install 'aiohttp>=3.12.1' "
        f"({method} {str_or_url} was not sent)"
    )
