"""Against a live sandbox (`--sandbox-url`), every library's request for a vendor's host is
forwarded as the library would have sent it (sandbox.testing.forwarding): a streamed body
arrives whole, however the library frames it (requests and httpx send a generator chunked)."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import httpx
import requests
import urllib3
from live_server import server

from sandbox.testing import live
from sandbox.testing.aiohttp_routes import aiohttp_routes
from sandbox.testing.example import EXAMPLE_FIXTURE
from sandbox.testing.respx_routes import vendor_routes
from sandbox.testing.urllib3_routes import urllib3_routes

SEND = "https://eu.api.capillarytech.com/v2/communications/sendMessage?channel=sms"
BODY = json.dumps({"sms": [{"to": "919353491050", "body": "Your order shipped"}]}).encode()


def _pieces() -> Iterator[bytes]:
    for start in range(0, len(BODY), 10):
        yield BODY[start : start + 10]


async def _async_pieces() -> AsyncIterator[bytes]:
    for piece in _pieces():
        yield piece


def test_a_streamed_body_reaches_a_live_sandbox_from_every_library(tmp_path: Path) -> None:
    with server(tmp_path / "data") as (_, client), live(str(client.base_url)) as running:
        tenant = running.create_tenant(EXAMPLE_FIXTURE)
        headers = {**tenant.capillary_auth(), "Content-Type": "application/json"}

        async def httpx_async() -> int:
            async with httpx.AsyncClient() as session:
                return (
                    await session.post(SEND, content=_async_pieces(), headers=headers)
                ).status_code

        async def with_aiohttp() -> int:
            async with (
                aiohttp.ClientSession() as session,
                session.post(SEND, data=_async_pieces(), headers=headers) as answer,
            ):
                return answer.status

        with vendor_routes(running), urllib3_routes(running), aiohttp_routes(running):
            statuses = {
                "httpx": httpx.post(SEND, content=_pieces(), headers=headers).status_code,
                "httpx async": asyncio.run(httpx_async()),
                "requests": requests.post(SEND, data=_pieces(), headers=headers).status_code,
                "urllib3": urllib3.request(
                    "POST", SEND, body=io.BytesIO(BODY), headers=headers
                ).status,
                "aiohttp": asyncio.run(with_aiohttp()),
            }
        assert statuses == dict.fromkeys(statuses, 200)
        tenant.assert_suppressed(to="919353491050", reason="CUSTOMER_STATUS_BLOCKED", count=5)
