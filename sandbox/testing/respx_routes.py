"""The vendors' real hosts, routed into the sandbox with respx.

Integrator code keeps calling `https://eu.api.capillarytech.com/v2/...`,
`https://elastic.messangi.me/raven/v2/...` or `https://eu-proxy-1.symplifymail.com/rest/1234/...`;
respx hands each request to the sandbox under `/capillary/v2/...`, `/messangi/raven/v2/...` or
`/symplify/1234/...` and returns its answer:

    with in_process() as sandbox, vendor_routes(sandbox) as router:
        tenant = sandbox.create_tenant(fixture)
        my_code_that_uses_httpx(base_url="https://eu.api.capillarytech.com")
        assert tenant.outbox(status="SUPPRESSED")

In-process, a request is handed to the app once (`transport.AppCaller`): awaited in the caller's
loop for async clients, run in the caller's thread for sync ones. Against a live sandbox
(`live()`), it is forwarded over HTTP. Requests to any other host go out as usual (or fail
with `network.NetworkBlocked` when the network is blocked), unless another respx router is
active: then that router decides, as respx does with several routers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import httpx
import respx
from respx.mocks import Mocker
from respx.models import AllMockedAssertionError

from sandbox.testing.client import Sandbox
from sandbox.testing.forwarding import forward, forward_async, outgoing
from sandbox.testing.network import refusal
from sandbox.testing.vendor_hosts import VendorHost
from sandbox.vendor import RealHosts, Vendor
from sandbox.vendors import VENDORS

# True while respx resolves a sync client's request (the answer must be made synchronously),
# False for an async client's; None under a router that is not a SandboxRouter
_SYNC: ContextVar[bool | None] = ContextVar("comms_sandbox_sync", default=None)

SideEffect = Callable[[httpx.Request], "httpx.Response | Awaitable[httpx.Response]"]


class SandboxRouter(respx.MockRouter):
    """A respx router that tells its side effects whether the client was sync or async."""

    def handler(self, request: httpx.Request) -> httpx.Response:
        token = _SYNC.set(True)
        try:
            return super().handler(request)
        finally:
            _SYNC.reset(token)

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        token = _SYNC.set(False)
        try:
            return await super().async_handler(request)
        finally:
            _SYNC.reset(token)


def _is_sync() -> bool:
    known = _SYNC.get()
    if known is not None:
        return known
    try:  # another router: a running loop in this thread most likely means an async client
        asyncio.get_running_loop()
    except RuntimeError:
        return True
    return False


def to_sandbox(sandbox: Sandbox, vendor: str, hosts: RealHosts) -> SideEffect:
    """A respx side effect that answers a request to `vendor`'s `hosts` from the sandbox."""
    host = VendorHost(f"/{vendor}", hosts)
    caller = sandbox.caller

    def side_effect(request: httpx.Request) -> httpx.Response | Awaitable[httpx.Response]:
        target = host.path(request.url.raw_path.decode("ascii"))
        if caller is None:
            return _forward(sandbox, request, target)
        if _is_sync():
            return caller.call_sync(request, target)
        return caller.call(request, target)

    return side_effect


def _forward(
    sandbox: Sandbox, request: httpx.Request, target: str
) -> httpx.Response | Awaitable[httpx.Response]:
    """Send the request to a live sandbox at `target` (path and query)."""
    sent = outgoing(sandbox, request.method, target, request.headers.raw, request.read())
    if _is_sync():
        try:
            return _answer(forward(sandbox, sent))
        except httpx.TransportError as exc:  # e.g. an injected fault dropped the connection
            raise type(exc)(str(exc), request=request) from None

    async def forwarded() -> httpx.Response:
        try:
            return _answer(await forward_async(sent))
        except httpx.TransportError as exc:
            raise type(exc)(str(exc), request=request) from None

    return forwarded()


def _answer(answer: httpx.Response) -> httpx.Response:
    """The live sandbox's answer, as a response of the routed request's own."""
    return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


def _everything_else(
    router: respx.MockRouter, block_network: bool
) -> Callable[[httpx.Request], httpx.Request]:
    """Other hosts: through to the network (or refused, when it is blocked), unless another
    respx router is active, which then decides (a router that does not match lets the next
    one try)."""

    def side_effect(request: httpx.Request) -> httpx.Request:
        others = any(
            active is not router for mocker in Mocker.registry.values() for active in mocker.routers
        )
        if others:
            raise AllMockedAssertionError(f"comms-sandbox does not route {request.url.host}")
        if block_network:
            raise refusal(request.method, str(request.url))
        return request  # respx: returning the request passes it through

    return side_effect


@contextmanager
def vendor_routes(
    sandbox: Sandbox,
    router: respx.MockRouter | None = None,
    vendors: Sequence[Vendor] = VENDORS,
    *,
    block_network: bool = False,
) -> Iterator[respx.MockRouter]:
    """Route every vendor's real hosts (`Vendor.real_hosts`) to `sandbox` while the block
    runs, in a new router (other hosts pass through, or fail with `NetworkBlocked` when
    `block_network`) or in `router` (which then decides about other hosts)."""
    own = router is None
    active_router = router or SandboxRouter(assert_all_called=False, assert_all_mocked=True)
    with active_router as active:
        if sandbox.caller is None:  # a live sandbox: the calls to it go out unchanged
            active.route(url__startswith=str(sandbox.http.base_url)).pass_through()
        for vendor in vendors:
            if vendor.real_hosts is not None:
                active.route(host__regex=f"^{vendor.real_hosts.hosts.pattern}$").mock(
                    side_effect=to_sandbox(sandbox, vendor.name, vendor.real_hosts)
                )
        if own:
            active.route(name="comms-sandbox: other hosts").mock(
                side_effect=_everything_else(active, block_network)
            )
        yield active
