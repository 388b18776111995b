"""The ASGI layer on its own: headers, query strings, bodies read to their limit, answers
written as ASGI messages, and JSON bodies parsed or refused with the field named."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qsl

import pytest
from starlette.requests import ClientDisconnect
from uvicorn_by_hand import RecordingTransport, uvicorn_protocol

from sandbox.asgi import Incoming, RawHeaders, read_body, send_json
from sandbox.bodies import parse_json
from sandbox.errors import InvalidInput, PayloadTooLarge


def incoming(
    messages: list[dict[str, Any]], headers: tuple[tuple[bytes, bytes], ...] = ()
) -> Incoming:
    queue = list(messages)

    async def receive() -> dict[str, Any]:
        return queue.pop(0)

    scope = {"method": "POST", "path": "/x", "query_string": b"", "headers": list(headers)}
    return Incoming(scope, receive)


def test_headers_are_read_by_lower_case_name_and_the_first_of_repeated_wins() -> None:
    headers = RawHeaders([(b"x-key", b"first"), (b"x-key", b"second"), (b"host", b"h")])
    assert headers.get("x-key") == "first"
    assert headers["host"] == "h"
    assert headers.get("missing", "default") == "default"
    assert sorted(headers) == ["host", "x-key"] and len(headers) == 2


@pytest.mark.parametrize(
    ("query", "last", "every"),
    [
        (b"", {}, {}),
        (b"channel=sms", {"channel": "sms"}, {"channel": ["sms"]}),
        (b"a=1&a=2&b=x%20y", {"a": "2", "b": "x y"}, {"a": ["1", "2"], "b": ["x y"]}),
        (b"flag", {"flag": ""}, {"flag": [""]}),
    ],
)
def test_a_query_string_gives_the_last_and_every_value(
    query: bytes, last: dict[str, str], every: dict[str, list[str]]
) -> None:
    scope = {"method": "GET", "path": "/", "query_string": query, "headers": []}
    repeated = {key: values for key, values in every.items() if len(values) > 1}
    assert Incoming(scope, None).query() == (last, repeated)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "query",
    [
        b"pageSize=100&lastId=2047850000",
        b"a=1&&a=2&",
        b"&",
        b"a&b=&=c&a=3",
        b"a=1=2&b",
        b"x=%41&y=1",
        b"x=a+b&y",
        b"x=1;y=2&z",
        b"\xe9=\xff&k=v",
    ],
)
def test_a_query_string_reads_as_the_standard_library_reads_it(query: bytes) -> None:
    """The split without the library (nothing to decode) reads what parse_qsl reads: the
    last value of each parameter, and every value of those given more than once."""
    every: dict[str, list[str]] = {}
    for key, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True):
        every.setdefault(key, []).append(value)
    last = {key: values[-1] for key, values in every.items()}
    scope = {"method": "GET", "path": "/", "query_string": query, "headers": []}
    repeated = {key: values for key, values in every.items() if len(values) > 1}
    assert Incoming(scope, None).query() == (last, repeated)  # type: ignore[arg-type]


def test_a_body_in_chunks_is_joined() -> None:
    chunks = [
        {"type": "http.request", "body": b'{"a":', "more_body": True},
        {"type": "http.request", "body": b"1}", "more_body": False},
    ]
    assert asyncio.run(read_body(incoming(chunks), 100)) == b'{"a":1}'


def test_a_declared_length_past_the_limit_is_refused_before_reading() -> None:
    request = incoming([], headers=((b"content-length", b"101"),))
    with pytest.raises(PayloadTooLarge, match="exceeds 100 bytes"):
        asyncio.run(read_body(request, 100))


def test_a_streamed_body_past_the_limit_is_refused_as_it_arrives() -> None:
    chunks = [{"type": "http.request", "body": b"x" * 60, "more_body": True}] * 2
    with pytest.raises(PayloadTooLarge):
        asyncio.run(read_body(incoming(chunks), 100))


def test_a_client_that_hangs_up_stops_the_read() -> None:
    with pytest.raises(ClientDisconnect):
        asyncio.run(read_body(incoming([{"type": "http.disconnect"}]), 100))


def sent(status: int, body: Any, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(send_json(send, status, body, headers))
    return messages


def test_a_json_answer_is_two_messages_with_its_length() -> None:
    start, body = sent(200, {"ok": True}, {"Retry-After": "3"})
    assert start["status"] == 200
    assert (b"content-type", b"application/json") in start["headers"]
    assert (b"content-length", b"11") in start["headers"]
    assert (b"retry-after", b"3") in start["headers"]
    assert body["body"] == b'{"ok":true}'


def test_a_204_carries_no_body_and_bytes_are_sent_as_they_are() -> None:
    assert sent(204, {"ignored": 1})[1]["body"] == b""
    start, body = sent(200, b"")
    assert body["body"] == b"" and (b"content-length", b"0") in start["headers"]


@pytest.mark.parametrize(
    ("raw", "field", "words"),
    [
        (b'{"a": NaN}', "body", "not valid JSON"),
        (b'{"a": {"b": 1e999}}', "a.b", "number out of range"),
        (b"[" * 70 + b"]" * 70, None, "nested more than 64 levels deep"),
        (b"\xff", "body", "not valid JSON"),
    ],
)
def test_a_bad_json_body_is_refused_naming_the_field(
    raw: bytes, field: str | None, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words) as refused:
        parse_json(raw)
    if field is not None:
        assert refused.value.field == field


def test_a_body_nested_64_levels_is_accepted() -> None:
    assert parse_json(b"[" * 64 + b"]" * 64) == eval("[" * 64 + "]" * 64)


def test_headers_are_listed_in_the_order_they_arrived() -> None:
    """The web outbox shows a request's headers as sent: first header first."""
    raw = [(b"host", b"h"), (b"authorization", b"Basic x"), (b"content-type", b"a/b")]
    headers = RawHeaders([*raw, (b"host", b"second")])
    assert list(headers) == ["host", "authorization", "content-type"]
    assert headers["host"] == "h"


def served(
    request: bytes,
    status: int,
    body: Any,
    paused: bool = False,
    headers: dict[str, str] | None = None,
) -> RecordingTransport:
    """`request` (one or several, pipelined) through uvicorn's httptools protocol to an app
    answering each with send_json and its path (`paused`: the connection's writing paused,
    resumed a moment later)."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if paused:
            protocol.pause_writing()
            asyncio.get_running_loop().call_later(0.01, protocol.resume_writing)
        answer = {**body, "path": scope["path"]} if isinstance(body, dict) else body
        await send_json(send, status, answer, headers)

    async def run() -> None:
        nonlocal protocol
        protocol = uvicorn_protocol(app)
        protocol.connection_made(transport)
        protocol.data_received(request)
        for _ in range(10):
            await asyncio.sleep(0)
        await asyncio.sleep(0.05)

    protocol: Any = None
    transport = RecordingTransport()
    asyncio.run(run())
    return transport


def test_under_uvicorn_an_answer_is_one_write_and_the_connection_stays_open() -> None:
    transport = served(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n", 200, {"ok": True})
    [written] = transport.writes
    assert written.startswith(b"HTTP/1.1 200 OK\r\n")
    assert written.endswith(b'\r\n\r\n{"ok":true,"path":"/"}')
    assert b"content-length: 22\r\n" in written and not transport.closed


def test_under_uvicorn_an_answer_on_a_closing_connection_is_written_before_it_closes() -> None:
    transport = served(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n", 404, {"e": 1})
    [written] = transport.writes
    assert written.startswith(b"HTTP/1.1 404") and written.endswith(b'{"e":1,"path":"/"}')
    assert b"connection: close\r\n" in written and transport.closed


@pytest.mark.parametrize(("method", "status"), [(b"HEAD", 200), (b"GET", 204)])
def test_under_uvicorn_an_answer_with_no_body_is_its_head_in_one_write(
    method: bytes, status: int
) -> None:
    transport = served(method + b" / HTTP/1.1\r\nhost: x\r\n\r\n", status, {"ok": True})
    [written] = transport.writes
    assert written.startswith(b"HTTP/1.1 %d" % status) and written.endswith(b"\r\n\r\n")


def test_under_uvicorn_pipelined_requests_are_answered_in_order_one_write_each() -> None:
    requests = b"GET /a HTTP/1.1\r\nhost: x\r\n\r\nGET /b HTTP/1.1\r\nhost: x\r\n\r\n"
    first, second = served(requests, 200, {}).writes
    assert first.endswith(b'{"path":"/a"}') and second.endswith(b'{"path":"/b"}')


def test_under_uvicorn_an_answer_to_a_paused_connection_waits_for_it_whole() -> None:
    """Writing paused (a client not reading): uvicorn's send waits for it to drain (the
    answer not written at once: two writes, as uvicorn's send makes them)."""
    head, body = served(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n", 200, {}, paused=True).writes
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and body == b'{"path":"/"}'


def test_under_uvicorn_an_answer_with_headers_of_its_own_goes_through_uvicorns_checks() -> None:
    """A header of the answer's own (a Retry-After, a WWW-Authenticate) is uvicorn's to check:
    the answer takes its send (two writes); one uvicorn refuses is not written at all."""
    request = b"GET / HTTP/1.1\r\nhost: x\r\n\r\n"
    head, body = served(request, 429, {}, headers={"Retry-After": "3"}).writes
    assert b"retry-after: 3\r\n" in head and body == b'{"path":"/"}'
    refused = served(request, 200, {}, headers={"X-Echo": "a\r\nset-cookie: x"})
    assert refused.writes == [] and refused.closed
