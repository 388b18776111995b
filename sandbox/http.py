"""What every vendor's request path shares: the request as read from ASGI, its body and
JSON, the answer as written to ASGI, and the handler's view of a request (Context, Reply)."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from sandbox import json_slices, outbox, yaml_documents
from sandbox.clock import iso, wall_now
from sandbox.engine import Decision, Facts, Intent
from sandbox.errors import (
    ApiError,
    InvalidInput,
    PayloadTooLarge,
)
from sandbox.spec import Operation, field_name
from sandbox.store import Doc, Store, TenantData, Tx


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    if status == 204:  # No Content: HTTP forbids a body
        return Response(status_code=204, headers=headers)
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


@dataclass
class Reply:
    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Offload:
    """What a handler of an offloaded operation returns: `work()` runs in a worker thread (it
    must not touch shared state), then `finish(its result)` makes the Reply on the event loop
    thread, where every change to the store happens."""

    work: Callable[[], Any]
    finish: Callable[[Any], Reply]


@dataclass(slots=True)
class Context:
    """Everything a vendor handler may use; handlers never touch the Starlette request."""

    op: Operation
    store: Store
    tenant: TenantData | None
    query: dict[str, Any]
    path: dict[str, Any]
    headers: Mapping[str, str]
    body: Any
    item_errors: dict[tuple[str | int, ...], ApiError]
    message_ids: list[str] = field(default_factory=list)
    raw: bytes = b""  # an offloaded operation's body, parsed by `parse_body` in its worker
    _now: datetime | None = None
    _stamp: str | None = None

    def parse_body(self) -> Any:
        """An offloaded operation's body, parsed and validated (InvalidInput as usual)."""
        if not self.raw.strip():
            if self.op.body_required:
                raise InvalidInput("request body is required", field="body")
            return None
        body = self.op.unwrap_body(
            parse_body(self.raw, self.headers.get("content-type", ""), self.op)
        )
        if self.op.body_schema is not None and len(self.raw) > json_slices.SLICED_BYTES:
            self.op.validate_in_pieces(body)  # no one long call into the validator
        else:
            self.item_errors = self.op.validate_body(body)
        return body

    @property
    def data(self) -> TenantData:
        assert self.tenant is not None, f"{self.op.operation_id} needs an authenticated tenant"
        return self.tenant

    @property
    def now(self) -> datetime:
        """The tenant's time, read once per request: everything a request writes shares it."""
        if self._now is None:
            self._now = self.tenant.clock.now() if self.tenant is not None else wall_now()
        return self._now

    def record(
        self,
        tx: Tx,
        intent: Intent,
        facts: Facts,
        *,
        subject: str | None = None,
        body: str | None = None,
    ) -> tuple[Doc, Decision]:
        """Decide and stage one message this request triggers (sandbox/outbox.py), stamped
        with the request's time; its id goes to the request log."""
        message, decision = outbox.record(
            tx, intent, facts, subject=subject, body=body, stamp=self.stamp
        )
        self.message_ids.append(message["id"])
        return message, decision

    @property
    def stamp(self) -> str:
        """`now` in ISO 8601, formatted once per request."""
        if self._stamp is None:
            self._stamp = iso(self.now)
        return self._stamp


Handler = Callable[[Context], "Reply | Offload"]
Authenticator = Callable[[Mapping[str, str], Store], TenantData]


class Handlers(dict[str, Handler]):
    """operationId -> handler; `@handlers("sendMessage")` registers one."""

    def __call__(self, operation_id: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if operation_id in self:
                raise ValueError(f"two handlers for {operation_id}")
            self[operation_id] = handler
            return handler

        return register


class RawHeaders(Mapping[str, str]):
    """ASGI headers, decoded only when read (a request reads three or four of them). Names
    arrive lower-cased; the first of repeated headers wins."""

    __slots__ = ("_raw",)

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self._raw = dict(raw[::-1])

    def get(self, name: str, default: Any = None) -> Any:
        value = self._raw.get(name.encode("latin-1"))
        return default if value is None else value.decode("latin-1")

    def __getitem__(self, name: str) -> str:
        return self._raw[name.encode("latin-1")].decode("latin-1")

    def __iter__(self) -> Iterator[str]:
        return (name.decode("latin-1") for name in self._raw)

    def __len__(self) -> int:
        return len(self._raw)


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
        """(last value of each parameter, every value of each parameter)."""
        if not self.query_string:
            return {}, {}
        text = self.query_string.decode("latin-1")
        if not any(c in text for c in "&%+;"):  # the common ?channel=sms: no parsing needed
            key, _, value = text.partition("=")
            return {key: value}, {key: [value]}
        multi: dict[str, list[str]] = {}
        for key, value in parse_qsl(text, keep_blank_values=True):
            multi.setdefault(key, []).append(value)
        return {key: values[-1] for key, values in multi.items()}, multi


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


async def send_json(
    send: Send, status: int, body: Any, headers: Mapping[str, str] | None = None
) -> None:
    """A JSON answer as two ASGI messages (a 204 carries no body, as HTTP requires; a
    `bytes` body is sent as it is, e.g. the empty body of a login that answers in a header)."""
    if status == 204:
        raw, fields = b"", []
    elif type(body) is bytes:
        raw, fields = body, [(b"content-length", b"%d" % len(body))]
    else:
        raw = orjson.dumps(body)
        fields = [_JSON, (b"content-length", b"%d" % len(raw))]
    if headers:
        fields.extend(
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
        )
    await send({"type": "http.response.start", "status": status, "headers": fields})
    await send({"type": "http.response.body", "body": raw})


_JSON = (b"content-type", b"application/json")


async def drop_connection(send: Send) -> None:
    """Close the connection without answering (an injected fault with status 0). Under
    uvicorn, `send` is a method of the request's cycle, which holds the connection's transport.
    Elsewhere (the in-process transport included) the app returns without answering, which
    the caller sees as a server that hung up."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None and hasattr(transport, "is_closing"):  # asyncio's or uvloop's
        transport.close()
        await asyncio.sleep(0)  # the server notes the lost connection before the app returns


def parse_body(raw: bytes, content_type: str, op: Operation) -> Any:
    if op.accepts_yaml and "yaml" in content_type.lower():
        return parse_yaml(raw)
    return parse_json(raw)


def parse_yaml(raw: bytes) -> Any:
    return yaml_documents.load(raw)


# Nesting a body may have: far more than any vendor document uses, and few enough that every
# answer that echoes part of a body can still be encoded (orjson stops at 255 levels).
MAX_DEPTH = yaml_documents.MAX_DEPTH


def parse_json(raw: bytes) -> Any:
    """RFC 8259 JSON: no NaN or Infinity, numbers that fit a double, nesting up to MAX_DEPTH
    (refused before anything is stored, so nothing is recorded that cannot be answered).
    Bodies of megabytes are parsed in slices (json_slices) to give the GIL back as they go."""
    try:
        value = orjson.loads(raw) if len(raw) <= json_slices.SLICED_BYTES else _sliced(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = _out_of_range(raw)
        if where is not None:
            raise InvalidInput(f"{where}: number out of range", field=where) from None
        problem = (
            f"{exc.msg} at line {exc.lineno} column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else str(exc)
        )
        raise InvalidInput(f"request body is not valid JSON: {problem}", field="body") from None
    # a body too short to hold MAX_DEPTH brackets, or with fewer, cannot nest past it: most
    # bodies need no walk at all
    if len(raw) > MAX_DEPTH and raw.count(b"[") + raw.count(b"{") > MAX_DEPTH:
        _check_depth(value)
    return value


def _sliced(raw: bytes) -> Any:
    try:
        return json_slices.loads(raw.decode("utf-8"))
    except json.JSONDecodeError:
        raise
    except (ValueError, RecursionError) as exc:  # NaN, Infinity, nesting the scanner refuses
        raise json.JSONDecodeError(str(exc), "", 0) from None


def _check_depth(value: Any) -> None:
    """InvalidInput naming the first path nested deeper than MAX_DEPTH. One pass with no
    paths built; only a refused body pays for a second pass that finds the path."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > MAX_DEPTH:
                    where = field_name(_path_deeper_than(value, MAX_DEPTH))
                    raise InvalidInput(
                        f"{where}: nested more than {MAX_DEPTH} levels deep", field=where
                    )
                stack.append((child, depth + 1))


def _path_deeper_than(value: Any, limit: int) -> list[str | int]:
    path: list[str | int] = []
    node = value
    while len(path) <= limit:
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, child in items:
            if isinstance(child, dict | list) and _depth_exceeds(child, limit - len(path) - 1):
                path.append(key)
                node = child
                break
        else:
            break
    return path


def _depth_exceeds(value: Any, remaining: int) -> bool:
    if remaining < 0:
        return True
    children = value.values() if isinstance(value, dict) else value
    return any(
        isinstance(child, dict | list) and _depth_exceeds(child, remaining - 1)
        for child in children
    )


def _out_of_range(raw: bytes) -> str | None:
    """The field holding a number too large for a double (e.g. 1e999), if that is what
    made the body unparseable; the slow path runs only for bodies already refused."""
    try:
        document = json.loads(raw, parse_constant=_refuse)
    except (ValueError, RecursionError):
        return None
    stack: list[tuple[Any, list[str | int]]] = [(document, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            return field_name(path)
        if isinstance(node, dict):
            stack.extend((value, [*path, key]) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((value, [*path, index]) for index, value in enumerate(node))
    return None


def _refuse(constant: str) -> Any:
    raise ValueError(constant)  # NaN and Infinity literals are not JSON
