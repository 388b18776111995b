"""Hostile input costs nothing: YAML bombs and oddities, JSON nested past any use, floods of
header bytes, idle and slow connections, more tenants than file descriptors. Each is a clear
4xx (or a closed connection) and changes nothing; the server keeps answering everyone else."""

from __future__ import annotations

import contextlib
import socket
import time
from pathlib import Path

import httpx
import orjson
import pytest
import yaml
from live_server import server

from sandbox.testing import Sandbox, Tenant

YAML = {"Content-Type": "application/yaml"}
LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [
        f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]"
        for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
    ]
)


@pytest.mark.parametrize(
    ("document", "field", "words"),
    [
        (LAUGHS, "body", "expands to"),  # 9^9 strings from a few hundred bytes
        (
            "capillary: &c {customers: [*c]}",
            "capillary.customers[0]",
            "refers to a node that contains it",
        ),
        ("capillary:\n  status_labels: !!binary aGVsbG8=", "capillary.status_labels", "!!binary"),
        ("messangi: !!set {a, b}", "messangi", "!!set"),
        ("symplify: !!python/object:os.system {}", "symplify", "python/object"),
        ("capillary:\n  ~: 1", "capillary", "is not a string"),
        ("capillary:\n  42: 1", "capillary", "is not a string"),
        (
            "capillary: " + "[" * 80 + "]" * 80,
            "capillary[0][0][0][0][0]",
            "nested more than 64 levels deep",
        ),
        ("capillary: {customers: [", "body", "is not valid YAML"),
    ],
)
def test_yaml_that_is_not_a_plain_document_is_refused_naming_the_path(
    http: httpx.Client, document: str, field: str, words: str
) -> None:
    answer = http.put("/_sandbox/tenants/hostile", content=document, headers=YAML)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["field"].startswith(field) and words in error["message"], error
    assert http.get("/_sandbox/tenants/hostile").status_code == 404


def test_yaml_dates_stay_the_strings_they_were_written_as(http: httpx.Client) -> None:
    document = "clock: {now: 2026-11-23T10:00:00Z, frozen: true}\n"
    answer = http.put("/_sandbox/tenants/dated", content=document, headers=YAML)
    assert answer.status_code == 201, answer.text
    assert http.get("/_sandbox/tenants/dated/clock").json()["now"] == "2026-11-23T10:00:00.000Z"


def test_json_nested_past_any_use_is_refused_before_anything_is_recorded(
    http: httpx.Client, tenant: Tenant
) -> None:
    deep = '{"a": ' * 300 + "1" + "}" * 300
    body = '{"sms": [{"to": "919988221100", "body": "x", "extra": ' + deep + "}]}"
    answer = http.post(
        "/capillary/v2/communications/sendMessage",
        content=body,
        headers={**tenant.capillary_auth(), "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["message"].endswith("nested more than 64 levels deep")
    assert tenant.outbox() == []


def test_a_large_document_is_parsed_in_slices_with_the_same_result(http: httpx.Client) -> None:
    """Bodies over 1 MiB take the sliced parser: the same answers, good and bad."""
    customers = [{"id": 565100000 + n, "mobile": f"9199{n:08d}"} for n in range(40_000)]
    good = {"capillary": {"customers": customers}}
    created = http.put("/_sandbox/tenants/large", json=good)
    assert created.status_code == 201
    snapshot = http.get("/_sandbox/tenants/large/snapshot").json()
    assert len(snapshot["capillary"]["customers"]) == 40_000
    bad = httpx.Request("PUT", "/", json=good).read()[:-2] + b",}"
    refused = http.put(
        "/_sandbox/tenants/large", content=bad, headers={"Content-Type": "application/json"}
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["message"].startswith("request body is not valid JSON")


def test_the_request_log_keeps_bounded_entries(http: httpx.Client, tenant: Tenant) -> None:
    query = "channel=sms&" + "padding=" + "x" * 60_000
    http.post(
        f"/capillary/v2/communications/sendMessage?{query}",
        json={"sms": [{"to": "919988221100", "body": "x"}]},
        headers=tenant.capillary_auth(),
    )
    [entry] = http.get(f"{tenant.control}/requests").json()["items"]
    assert len(entry["query"]) < 1100 and entry["query"].endswith("more characters)")


# --- the HTTP layer, on a real server ------------------------------------------------------


def _raw(port: int, data: bytes, wait: float = 5) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        with contextlib.suppress(OSError):  # closed first: what it said is still to be read
            sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def test_header_floods_and_slow_requests_are_cut_off(tmp_path: Path) -> None:
    env_limits = {"SANDBOX_HEAD_TIMEOUT": "1", "SANDBOX_BODY_TIMEOUT": "1"}
    import os

    with server(tmp_path, env={**os.environ, **env_limits}) as (_, client):
        port = client.base_url.port
        assert port is not None
        flood = _raw(port, b"GET /_sandbox/health HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 4_000_000)
        assert flood.startswith(b"HTTP/1.1 431 ") and b'"HEADERS_TOO_LARGE"' in flood
        slow_head = _raw(port, b"GET /_sandbox/health HTTP/1.1\r\n")
        assert slow_head.startswith(b"HTTP/1.1 408 ") and b"head took over 1 s" in slow_head
        slow_body = _raw(
            port,
            b"PUT /_sandbox/tenants/slow HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        )
        assert slow_body.startswith(b"HTTP/1.1 408 ") and b"body took over 1 s" in slow_body
        assert client.get("/_sandbox/tenants/slow").status_code == 404  # nothing created
        assert client.get("/_sandbox/health").json() == {"status": "ok"}


def test_idle_connections_cannot_starve_clients_that_send_requests(tmp_path: Path) -> None:
    """With 256 file descriptors the server keeps at most 64 connections: 300 idle ones push
    each other out, and a client with a request still gets its answer."""
    with server(tmp_path, open_files=256) as (_, client):
        port = client.base_url.port
        assert port is not None
        idle = []
        for _ in range(300):
            try:
                idle.append(socket.create_connection(("127.0.0.1", port), timeout=2))
            except OSError:
                break
        time.sleep(0.2)
        try:
            fresh = httpx.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=5)
            assert fresh.json() == {"status": "ok"}
        finally:
            for sock in idle:
                sock.close()


def test_more_tenants_than_file_descriptors(tmp_path: Path) -> None:
    """Idle tenants hold no open file: 300 tenants, each written to twice, under a limit of 256
    open files; every write is acknowledged and still there after a restart."""
    with server(tmp_path, open_files=256) as (_, client):
        sandbox = Sandbox(client)
        tenants = [sandbox.create_tenant({}, name=f"t{n:03d}") for n in range(300)]
        for _ in range(2):
            for tenant in tenants:
                answer = client.put(f"{tenant.control}/clock", json={"frozen": True})
                assert answer.status_code == 200, answer.text
    with server(tmp_path, open_files=256) as (_, client):
        assert len(client.get("/_sandbox/tenants").json()["tenants"]) == 301
        assert client.get("/_sandbox/tenants/t299/clock").json()["frozen"] is True


def test_a_large_document_names_its_bad_item_as_a_small_one_would(http: httpx.Client) -> None:
    """Over 1 MiB, a document is parsed in slices and its long arrays validated apart: the
    answers are the same, down to the path of the bad key."""
    customers = [
        {"id": 565100000 + n, "mobile": f"9199{n:08d}", "email": f"c{n}@example.com"}
        for n in range(20_000)
    ]
    customers[15_000] = {"id": 1, "mobil": "919988221100"}
    document = {"capillary": {"customers": customers}}
    for body, kind in (
        (httpx.Request("PUT", "/", json=document).read(), "application/json"),
        (yaml.safe_dump(document).encode(), "application/yaml"),
    ):
        assert len(body) > 1024 * 1024
        answer = http.put(
            "/_sandbox/tenants/large-bad", content=body, headers={"Content-Type": kind}
        )
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["field"] == "capillary.customers[15000].mobil"
    assert http.get("/_sandbox/tenants/large-bad").status_code == 404


def test_json_pieces_come_out_as_orjson_writes_them() -> None:
    from sandbox import json_slices

    documents = [{}, [], {"a": list(range(5000)), "b": {"c": [1, 2]}, "d": None}, list(range(4001))]
    for document in documents:
        assert b"".join(json_slices.dumps_in_pieces(document, 2000)) == orjson.dumps(document)
        text = orjson.dumps(document).decode()
        assert json_slices.loads(text) == document
    emptied = {"a": list(range(5000)), "b": [{"c": list(range(3000))}]}
    json_slices.free_in_pieces(emptied, 1000)
    assert emptied == {"a": [], "b": [{"c": []}]}  # long lists emptied, short ones walked
