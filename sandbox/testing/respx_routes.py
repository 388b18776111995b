"""Run the sandbox in-process behind the vendors' real hosts with respx.

Integrator code keeps calling `https://eu.api.capillarytech.com/v2/...` or
`https://elastic.messangi.me/raven/v2/...`; respx hands each request to an in-process sandbox
under `/capillary/v2/...` or `/messangi/raven/v2/...` and returns its answer:

    with in_process() as sandbox, vendor_routes(sandbox) as router:
        tenant = sandbox.create_tenant(fixture)
        my_code_that_uses_httpx(base_url="https://eu.api.capillarytech.com")
        assert tenant.outbox(status="SUPPRESSED")

Works for sync and async httpx clients; requests to other hosts still need their own routes
(respx's `assert_all_mocked` is left to you).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import respx

from sandbox.testing import Sandbox

# documented production hosts of each emulated vendor
VENDOR_HOSTS: dict[str, tuple[str, ...]] = {
    "capillary": (
        "eu.api.capillarytech.com",
        "us.api.capillarytech.com",
        "apac.api.capillarytech.com",
        "apac2.api.capillarytech.com",
    ),
    "messangi": ("elastic.messangi.me", "staging-aws.messangi.me"),
}


def forward(sandbox: Sandbox, prefix: str) -> Callable[[httpx.Request], httpx.Response]:
    """A respx side effect that replays the request against the sandbox under `prefix`."""

    def side_effect(request: httpx.Request) -> httpx.Response:
        path = request.url.raw_path.decode()  # path and query string, as sent
        try:
            answer = sandbox.http.request(
                request.method,
                f"{prefix}{path}",
                content=request.content,
                headers={k: v for k, v in request.headers.items() if k.lower() != "host"},
            )
        except httpx.TransportError as exc:  # e.g. an injected fault dropped the connection
            raise type(exc)(str(exc), request=request) from None
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    return side_effect


@contextmanager
def vendor_routes(
    sandbox: Sandbox, router: respx.MockRouter | None = None
) -> Iterator[respx.MockRouter]:
    """Route every known vendor host to `sandbox` (in a new respx router unless given one)."""
    with router or respx.mock(assert_all_called=False) as active:
        for vendor, hosts in VENDOR_HOSTS.items():
            for host in hosts:
                active.route(host=host).mock(side_effect=forward(sandbox, f"/{vendor}"))
        yield active
