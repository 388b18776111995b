"""An integrator's project whose app sends with aiohttp, and its tests: no conftest.py
(tests/test_plugin_aiohttp.py runs it in-process and live, tests/test_installed_package.py
from the installed wheel)."""

from __future__ import annotations

from pathlib import Path

APP = '''"""An integrator's app: it knows only Capillary's real base URL, and uses aiohttp."""

import aiohttp

CAPILLARY = "https://eu.api.capillarytech.com"


async def send_shipping_sms(user: str, password: str, mobile: str) -> int:
    async with aiohttp.ClientSession(base_url=CAPILLARY) as session:
        async with session.post(
            "/v2/communications/sendMessage",
            params={"channel": "sms"},
            json={"sms": [{"to": mobile, "body": "Your order has shipped"}]},
            auth=aiohttp.BasicAuth(user, password),
        ) as answer:
            await answer.json()
            return answer.status


async def fetch(url: str) -> int:
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        return answer.status
'''

TESTS = """import asyncio

import aiohttp
import pytest

import notify
from sandbox.testing.example import EXAMPLE_FIXTURE as FIXTURE  # 919353491050 is blocked
from sandbox.testing.network import NetworkBlocked


def test_blocked_customer_gets_nothing(comms_sandbox):
    tenant = comms_sandbox.create_tenant(FIXTURE)
    creds = tenant.credentials["capillary"]
    status = asyncio.run(
        notify.send_shipping_sms(creds["username"], creds["password"], "919353491050")
    )
    assert status == 200
    tenant.assert_suppressed(to="919353491050", reason="CUSTOMER_STATUS_BLOCKED", count=1)


@pytest.mark.comms_sandbox_block_network
def test_other_hosts_fail_under_the_marker(comms_sandbox):
    with pytest.raises(NetworkBlocked, match="comms_sandbox_block_network"):
        asyncio.run(notify.fetch("http://unrouted.example.invalid/"))


def test_other_hosts_go_out(comms_sandbox):
    # nothing listens on port 1: the request reached the network, which refused it
    with pytest.raises(aiohttp.ClientConnectorError):
        asyncio.run(notify.fetch("http://127.0.0.1:1/"))


@pytest.mark.comms_sandbox_block_network(False)
def test_the_marker_lets_other_hosts_out(comms_sandbox):
    with pytest.raises(aiohttp.ClientConnectorError):
        asyncio.run(notify.fetch("http://127.0.0.1:1/"))
"""


def write_project(root: Path) -> Path:
    """The project's files in `root` (made here)."""
    root.mkdir()
    (root / "notify.py").write_text(APP)
    (root / "test_notify.py").write_text(TESTS)
    return root
