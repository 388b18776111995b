"""The event stream and the webhook (docs/contract.md section 10), against a real server:
each recorded message reaches an open stream and the tenant's webhook, with its decision; a
webhook that hangs or refuses costs the sending request nothing, and every delivery's outcome
is in the request log."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from event_stream import listening, wait_for
from live_server import free_port, server
from webhook_receiver import Receiver

SMS = "/capillary/v2/communications/sendMessage?channel=sms"
AUTH = ("demo_till", "demo-password")
BLOCKED, ACTIVE = "919353491050", "919988221100"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    with server(tmp_path_factory.mktemp("events")) as (_, client):
        yield client


@pytest.fixture
def demo(sandbox: httpx.Client) -> Iterator[httpx.Client]:
    assert sandbox.post("/_sandbox/tenants/demo/reset").status_code == 200
    yield sandbox
    sandbox.put("/_sandbox/tenants/demo/settings", json={"webhook_url": None})


def send(client: httpx.Client, to: str) -> httpx.Response:
    body = {"sms": [{"to": to, "body": "Your order has shipped"}]}
    return client.post(SMS, json=body, auth=AUTH)


def webhook_entries(client: httpx.Client) -> list[dict[str, Any]]:
    log = client.get("/_sandbox/tenants/demo/requests", params={"limit": 1000}).json()["items"]
    return [entry for entry in log if entry["operationId"] == "webhook"]


def webhook_told(client: httpx.Client) -> dict[str, tuple[int, str | None]]:
    """Each message's webhook delivery as the request log tells it: (status, error). Answers
    alike in a row share one entry."""
    return {
        message_id: (entry["status"], entry.get("error"))
        for entry in webhook_entries(client)
        for message_id in entry["message_ids"]
    }


def test_each_recorded_message_is_an_event_with_its_decision(demo: httpx.Client) -> None:
    with listening(demo, "/_sandbox/tenants/demo/events", count=2) as events:
        sent_at = time.monotonic()
        send(demo, BLOCKED)
        send(demo, ACTIVE)
    assert time.monotonic() - sent_at < 1.0
    assert [(e["to"], e["status"], e["reason"]) for e in events] == [
        (BLOCKED, "SUPPRESSED", "CUSTOMER_STATUS_BLOCKED"),
        (ACTIVE, "DELIVERED", None),
    ]
    assert events[0]["decision"][0]["rule"] == "customer_status_block"
    assert events[0] == demo.get(f"/_sandbox/tenants/demo/outbox/{events[0]['id']}").json()


def test_a_scheduled_message_reaches_an_open_stream_when_due_unasked(demo: httpx.Client) -> None:
    """A Symplify trigger with a deliveryTime a second ahead on the demo's (real-time) clock:
    the app records it when due though no request comes, and the open stream hears it."""
    with listening(demo, "/_sandbox/tenants/demo/events") as events:
        now = datetime.fromisoformat(demo.get("/_sandbox/tenants/demo/clock").json()["now"])
        due = (now + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S+0000")
        token = demo.get("/_sandbox/tenants/demo").json()["credentials"]["symplify"]["value"]
        answer = demo.post(
            "/symplify/1234/triggers/7/messages",
            json={"originalId": "111", "deliveryTime": due},
            headers={"X-Carma-Authentication-Token": token},
        )
        assert answer.status_code == 200 and "scheduled" in answer.json()["message"]
    [event] = events
    assert (event["operation"], event["to"]) == ("sendTrigger", "lady_gaga@example.com")
    assert event["created_at"].startswith(due[:19])


def test_a_reconnecting_stream_gets_the_messages_it_missed(demo: httpx.Client) -> None:
    first = send(demo, BLOCKED)
    assert first.status_code == 200
    missed = demo.get("/_sandbox/tenants/demo/outbox", params={"limit": 1}).json()["items"][0]
    send(demo, ACTIVE)
    last_id = str(int(missed["id"]))
    with demo.stream(
        "GET", "/_sandbox/tenants/demo/events", headers={"Last-Event-ID": last_id}, timeout=5
    ) as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                assert json.loads(line[6:])["to"] == ACTIVE
                break


def test_an_unknown_tenant_has_no_stream(sandbox: httpx.Client) -> None:
    response = sandbox.get("/_sandbox/tenants/nobody/events")
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "tenant"


def test_the_webhook_receives_each_message_once_and_the_log_says_so(
    demo: httpx.Client, receiver: str
) -> None:
    settings = demo.put("/_sandbox/tenants/demo/settings", json={"webhook_url": receiver})
    assert settings.status_code == 200 and settings.json()["webhook_url"] == receiver
    send(demo, BLOCKED)
    send(demo, ACTIVE)
    wait_for(lambda: len(Receiver.received) == 2)
    assert [(m["to"], m["status"]) for m in Receiver.received] == [
        (BLOCKED, "SUPPRESSED"),
        (ACTIVE, "DELIVERED"),
    ]
    assert Receiver.received[0]["decision"][0]["outcome"] == "suppress"
    told = wait_for(lambda: len(webhook_told(demo)) == 2 and webhook_told(demo))
    assert told == {m["id"]: (204, None) for m in Receiver.received}
    entries = webhook_entries(demo)
    assert {(e["method"], e["path"]) for e in entries} == {("POST", receiver)}
    time.sleep(0.3)
    assert len(Receiver.received) == 2  # once: no retry, no duplicate


def test_a_hanging_webhook_costs_the_sender_nothing(demo: httpx.Client) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepts connections, never answers
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
    try:
        demo.put("/_sandbox/tenants/demo/settings", json={"webhook_url": url})
        started = time.monotonic()
        for _ in range(3):
            assert send(demo, ACTIVE).status_code == 200
        assert time.monotonic() - started < 0.5  # three sends, none waits for the webhook
        told = wait_for(lambda: len(webhook_told(demo)) == 3 and webhook_told(demo), 6)
        assert set(told.values()) == {(0, "no answer within 1 s")}
    finally:
        silent.close()


def test_a_refusing_webhook_is_logged_undelivered(demo: httpx.Client) -> None:
    url = f"http://127.0.0.1:{free_port()}/nobody-listens"
    demo.put("/_sandbox/tenants/demo/settings", json={"webhook_url": url})
    assert send(demo, ACTIVE).status_code == 200
    [entry] = wait_for(lambda: webhook_entries(demo))
    assert entry["status"] == 0 and "Connect" in entry["error"]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "/relative/path",
        "http://",
        "not a url",
        42,
        "http://a b/",
        "http://example.com/\u20ac",
        "http://b\u00fccher.example/",
        "http://example.com/\r\nX-Injected: 1",
    ],
)
def test_a_webhook_url_must_be_an_absolute_http_url(demo: httpx.Client, url: object) -> None:
    before = demo.get("/_sandbox/tenants/demo/settings").json()
    response = demo.put("/_sandbox/tenants/demo/settings", json={"webhook_url": url})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "webhook_url"
    assert demo.get("/_sandbox/tenants/demo/settings").json() == before


def test_the_webhook_survives_a_restart(tmp_path: Path, receiver: str) -> None:
    with server(tmp_path) as (_, client):
        client.put("/_sandbox/tenants/demo/settings", json={"webhook_url": receiver})
    with server(tmp_path) as (_, client):
        send(client, BLOCKED)
        wait_for(lambda: Receiver.received)
    assert Receiver.received[0]["to"] == BLOCKED


def test_a_reset_removes_the_webhook(demo: httpx.Client, receiver: str) -> None:
    demo.put("/_sandbox/tenants/demo/settings", json={"webhook_url": receiver})
    demo.post("/_sandbox/tenants/demo/reset")
    assert "webhook_url" not in demo.get("/_sandbox/tenants/demo/settings").json()
    send(demo, ACTIVE)
    time.sleep(0.3)
    assert Receiver.received == []


def test_a_removed_webhook_receives_nothing_more(demo: httpx.Client, receiver: str) -> None:
    demo.put("/_sandbox/tenants/demo/settings", json={"webhook_url": receiver})
    send(demo, BLOCKED)
    wait_for(lambda: Receiver.received)
    removed = demo.put("/_sandbox/tenants/demo/settings", json={"webhook_url": None})
    assert removed.status_code == 200 and "webhook_url" not in removed.json()
    send(demo, ACTIVE)
    send(demo, ACTIVE)
    time.sleep(0.3)
    assert [m["to"] for m in Receiver.received] == [BLOCKED]
    assert len(webhook_entries(demo)) == 1  # no delivery tried, none logged


def test_interim_and_chunked_answers_are_read_whole_on_one_connection(demo: httpx.Client) -> None:
    """A target that answers `100 Continue` first, then a chunked 200 with a trailer, on
    one kept-alive connection: each message gets its own 200, none is mistaken for another."""
    target = socket.socket()
    target.bind(("127.0.0.1", 0))
    target.listen(4)
    answer = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\nX-Trailer: yes\r\n\r\n"
    )
    connections: list[int] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = target.accept()
            except OSError:
                return
            connections.append(1)
            buffered = b""
            with conn:
                while True:
                    data = conn.recv(65536)
                    if not data:
                        break
                    buffered += data
                    while b"\r\n\r\n" in buffered:
                        head, _, rest = buffered.partition(b"\r\n\r\n")
                        length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                        if len(rest) < length:
                            break
                        buffered = rest[length:]
                        conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    url = f"http://127.0.0.1:{target.getsockname()[1]}/"
    try:
        demo.put("/_sandbox/tenants/demo/settings", json={"webhook_url": url})
        recipients = (BLOCKED, ACTIVE, ACTIVE)
        sms = {"sms": [{"to": to, "body": "one request, three messages"} for to in recipients]}
        assert demo.post(SMS, json=sms, auth=AUTH).status_code == 200
        told = wait_for(lambda: len(webhook_told(demo)) == 3 and webhook_told(demo))
        assert set(told.values()) == {(200, None)}
        assert connections == [1]  # the burst went over one connection, pipelined
    finally:
        target.close()


# a webhook URL at the sandbox's own control plane, however it is spelled ({} is the port)
AT_THE_CONTROL_PLANE = [
    "http://127.0.0.1:{}/_sandbox/tenants/victim/reset",
    "http://localhost:{}/_sandbox/tenants/victim/reset",
    "http://[::1]:{}/_sandbox/tenants/victim/reset",
    "http://0.0.0.0:{}/_sandbox/tenants/victim/reset",
    "http://127.0.0.1:{}//_sandbox/tenants/victim/reset",
    "http://127.0.0.1:{}/%2F_sandbox/tenants/victim/reset",
    "http://127.0.0.1:{}/%5Fsandbox/tenants/victim/reset",
    "http://127.0.0.1:{}/./_sandbox/tenants/victim/reset",
    "http://127.0.0.1:{}/hook/../_sandbox/tenants/victim/reset",
    "http://127.0.0.1:{}/_sandbox%2Ftenants%2Fvictim%2Freset",
    "http://127.0.0.1:{}/_sandbox",
]


@pytest.fixture
def victim(sandbox: httpx.Client) -> Iterator[str]:
    """Another tenant, with a message in its outbox (a reset would empty it)."""
    from sandbox.testing.example import EXAMPLE_FIXTURE

    assert sandbox.put("/_sandbox/tenants/victim", json=EXAMPLE_FIXTURE).status_code in {200, 201}
    auth = sandbox.get("/_sandbox/tenants/victim").json()["credentials"]["capillary"]
    sent = sandbox.post(
        SMS,
        json={"sms": [{"to": ACTIVE, "body": "kept"}]},
        auth=(auth["username"], auth["password"]),
    )
    assert sent.status_code == 200
    yield "victim"
    sandbox.delete("/_sandbox/tenants/victim")


def victim_outbox(client: httpx.Client) -> list[str]:
    items = client.get("/_sandbox/tenants/victim/outbox").json()["items"]
    return [m["body"] for m in items]


@pytest.mark.parametrize("spelling", AT_THE_CONTROL_PLANE)
def test_a_webhook_at_the_control_plane_is_refused(
    demo: httpx.Client, victim: str, spelling: str
) -> None:
    url = spelling.format(demo.base_url.port)
    before = demo.get("/_sandbox/tenants/demo/settings").json()
    answer = demo.put("/_sandbox/tenants/demo/settings", json={"webhook_url": url})
    assert answer.status_code == 400, url
    error = answer.json()["error"]
    assert error["field"] == "webhook_url" and "control plane" in error["message"]
    assert demo.get("/_sandbox/tenants/demo/settings").json() == before
    fixture = {"settings": {"webhook_url": url}}
    refused = demo.put("/_sandbox/tenants/attacker", json=fixture)
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "settings.webhook_url"
    assert send(demo, ACTIVE).status_code == 200
    time.sleep(0.1)
    assert victim_outbox(demo) == ["kept"]


def test_a_webhook_that_reaches_the_control_plane_anyway_acts_on_nothing(
    demo: httpx.Client, victim: str
) -> None:
    """A name or a proxy the URL check cannot see through (here a proxy that strips /hook,
    as a reverse proxy at a sub-path does): the delivery itself is refused by the guard."""
    assert demo.base_url.port is not None
    proxy = PrefixProxy(demo.base_url.port, b"/hook")
    try:
        url = f"http://127.0.0.1:{proxy.port}/hook/_sandbox/tenants/victim/reset"
        assert demo.put("/_sandbox/tenants/demo/settings", json={"webhook_url": url}).is_success
        assert send(demo, ACTIVE).status_code == 200
        [entry] = wait_for(lambda: webhook_entries(demo))
        assert proxy.forwarded  # it did reach the sandbox
        assert entry["status"] == 403
        assert victim_outbox(demo) == ["kept"]
    finally:
        proxy.close()


class PrefixProxy:
    """Forwards each connection to the sandbox, its request lines' `prefix` taken off."""

    def __init__(self, port: int, prefix: bytes) -> None:
        self.upstream, self.prefix = port, prefix
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.forwarded = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, rewrite: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if rewrite:
                    self.forwarded += data.count(b" " + self.prefix + b"/")
                    data = data.replace(b" " + self.prefix + b"/", b" /")
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.listener.close()


def test_a_reconnecting_streams_backlog_gives_each_message_as_it_is_stored() -> None:
    """Of the messages a stream missed, one a unit still in flight (a database's group
    commit) put new is left out and one it changed is given as stored before it: the bus
    tells each of them once its unit is stored. (No request changes a stored message today:
    every put to the outbox is a new id; this holds the backlog to it should one.)"""
    from sandbox.ui.stream import _stored

    kept, changed, new = {"id": "1", "s": "a"}, {"id": "2", "s": "b"}, {"id": "3", "s": "c"}
    before = {"id": "2", "s": "as stored"}
    assert _stored([kept, changed, new], {"2": before, "3": None}) == [kept, before]
    assert _stored([kept, changed], {}) == [kept, changed]
