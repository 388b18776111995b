"""Every recorded message, as it is recorded: to the tenant's open event streams (server-sent
events, `GET /_sandbox/tenants/{t}/events`) and to its webhook (docs/contract.md section 10).

The app builds the bus and hands it to the store as its listener: the store calls
`MessageEvents.committed` for each message a transaction wrote, after the write is durable,
`caught_up` for each message another process sharing the database wrote (this process's
streams hear it; its webhook is the other process's to deliver, so it is delivered once), and
`tenant_changed` when a tenant is put in place or removed. The bus learns a tenant's
webhook URL and logs each delivery through the two callbacks the app gives it, never by
reading the store. With no stream open and no webhook set that is one dict lookup; otherwise
the message is kept for the tenant's next delivery on the event loop, off the request's path,
a few milliseconds later: there it is encoded once for every listener, with the messages
recorded meanwhile. A stream that cannot keep up loses its connection, never the sender's
time.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson

from sandbox.doc import Doc
from sandbox.webhooks import Delivery, WebhookTarget

log = logging.getLogger(__name__)

# events a stream may fall behind by before it is closed (the page reconnects and catches up)
STREAM_BACKLOG = 10_000
# seconds a recorded message waits for others to share its delivery: under load one write
# to each stream and one pipelined batch to the webhook carry many messages, not one each
COALESCE = 0.005


def frame(message_id: str, encoded: bytes) -> bytes:
    """One server-sent event `message`: its id is the message's, its data the message JSON."""
    return b"id: " + message_id.encode() + b"\nevent: message\ndata: " + encoded + b"\n\n"


class EventStream:
    """One open stream's events not yet written, as the frames they will be written as."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.behind = 0  # events in `chunks`
        self.closed = False  # fell STREAM_BACKLOG events behind
        self._waiter: asyncio.Future[None] | None = None

    def push(self, chunk: bytes, events: int) -> bool:
        """Add `events` events (their frames joined in `chunk`); False, and the stream is
        closed, when that puts it more than STREAM_BACKLOG behind."""
        self.behind += events
        if self.behind > STREAM_BACKLOG:
            self.chunks, self.closed = [], True
        else:
            self.chunks.append(chunk)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        return not self.closed

    async def take(self, timeout: float) -> bytes | None:
        """The frames waiting, joined, once there are any; b"" when none came within
        `timeout`; None when the stream was closed for falling behind."""
        if not self.chunks and not self.closed:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(timeout):  # (wait_for would make a task)
                    await self._waiter
            except TimeoutError:
                return b""
            finally:
                self._waiter = None
        if self.closed:
            return None
        chunks, self.chunks, self.behind = self.chunks, [], 0
        return b"".join(chunks)  # (one chunk is returned as it is: no copy)


# a tenant's webhook: told each batch of recorded messages, each with its JSON
WebhookSink = Callable[[list[tuple["Doc", bytes]]], None]


@dataclass
class Listeners:
    """Who hears one tenant's messages, and the messages waiting to be told them."""

    streams: set[EventStream] = field(default_factory=set)
    webhook: WebhookSink | None = None
    pending: list[Doc] = field(default_factory=list)
    # ids of the pending messages another process recorded: streams only (None: there are none)
    elsewhere: set[int] | None = None


# tenant -> its webhook's URL now (None: it has none, or is gone)
WebhookUrl = Callable[[str], "str | None"]
# tenant, URL, the messages of one delivery, its result: a delivery to log
DeliveryLog = Callable[[str, str, list[Doc], Delivery], None]


class MessageEvents:
    """The tenants' listeners, and the event loop their deliveries run on. `webhook_url` and
    `delivered` are the app's (sandbox/app.py): where a tenant's webhook is, read at each
    delivery, and where a delivery's result is logged."""

    def __init__(
        self,
        webhook_url: WebhookUrl = lambda tenant: None,
        delivered: DeliveryLog = lambda tenant, url, messages, delivery: None,
    ) -> None:
        self.tenants: dict[str, Listeners] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self.webhook_url = webhook_url
        self.delivered = delivered
        self._targets: dict[tuple[str, str], WebhookTarget] = {}

    # the store's side --------------------------------------------------------------------
    def caught_up(self, tenant: str, message: Doc) -> None:
        """A message of `tenant` another process recorded, caught up here (on the event loop):
        for this process's streams; the process that recorded it delivers the webhook."""
        self.committed(tenant, message, webhook=False)

    def committed(self, tenant: str, message: Doc, webhook: bool = True) -> None:
        """A message of `tenant` is recorded (called from whichever thread committed it)."""
        listeners = self.tenants.get(tenant)
        if listeners is None:
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # a worker thread's commit (an offloaded handler)
            running = None
        loop = self.loop
        if loop is None or loop.is_closed() or (running is not None and not loop.is_running()):
            loop = self.loop = running  # the app's loop now (an in-process client makes its own)
        if loop is None or loop.is_closed():
            return
        if running is loop:
            self._hold(loop, listeners, message, webhook)
        else:
            loop.call_soon_threadsafe(self._hold, loop, listeners, message, webhook)

    def _hold(
        self,
        loop: asyncio.AbstractEventLoop,
        listeners: Listeners,
        message: Doc,
        webhook: bool = True,
    ) -> None:
        """Keep `message` for the listeners' next delivery, COALESCE seconds after the first
        message waiting for it (the store's documents are replaced, never changed: the
        message is encoded as it was recorded); not for the webhook unless `webhook`."""
        if not listeners.pending:
            loop.call_later(COALESCE, self._tell, listeners)
        listeners.pending.append(message)
        if not webhook:
            if listeners.elsewhere is None:
                listeners.elsewhere = set()
            listeners.elsewhere.add(id(message))

    def _tell(self, listeners: Listeners) -> None:
        messages, listeners.pending = listeners.pending, []
        elsewhere, listeners.elsewhere = listeners.elsewhere, None
        encoded = [orjson.dumps(message) for message in messages]
        if listeners.streams:
            chunk = b"".join(map(frame, (m["id"] for m in messages), encoded))
            for stream in list(listeners.streams):
                if not stream.push(chunk, len(messages)):
                    with self._lock:
                        listeners.streams.discard(stream)
        if listeners.webhook is not None:
            batch = list(zip(messages, encoded, strict=True))
            if elsewhere is not None:  # (another process's: it delivers them)
                batch = [pair for pair in batch if id(pair[0]) not in elsewhere]
            if batch:
                listeners.webhook(batch)

    # the listeners' side -----------------------------------------------------------------
    def attach(self) -> None:
        """Remember the event loop deliveries run on (the app's)."""
        if self.loop is None:
            self.loop = asyncio.get_running_loop()

    def open_stream(self, tenant: str) -> EventStream:
        self.attach()
        stream = EventStream()
        with self._lock:
            self.tenants.setdefault(tenant, Listeners()).streams.add(stream)
        return stream

    def close_stream(self, tenant: str, stream: EventStream) -> None:
        with self._lock:
            listeners = self.tenants.get(tenant)
            if listeners is not None:
                listeners.streams.discard(stream)
                self._forget_if_idle(tenant, listeners)

    # webhooks ----------------------------------------------------------------------------
    def tenant_changed(self, tenant: str) -> None:
        """`tenant` was put in place, replaced or removed, or its webhook set: deliver its
        messages to the webhook it has now."""
        self.watch_webhook(tenant, self.webhook_url(tenant))

    def watch_webhook(self, tenant: str, url: str | None) -> None:
        """Deliver `tenant`'s messages to `url` from now on (None: to no webhook)."""
        with self._lock:
            listeners = self.tenants.setdefault(tenant, Listeners())
            listeners.webhook = (lambda batch: self._to_webhook(tenant, batch)) if url else None
            self._forget_if_idle(tenant, listeners)
            # a target no longer set is dropped (deliveries under way finish on their own)
            self._targets = {
                key: target
                for key, target in self._targets.items()
                if key[0] != tenant or key[1] == url
            }

    def _to_webhook(self, tenant: str, batch: list[tuple[Doc, bytes]]) -> None:
        """The URL is read again at each delivery: a reset or a deleted tenant has none."""
        url = self.webhook_url(tenant)
        if url is None:
            self.watch_webhook(tenant, None)
            return
        target = self._targets.get((tenant, url))
        if target is None:
            target = WebhookTarget(
                url, lambda messages, delivery: self.delivered(tenant, url, messages, delivery)
            )
            self._targets = {
                key: value for key, value in self._targets.items() if key[0] != tenant
            } | {(tenant, url): target}
        target.deliver(batch)

    def _forget_if_idle(self, tenant: str, listeners: Listeners) -> None:
        if not listeners.streams and listeners.webhook is None:
            self.tenants.pop(tenant, None)
