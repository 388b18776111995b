"""`GET /_sandbox/tenants/{t}/events`: every message the tenant records from now on, as a
server-sent event `message` whose data is the message JSON (docs/contract.md section 10).
A client that reconnects with `Last-Event-ID` first gets the messages it missed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from itertools import takewhile
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from sandbox import spelling
from sandbox.asgi import json_response
from sandbox.doc import Doc
from sandbox.errors import ApiError, InvalidInput, NotFound, render
from sandbox.events import MessageEvents, frame
from sandbox.store import Store, TenantData

KEEPALIVE = 15.0  # seconds between comments on a quiet stream (proxies close idle ones)


def events_endpoint(store: Store, bus: MessageEvents) -> Callable[[Request], Awaitable[Response]]:
    async def events(request: Request) -> Response:
        for unknown in request.query_params:  # it declares none (docs/contract.md section 10)
            refusal = InvalidInput(spelling.unknown("query parameter", unknown, ()), field=unknown)
            return json_response(render("sandbox", refusal), 400)
        name = request.path_params["tenant"]
        try:
            data = await store.fresh(name)  # (what other processes wrote included)
            if data is None:
                raise NotFound(f"no tenant named '{name}'", field="tenant")
        except ApiError as error:  # unknown (404), or quarantined (503), as the API answers
            return json_response(render("sandbox", error), error.http_status, error.headers)
        last_id = request.headers.get("last-event-id")

        async def stream() -> AsyncIterator[bytes]:
            # registered here, not before: a client gone before the first byte leaves nothing
            events = bus.open_stream(name)
            try:
                missed = _stored(_missed(data, last_id), store.in_flight(data, "messages"))
                yield b"retry: 1000\n\n"
                for message in missed:
                    yield frame(str(message["id"]), orjson.dumps(message))
                while True:
                    frames = await events.take(KEEPALIVE)
                    if frames is None:  # fell too far behind: the client reconnects
                        return
                    yield frames or b": keep-alive\n\n"
            finally:
                bus.close_stream(name, events)

        return StreamingResponse(
            stream(),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    return events


def _missed(data: TenantData, last_id: str | None) -> list[Doc]:
    """The messages after `last_id`, oldest first (ids grow with each message)."""
    if not last_id or not (last_id.isascii() and last_id.isdecimal() and len(last_id) <= 18):
        return []
    after = int(last_id)
    newer = takewhile(lambda m: int(m["id"]) > after, data["messages"].newest())
    return list(newer)[::-1]


def _stored(messages: list[Doc], in_flight: dict[Any, Doc | None]) -> list[Doc]:
    """`messages` as they are stored: one a unit in flight put new is left out, one it
    changed is as it was before (the bus tells each unit's messages once it is stored)."""
    if not in_flight:
        return messages
    stored = []
    for message in messages:
        before = in_flight.get(message["id"], message)
        if before is not None:
            stored.append(before)
    return stored
