"""The vendors' real hosts, routed into the sandbox for urllib3, and so for requests.

    with in_process() as sandbox, urllib3_routes(sandbox, block_network=False):
        requests.post("https://eu.api.capillarytech.com/v2/communications/sendMessage", ...)
        urllib3.PoolManager().request("GET", "https://elastic.messangi.me/raven/v2/...")

requests sends every request through urllib3's connection pools (`HTTPAdapter.send` ->
`HTTPConnectionPool.urlopen`), so one interception point serves both: the pool's
`_make_request`, the one step of `urlopen` that writes a request on a connection and reads its
answer. A request to a vendor's host (`Vendor.real_hosts`, `vendor_hosts.VendorHosts`) is
answered by the sandbox instead: in-process the app is called in this thread
(`transport.AppCaller.exchange`), against a live sandbox the request is forwarded over HTTP.
Everything urllib3 does around that step still happens as it does against a server: the
connection pool, the retries of a `Retry` (a requests `HTTPAdapter(max_retries=...)` mounted on
a session included), rewinding a file body before a retry, a `preload_content=False`
(requests' `stream=True`) answer read piece by piece. No socket is opened for a vendor's host,
through a proxy neither (`_prepare_proxy` is skipped for one).

A body urllib3 would stream (a generator, a file object) is read once, as urllib3 would send it.
An injected fault that drops the connection is urllib3's own `RemoteDisconnected`, which its
retries and requests treat as a server that hung up. Any other host goes out as usual, or fails
with `network.NetworkBlocked` when the network is blocked (the live sandbox's own host excepted).
Requires urllib3 2 (requests >= 2.30 uses it).
"""

from __future__ import annotations

import http.client
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import httpx

try:
    from urllib3 import HTTPHeaderDict
except ImportError as exc:  # urllib3 1.x: its pools' request step differs
    raise ImportError(
        "comms-sandbox routes requests and urllib3 with urllib3 2 or later: "
        "pip install 'urllib3>=2'"
    ) from exc
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import HTTPResponse
from urllib3.util.request import body_to_chunks

from sandbox.testing.client import Sandbox
from sandbox.testing.forwarding import forward, outgoing
from sandbox.testing.network import PORTS, Gate
from sandbox.testing.vendor_hosts import VendorHost, VendorHosts
from sandbox.vendor import Vendor
from sandbox.vendors import VENDORS

REASONS = {status.value: status.phrase for status in HTTPStatus}
# `_make_request`'s parameters after (conn, method, url), in order
_PARAMETERS = (
    "body",
    "headers",
    "retries",
    "timeout",
    "chunked",
    "response_conn",
    "preload_content",
    "decode_content",
    "enforce_content_length",
)
HUNG_UP = "Remote end closed connection without response"  # http.client's words


class _Answered:
    """What urllib3 and requests read of the response a server sent (`_original_response`):
    its headers (requests takes cookies from them) and whether it is read to its end (urllib3
    then gives the connection back to its pool)."""

    __slots__ = ("_body", "msg")

    def __init__(self, headers: HTTPHeaderDict, body: io.BytesIO) -> None:
        self.msg = headers
        self._body = body

    def isclosed(self) -> bool:
        return self._body.closed

    def close(self) -> None:
        self._body.close()


def body_bytes(body: Any, method: str) -> bytes:
    """The request's body, as urllib3 would have written it (a stream read once)."""
    if body is None or type(body) is bytes:
        return body or b""
    chunks = body_to_chunks(body, method, 65536).chunks or ()
    return b"".join(chunk.encode() if isinstance(chunk, str) else bytes(chunk) for chunk in chunks)


def _latin1(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("latin-1")


class Router:
    """One block of routing: what replaces urllib3's `_make_request` (`make_request`), and the
    sandbox's answer to a request for a vendor's host (`call` in-process, `forward` live)."""

    def __init__(self, sandbox: Sandbox, vendors: Sequence[Vendor], block_network: bool) -> None:
        self.sandbox = sandbox
        self.caller = sandbox.caller
        self.hosts = VendorHosts(vendors)
        self.gate = Gate(sandbox, block_network)

    def make_request(
        self,
        original: Callable[..., Any],
        pool: HTTPConnectionPool,
        conn: Any,
        method: str,
        url: str,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if url.startswith("/"):  # the usual request target: the pool's host is the server
            scheme, host, port, target = pool.scheme, pool.host, pool.port, url
        else:  # an absolute target, sent to an HTTP proxy: the URL names the server
            parts = urlsplit(url)
            scheme, host, port = parts.scheme, parts.hostname or "", parts.port
            target = parts.path + (f"?{parts.query}" if parts.query else "")
        vendor = self.hosts.find(host)
        if vendor is None:
            self.gate.check(method, scheme, host, port, target)
            return original(pool, conn, method, url, *args, **kwargs)
        if args:  # (urllib3 passes them by name; a caller of its own may not)
            kwargs.update(zip(_PARAMETERS, args, strict=False))
        return self.answer(pool, vendor, (scheme, host, port), method, target, **kwargs)

    def answer(
        self,
        pool: HTTPConnectionPool,
        vendor: VendorHost,
        server: tuple[str, str, int | None],
        method: str,
        target: str,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        retries: Any = None,
        timeout: Any = None,
        chunked: bool = False,
        response_conn: Any = None,
        preload_content: bool = True,
        decode_content: bool = True,
        enforce_content_length: bool = True,
    ) -> HTTPResponse:
        """The sandbox's answer to the request, as urllib3's `_make_request` returns one."""
        del timeout, chunked  # the sandbox answers at once, from the whole body
        pool.num_requests += 1
        content = body_bytes(body, method)
        sent = headers if headers is not None else pool.headers
        path = vendor.path(target)
        if self.caller is None:
            status, answer_headers, answered = self.forward(method, path, sent, content)
        else:
            status, answer_headers, answered = self.call(server, method, path, sent, content)
        stream = io.BytesIO(answered)
        return HTTPResponse(
            body=stream,
            headers=answer_headers,
            status=status,
            version=11,
            version_string="HTTP/1.1",
            reason=REASONS.get(status),
            preload_content=preload_content,
            decode_content=decode_content,
            original_response=_Answered(answer_headers, stream),  # type: ignore[arg-type]
            pool=pool,
            connection=response_conn,
            retries=retries,
            enforce_content_length=enforce_content_length,
            request_method=method,
            request_url=target,
        )

    def call(
        self,
        server: tuple[str, str, int | None],
        method: str,
        path: str,
        headers: Mapping[Any, Any],
        content: bytes,
    ) -> tuple[int, HTTPHeaderDict, bytes]:
        """The in-process app's answer at `path` (and its query)."""
        assert self.caller is not None
        scheme, host, port = server
        fields = [(_latin1(k).lower(), _latin1(v)) for k, v in headers.items()]
        names = {name for name, _ in fields}
        if b"host" not in names:  # what urllib3 would have added, as a server reads it
            fields.append((b"host", host.encode("idna")))
        if content and b"content-length" not in names and b"transfer-encoding" not in names:
            fields.append((b"content-length", str(len(content)).encode()))
        exchange = self.caller.exchange(
            method=method,
            scheme=scheme,
            server=(host, port or PORTS.get(scheme, 80)),
            target=path,
            headers=fields,
            body=content,
        )
        done = self.caller.run(exchange)
        if done is None:  # the app hung up (an injected fault)
            raise http.client.RemoteDisconnected(HUNG_UP)
        status, raw_headers, answered = done
        decoded = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw_headers]
        return status, HTTPHeaderDict(decoded), answered

    def forward(
        self, method: str, path: str, headers: Mapping[Any, Any], content: bytes
    ) -> tuple[int, HTTPHeaderDict, bytes]:
        """The live sandbox's answer at `path` (and its query)."""
        fields = [(_latin1(k), _latin1(v)) for k, v in headers.items()]
        try:
            answer = forward(self.sandbox, outgoing(self.sandbox, method, path, fields, content))
        except httpx.TransportError:  # e.g. an injected fault dropped the connection
            raise http.client.RemoteDisconnected(HUNG_UP) from None
        return (
            answer.status_code,
            HTTPHeaderDict(answer.headers.multi_items()),
            answer.content,
        )


@contextmanager
def urllib3_routes(
    sandbox: Sandbox, *, block_network: bool = False, vendors: Sequence[Vendor] = VENDORS
) -> Iterator[None]:
    """Route every vendor's real hosts to `sandbox` for urllib3 and requests while the block
    runs; other hosts go out, or fail with `NetworkBlocked` when `block_network`."""
    router = Router(sandbox, vendors, block_network)
    make_request = HTTPConnectionPool._make_request
    prepare_proxy = HTTPSConnectionPool._prepare_proxy

    def routed(
        pool: HTTPConnectionPool, conn: Any, method: str, url: str, *a: Any, **k: Any
    ) -> Any:
        return router.make_request(make_request, pool, conn, method, url, *a, **k)

    def tunnel(pool: HTTPSConnectionPool, conn: Any) -> None:
        if router.hosts.find(pool.host) is None:  # a vendor's host is not connected to
            router.gate.check("CONNECT", pool.scheme, pool.host, pool.port, "")
            prepare_proxy(pool, conn)

    setattr(HTTPConnectionPool, "_make_request", routed)  # noqa: B010
    setattr(HTTPSConnectionPool, "_prepare_proxy", tunnel)  # noqa: B010
    try:
        yield
    finally:
        setattr(HTTPConnectionPool, "_make_request", make_request)  # noqa: B010
        setattr(HTTPSConnectionPool, "_prepare_proxy", prepare_proxy)  # noqa: B010
