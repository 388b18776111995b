"""`comms_sandbox_block_network` (ini file or marker): while `comms_sandbox` is active, hosts
other than the vendors' and the sandbox's fail at once, for httpx, requests and urllib3; a
marker turns it on or off for one test."""

from __future__ import annotations

import sys
from pathlib import Path

from integrator import run_pytest
from live_server import free_port

TESTS = """
import httpx
import pytest
import requests
import urllib3

from sandbox.testing.network import NetworkBlocked

NOBODY = "http://127.0.0.1:{port}/orders/1"


@pytest.mark.parametrize("library", ["httpx", "requests", "urllib3"])
def test_blocked_by_the_ini_file(comms_sandbox, library):
    get = {{"httpx": httpx.get, "requests": requests.get,
           "urllib3": lambda url: urllib3.request("GET", url)}}[library]
    with pytest.raises(NetworkBlocked, match="GET http://127.0.0.1:{port}/orders/1 not sent"):
        get(NOBODY)


@pytest.mark.comms_sandbox_block_network(False)
def test_let_out_by_a_marker(comms_sandbox):
    with pytest.raises(requests.ConnectionError, match="refused"):
        requests.get(NOBODY)


def test_without_the_fixture_nothing_is_blocked():
    with pytest.raises(requests.ConnectionError, match="refused"):
        requests.get(NOBODY)


@pytest.mark.comms_sandbox_block_network(block="yes")
def test_a_bad_marker_is_named(comms_sandbox):
    pass
"""


def test_the_ini_option_and_the_marker(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\ncomms_sandbox_block_network = true\n")
    (tmp_path / "test_network.py").write_text(TESTS.format(port=free_port()))
    done = run_pytest(sys.executable, tmp_path, "-rA")
    assert "5 passed, 1 error" in done.stdout, done.stdout[-3000:]
    assert "comms_sandbox_block_network marker: block is True or False, not 'yes'" in done.stdout


def test_a_marker_blocks_where_the_ini_file_does_not(tmp_path: Path) -> None:
    (tmp_path / "test_marked.py").write_text(
        "import pytest, requests\n"
        "from sandbox.testing.network import NetworkBlocked\n\n"
        "@pytest.mark.comms_sandbox_block_network\n"
        "def test_marked(comms_sandbox):\n"
        "    with pytest.raises(NetworkBlocked):\n"
        f"        requests.get('http://127.0.0.1:{free_port()}/')\n\n"
        "def test_unmarked(comms_sandbox):\n"
        "    with pytest.raises(requests.ConnectionError):\n"
        f"        requests.get('http://127.0.0.1:{free_port()}/')\n"
    )
    done = run_pytest(sys.executable, tmp_path)
    assert "2 passed" in done.stdout, done.stdout[-3000:]
