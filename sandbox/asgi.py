"""The ASGI side of a request: the parts of the scope the sandbox reads (`Incoming`, its
headers decoded only when read), the body read to its limit, and answers written as ASGI
messages, or under uvicorn at once (sandbox/uvicorn_answer.py); no Starlette Request or
Response on the hot path."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from sandbox.errors import PayloadTooLarge

# an answer as the request path sends it: status (0: drop the connection), body (JSON,
# `Encoded`, or raw bytes), extra headers
Answer = tuple[int, Any, Mapping[str, str] | None]


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    if status == 204:  # No Content: HTTP forbids a body
        return Response(status_code=204, headers=headers)
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


class RawHeaders(Mapping[str, str]):
    """ASGI headers, decoded only when read (a request reads three or four of them). Names
    arrive lower-cased; the first of repeated headers wins; listed in the order received."""

    __slots__ = ("_raw", "_received")

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self._raw = dict(raw[::-1])
        self._received = raw

    def get(self, name: str, default: Any = None) -> Any:
        value = self._raw.get(name.encode("latin-1"))
        return default if value is None else value.decode("latin-1")

    def __getitem__(self, name: str) -> str:
        return self._raw[name.encode("latin-1")].decode("latin-1")

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name.decode("latin-1") for name, _ in self._received))

    def __len__(self) -> int:
        return len(self._raw)

    def decoded(self) -> dict[str, str]:
        """All of them decoded, as `dict(self)` gives them, in a third of its time."""
        headers: dict[str, str] = {}
        for name, value in self._received:
            key = name.decode("latin-1")
            if key not in headers:
                headers[key] = value.decode("latin-1")
        return headers


class Incoming:
    """The parts of an ASGI HTTP request the sandbox reads, taken straight from the scope
    (no Starlette Request: on the hot path every object counts)."""

    __slots__ = ("headers", "method", "path", "query_string", "receive")

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.query_string: bytes = scope["query_string"]
        self.receive = receive
        self.headers = RawHeaders(scope["headers"])

    def query(self) -> tuple[dict[str, str], dict[str, list[str]]]:
        """(the last value of each parameter, every value of each parameter given more than
        once)."""
        if not self.query_string:
            return {}, {}
        text = self.query_string.decode("latin-1")
        if "%" in text or "+" in text or ";" in text:  # escapes to decode: the library's
            pairs: Iterable[tuple[str, str]] = parse_qsl(text, keep_blank_values=True)
        elif "&" not in text:  # the common ?channel=sms
            key, _, value = text.partition("=")
            return {key: value}, {}
        else:  # nothing to decode: split as parse_qsl would (an empty part is no parameter)
            pairs = [part.partition("=")[::2] for part in text.split("&") if part]
        last: dict[str, str] = {}
        repeated: dict[str, list[str]] = {}
        for key, value in pairs:
            if key in last:
                repeated.setdefault(key, [last[key]]).append(value)
            last[key] = value
        return last, repeated


async def read_body(incoming: Incoming, limit: int) -> bytes:
    """The body, straight from ASGI `receive`, refused as soon as it passes `limit`."""
    declared = incoming.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body exceeds {limit} bytes", field="body")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await incoming.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body exceeds {limit} bytes", field="body")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class Encoded:
    """A JSON answer already encoded (`encode`): its `raw` bytes are sent as they are."""

    __slots__ = ("raw",)
    raw: bytes


_new = object.__new__


def encode(status: int, body: Any) -> Any:
    """The body `send_json` would send, encoded now: an answer that cannot be encoded fails
    here (TypeError, orjson.JSONEncodeError), before anything is written (sandbox/request_path.py).
    A `bytes` body, and a 204's, stay as they are."""
    if status == 204 or type(body) is bytes:
        return body
    encoded = _new(Encoded)  # (no __init__ to call: on every answer, every call counts)
    encoded.raw = orjson.dumps(body)
    return encoded


async def send_json(
    send: Send, status: int, body: Any, headers: Mapping[str, str] | None = None
) -> None:
    """A JSON answer as two ASGI messages (a 204 carries no body, as HTTP requires; a
    `bytes` body is sent as it is, e.g. the empty body of a login that answers in a header;
    an `Encoded` one is JSON encoded already). Under uvicorn's httptools protocol, written at
    once instead (sandbox/uvicorn_answer.py)."""
    if status == 204:
        raw, fields = b"", []
    elif type(body) is Encoded:
        raw = body.raw
        fields = [_JSON, (b"content-length", b"%d" % len(raw))]
    elif type(body) is bytes:
        raw, fields = body, [(b"content-length", b"%d" % len(body))]
    else:
        raw = orjson.dumps(body)
        fields = [_JSON, (b"content-length", b"%d" % len(raw))]
    if headers:  # (rare: uvicorn's send checks them)
        fields.extend(
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
        )
    else:
        cycle = getattr(send, "__self__", None)
        if cycle is not None:
            write = _WRITERS.get(type(cycle), _UNKNOWN)
            if write is _UNKNOWN:
                write = _writer_of(type(cycle))
            if write is not None and write(cycle, status, fields, raw):
                return  # under uvicorn: one write (sandbox/uvicorn_answer.py)
    await send({"type": "http.response.start", "status": status, "headers": fields})
    await send({"type": "http.response.body", "body": raw})


_JSON = (b"content-type", b"application/json")


AnswerWriter = Callable[[Any, int, list[tuple[bytes, bytes]], bytes], bool]
_WRITERS: dict[type, Any] = {}  # a `send`'s class -> its AnswerWriter, or None
_UNKNOWN = object()


def _writer_of(kind: type) -> AnswerWriter | None:
    """What writes an answer at once for a `send` bound to an instance of `kind`: for
    uvicorn's httptools request cycle, sandbox/uvicorn_answer.py (imported only then); None
    for any other. Decided once per class."""
    writer = None
    if kind.__module__ == "uvicorn.protocols.http.httptools_impl":
        from sandbox import uvicorn_answer

        writer = uvicorn_answer.write_answer if kind is uvicorn_answer.CYCLE else None
    _WRITERS[kind] = writer
    return writer


async def drop_connection(send: Send) -> None:
    """Close the connection without answering (an injected fault with status 0). Under
    uvicorn, `send` is a method of the request's cycle, which holds the connection's transport.
    Elsewhere (the in-process transport included) the app returns without answering, which
    the caller sees as a server that hung up."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None and hasattr(transport, "is_closing"):  # asyncio's or uvloop's
        transport.close()
        await asyncio.sleep(0)  # the server notes the lost connection before the app returns
