"""The command line against a running sandbox: --version, health, tenants, the outbox (and
following it as `tail -f` does), snapshot save and load; one clear line when nobody answers."""

from __future__ import annotations

import http.server
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import typing
from pathlib import Path

import httpx
import pytest
import yaml
from live_server import free_port, server

from sandbox import __version__, filter_choices, remote

COMMAND = (sys.executable, "-m", "sandbox")
SMS = "/capillary/v2/communications/sendMessage?channel=sms"
DEMO = ("demo_till", "demo-password")


def cli(
    *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=60, check=False, env=env
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
    names = running.get("/_sandbox/tenants").json()["tenants"]  # demo, and those tests made
    assert "demo" in names
    assert cli("tenants", "--url", url(running)).stdout.split() == names
    assert json.loads(cli("tenants", "--json", "--url", url(running)).stdout) == names


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
    assert shown("--since", "2999-01-01") == [
        "no messages in tenant demo's outbox that match since=2999-01-01"
    ]
    assert len(shown("--until", "2999-01-01T00:00:00Z", "--operation", "sendMessage")) == 2
    assert shown("--from", "528811") == [  # Capillary's messages name no sender
        "no messages in tenant demo's outbox that match from=528811"
    ]
    bad = cli("outbox", "--since", "soon", "--url", url(running), check=False)
    assert bad.returncode == 1
    assert "since: 'soon' is not an ISO 8601 date-time or date" in bad.stderr


def test_follow_prints_new_messages_as_they_are_recorded(running: httpx.Client) -> None:
    follower = subprocess.Popen(
        [*COMMAND, "outbox", "--follow", "-n", "1", "--url", url(running)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert follower.stdout is not None
        # the newest message: it has read the outbox, and the stream it opens next starts
        # after that message (Last-Event-ID), however late it opens
        assert follower.stdout.readline()
        running.post(SMS, json={"sms": [{"to": "919876543210", "body": "new"}]}, auth=DEMO)
        line = follower.stdout.readline()
    finally:
        follower.terminate()
        follower.wait()
    assert "919876543210" in line and "DELIVERED" in line


def test_snapshot_save_and_load_recreate_the_tenant(running: httpx.Client, tmp_path: Path) -> None:
    saved = tmp_path / "demo.yaml"
    cli("snapshot", "save", "--tenant", "demo", str(saved), "--url", url(running))
    assert yaml.safe_load(saved.read_text())["snapshot"]["tenant"] == "demo"
    loaded = cli("snapshot", "load", "--tenant", "copy", str(saved), "--url", url(running))
    assert loaded.stdout.splitlines()[0] == f"created tenant copy from {saved}; its credentials:"
    original = running.get("/_sandbox/tenants/demo/outbox").json()
    assert running.get("/_sandbox/tenants/copy/outbox").json() == original
    as_json = tmp_path / "copy.json"
    cli("snapshot", "save", "--tenant", "copy", str(as_json), "--url", url(running))
    again = cli("snapshot", "load", "--tenant", "copy", str(as_json), "--url", url(running))
    assert again.stdout.splitlines()[0] == f"replaced tenant copy from {as_json}; its credentials:"


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


# issue 27: what a new user tripped on


def env_with(**values: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SANDBOX_URL", "PORT"}}
    return clean | values


def test_the_connection_options_go_before_or_after_the_command(running: httpx.Client) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"
    for args in (
        ("--url", url(running), "tenants"),
        ("tenants", "--url", url(running)),
        ("--url", url(running), "snapshot", "save", "--tenant", "demo", "-"),
        ("snapshot", "--url", url(running), "save", "--tenant", "demo", "-"),
        ("--url", url(running), "health"),
    ):
        # given before the command, it wins over the environment (the command's own default
        # does not overwrite it)
        done = cli(*args, env=env_with(SANDBOX_URL=nobody))
        assert done.returncode == 0, (args, done.stderr)
    assert "demo" in cli("--url", url(running), "tenants").stdout.split()
    # given twice, the later wins
    assert "demo" in cli("--url", nobody, "tenants", "--url", url(running)).stdout.split()


def test_sandbox_url_is_read_by_every_command(running: httpx.Client) -> None:
    # PORT names a port nobody answers on: health's own default must not be what answers
    env = env_with(SANDBOX_URL=url(running), PORT=str(free_port()))
    for args in (
        ("health",),
        ("tenants",),
        ("outbox",),
        ("snapshot", "save", "--tenant", "demo", "-"),
    ):
        done = cli(*args, env=env)
        assert done.returncode == 0, (args, done.stderr)
    assert "919988221100" in cli("outbox", env=env).stdout


def test_the_control_token_is_read_from_the_environment(tmp_path: Path) -> None:
    with server(tmp_path, args=("--control-token", "s3cret")) as (_, client):
        there = url(client)
        refused = cli("tenants", "--url", there, check=False, env=env_with())
        assert refused.returncode == 1 and "401" in refused.stderr
        for args in (("tenants",), ("health",), ("outbox",)):
            done = cli(*args, env=env_with(SANDBOX_URL=there, SANDBOX_CONTROL_TOKEN="s3cret"))
            assert done.returncode == 0, (args, done.stderr)
        assert cli("--control-token", "s3cret", "tenants", "--url", there).stdout.split() == [
            "demo"
        ]


def test_enumerated_filters_take_any_case_and_list_the_apis_values(running: httpx.Client) -> None:
    for status in ("suppressed", "Suppressed", "SUPPRESSED"):
        lines = cli("outbox", "--status", status, "--url", url(running)).stdout.splitlines()
        assert len(lines) == 1 and lines[0].endswith("SUPPRESSED CUSTOMER_STATUS_BLOCKED")
    both = ("--vendor", "CAPILLARY", "--channel", "sms", "--reason", "customer_status_blocked")
    assert len(cli("outbox", *both, "--url", url(running)).stdout.splitlines()) == 1
    bad = cli("outbox", "--status", "sent", "--url", url(running), check=False)
    assert bad.returncode == 2
    assert "invalid choice: 'sent' (choose from 'DELIVERED', 'SUPPRESSED')" in bad.stderr
    usage = cli("outbox", "--help").stdout
    assert "--status {DELIVERED,SUPPRESSED}" in usage
    assert "--vendor {capillary,messangi,symplify}" in usage


def test_the_enumerated_filters_are_those_the_api_declares() -> None:
    assert sorted(filter_choices.ENUMERATED) == sorted(filter_choices.declared())


def test_an_empty_outbox_says_so(running: httpx.Client) -> None:
    assert running.put("/_sandbox/tenants/empty").status_code in {200, 201}
    assert cli("outbox", "--tenant", "empty", "--url", url(running)).stdout == (
        "no messages in tenant empty's outbox\n"
    )
    assert cli("outbox", "--tenant", "empty", "--json", "--url", url(running)).stdout == "[]\n"
    filtered = cli("outbox", "--since", "2999-01-01", "--url", url(running)).stdout
    assert filtered == "no messages in tenant demo's outbox that match since=2999-01-01\n"


def test_snapshot_load_prints_the_new_tenants_credentials(
    running: httpx.Client, tmp_path: Path
) -> None:
    saved = tmp_path / "demo.yaml"
    cli("snapshot", "save", "--tenant", "demo", str(saved), "--url", url(running))
    loaded = cli("snapshot", "load", "--tenant", "fresh", str(saved), "--url", url(running))
    shown = running.get("/_sandbox/tenants/fresh").json()["credentials"]
    capillary, messangi, symplify = shown["capillary"], shown["messangi"], shown["symplify"]
    assert loaded.stdout.splitlines() == [
        f"created tenant fresh from {saved}; its credentials:",
        f"  capillary  Basic {capillary['username']} / {capillary['password']} "
        f"(oauth_key {capillary['oauth_key']}, oauth_secret {capillary['oauth_secret']})",
        f"  messangi   Authorization: {messangi['value']} "
        f"(username {messangi['username']}, password {messangi['password']})",
        f"  symplify   X-Carma-Authentication-Token: {symplify['value']}",
    ]
    as_json = cli(
        "snapshot", "load", "--tenant", "fresh", str(saved), "--json", "--url", url(running)
    )
    assert json.loads(as_json.stdout) == {"tenant": "fresh", "credentials": shown}


def test_a_closed_pipe_ends_quietly(running: httpx.Client) -> None:
    """`comms-sandbox outbox --json | head -1`: the reader is gone before the output is
    written (the pipe's read end closed at once, so it is so every time)."""
    for args in (("outbox", "--json"), ("outbox",), ("tenants",)):
        read, write = os.pipe()
        os.close(read)
        try:
            done = subprocess.run(
                [*COMMAND, *args, "--url", url(running)],
                stdout=write,
                stderr=subprocess.PIPE,
                text=True,
                timeout=60,
                check=False,
            )
        finally:
            os.close(write)
        assert (done.returncode, done.stderr) == (141, ""), args
    piped = subprocess.run(
        f"{shlex.join(COMMAND)} outbox --json --url {url(running)} | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert piped.stderr == "" and json.loads(piped.stdout)["vendor"] == "capillary"


def test_serve_help_says_where_data_goes() -> None:
    shown = " ".join(cli("serve", "--help").stdout.split())
    assert "--data-dir DATA_DIR where state persists (default $DATA_DIR, else ./.data" in shown


class FakeStream(http.server.BaseHTTPRequestHandler):
    """A control plane whose outbox is empty and whose event stream brings one message, then
    ends; asked again, it hangs up without answering (a server gone)."""

    asked: typing.ClassVar[list[str]] = []
    MESSAGE: typing.ClassVar[dict[str, str]] = {
        "id": "1000007",
        "created_at": "2026-12-01T09:35:26.235Z",
        "vendor": "capillary",
        "operation": "sendMessage",
        "channel": "SMS",
        "to": "919988221100",
        "status": "DELIVERED",
        "reason": "",
    }

    def do_GET(self) -> None:
        self.asked.append(f"{self.path} {self.headers.get('Last-Event-ID')}")
        if self.path.endswith("/events") and len(self.asked) > 3:
            self.close_connection = True
            return
        if self.path.endswith("/events"):
            body = b"retry: 1000\n\n: keep-alive\n\nid: 1000007\nevent: message\ndata: " + (
                json.dumps(self.MESSAGE).encode() + b"\n\n"
            )
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
        else:
            body = b'{"items": [], "total": 0}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_follow_reads_the_event_stream_and_ends_when_the_server_goes_away() -> None:
    fake = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeStream)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    try:
        there = f"http://127.0.0.1:{fake.server_address[1]}"
        done = subprocess.run(
            [*COMMAND, "outbox", "--follow", "--url", there],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    finally:
        fake.shutdown()
    lines = done.stdout.splitlines()
    assert lines[0] == "no messages in tenant demo's outbox"
    assert lines[1:] == [remote.line(FakeStream.MESSAGE)]
    assert FakeStream.asked[2:] == [
        "/_sandbox/tenants/demo/events 0",
        "/_sandbox/tenants/demo/events 1000007",  # resumed after the last event it read
    ]
    assert done.returncode == 1
    assert done.stderr.startswith(f"comms-sandbox: the sandbox at {there} went away (")
    assert len(done.stderr.splitlines()) == 1


def test_follow_filters_the_stream_and_ends_when_the_server_dies(tmp_path: Path) -> None:
    with server(tmp_path) as (process, client):
        follower = subprocess.Popen(
            [*COMMAND, "outbox", "-f", "-n", "1", "--status", "suppressed", "--url", url(client)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert follower.stdout is not None
        assert follower.stdout.readline() == (
            "no messages in tenant demo's outbox that match status=SUPPRESSED\n"
        )
        for to in ("919988221100", "919353491050"):  # delivered, then suppressed
            client.post(SMS, json={"sms": [{"to": to, "body": "new"}]}, auth=DEMO)
        line = follower.stdout.readline()
        assert "919353491050" in line and "SUPPRESSED" in line
        os.killpg(process.pid, signal.SIGKILL)
        _, err = follower.communicate(timeout=30)
    assert follower.returncode == 1
    assert err.startswith(f"comms-sandbox: the sandbox at {url(client)} went away (")
    assert len(err.splitlines()) == 1


def test_ctrl_c_ends_follow_quietly(running: httpx.Client) -> None:
    follower = subprocess.Popen(
        [*COMMAND, "outbox", "-f", "-n", "1", "--url", url(running)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert follower.stdout is not None
    assert follower.stdout.readline()  # it runs, and has shown the newest message
    time.sleep(0.5)  # into the stream
    follower.send_signal(signal.SIGINT)
    _, err = follower.communicate(timeout=30)
    assert (follower.returncode, err) == (130, "")
