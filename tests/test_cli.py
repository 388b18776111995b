"""The command line against a running sandbox: --version, health, tenants, the outbox (and
following it as `tail -f` does), snapshot save and load; one clear line when nobody answers."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from live_server import free_port, server

from sandbox import __version__

COMMAND = (sys.executable, "-m", "sandbox")
SMS = "/capillary/v2/communications/sendMessage?channel=sms"
DEMO = ("demo_till", "demo-password")


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=60, check=False
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> httpx.Client:
    with server(tmp_path_factory.mktemp("data")) as (_, client):
        for to in ("919353491050", "919988221100"):  # the demo tenant: blocked, then active
            sent = client.post(SMS, json={"sms": [{"to": to, "body": "shipped"}]}, auth=DEMO)
            assert sent.status_code == 200
        yield client


def url(client: httpx.Client) -> str:
    return str(client.base_url).rstrip("/")


def test_version() -> None:
    assert cli("--version").stdout.strip() == f"comms-sandbox {__version__}"


def test_health_and_tenants(running: httpx.Client) -> None:
    assert cli("health", "--url", url(running)).returncode == 0
    assert cli("tenants", "--url", url(running)).stdout.split() == ["demo"]
    assert cli("tenants", "--json", "--url", url(running)).stdout.strip() == '["demo"]'


def test_the_outbox_a_line_per_message_oldest_first(running: httpx.Client) -> None:
    lines = cli("outbox", "--url", url(running)).stdout.splitlines()
    assert len(lines) == 2
    assert "919353491050" in lines[0] and lines[0].endswith("SUPPRESSED CUSTOMER_STATUS_BLOCKED")
    assert "919988221100" in lines[1] and lines[1].endswith("DELIVERED")
    suppressed = cli("outbox", "--status", "SUPPRESSED", "--json", "--url", url(running))
    [message] = [yaml.safe_load(line) for line in suppressed.stdout.splitlines()]
    assert message["reason"] == "CUSTOMER_STATUS_BLOCKED"


def test_the_outbox_takes_every_filter_of_the_api(running: httpx.Client) -> None:
    def shown(*flags: str) -> list[str]:
        return cli("outbox", *flags, "--url", url(running)).stdout.splitlines()

    assert [line.split()[5] for line in shown("--q", "99882")] == ["919988221100"]
    assert shown("--since", "2999-01-01") == []
    assert len(shown("--until", "2999-01-01T00:00:00Z", "--operation", "sendMessage")) == 2
    assert shown("--from", "528811") == []  # Capillary's messages name no sender
    bad = cli("outbox", "--since", "soon", "--url", url(running), check=False)
    assert bad.returncode == 1
    assert "since: 'soon' is not an ISO 8601 date-time or date" in bad.stderr


def test_follow_prints_new_messages_as_they_are_recorded(running: httpx.Client) -> None:
    follower = subprocess.Popen(
        [*COMMAND, "outbox", "--follow", "-n", "0", "--url", url(running)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)  # it has read the outbox once
        running.post(SMS, json={"sms": [{"to": "919876543210", "body": "new"}]}, auth=DEMO)
        assert follower.stdout is not None
        line = follower.stdout.readline()  # within the follower's half-second poll
    finally:
        follower.terminate()
        follower.wait()
    assert "919876543210" in line and "DELIVERED" in line


def test_snapshot_save_and_load_recreate_the_tenant(running: httpx.Client, tmp_path: Path) -> None:
    saved = tmp_path / "demo.yaml"
    cli("snapshot", "save", "--tenant", "demo", str(saved), "--url", url(running))
    assert yaml.safe_load(saved.read_text())["snapshot"]["tenant"] == "demo"
    loaded = cli("snapshot", "load", "--tenant", "copy", str(saved), "--url", url(running))
    assert loaded.stdout.strip() == f"created tenant copy from {saved}"
    original = running.get("/_sandbox/tenants/demo/outbox").json()
    assert running.get("/_sandbox/tenants/copy/outbox").json() == original
    as_json = tmp_path / "copy.json"
    cli("snapshot", "save", "--tenant", "copy", str(as_json), "--url", url(running))
    again = cli("snapshot", "load", "--tenant", "copy", str(as_json), "--url", url(running))
    assert again.stdout.strip() == f"replaced tenant copy from {as_json}"


def test_a_bad_file_is_refused_with_the_servers_reason(
    running: httpx.Client, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("capillary:\n  customers:\n    - {id: 1, mobil: '919988221100'}\n")
    done = cli("snapshot", "load", "--tenant", "bad", str(bad), "--url", url(running), check=False)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "comms-sandbox: PUT /tenants/bad: 400 capillary.customers[0].mobil is not a known field"
    )


def test_nobody_answering_is_one_line() -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    for args in (("tenants",), ("outbox",), ("snapshot", "save", "--tenant", "demo", "-")):
        done = cli(*args, "--url", nobody, check=False)
        assert done.returncode == 1
        assert done.stderr.startswith(f"comms-sandbox: no sandbox answers at {nobody}")
        assert len(done.stderr.strip().splitlines()) == 1
    assert cli("health", "--url", nobody, check=False).returncode == 1
