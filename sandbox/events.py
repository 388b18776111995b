"""Every recorded message, as it is recorded: to the tenant's open event streams (server-sent
events, `GET /_sandbox/tenants/{t}/events`) and to its webhook (docs/contract.md section 10).

The store calls `MessageEvents.committed` for each message a transaction wrote, after the
write is durable. With no stream open and no webhook set that is one dict lookup; otherwise
the message is encoded once and handed to the event loop, off the request's path: a stream
that cannot keep up loses its connection, never the sender's time.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import orjson

from sandbox.request_log import Entry
from sandbox.webhooks import Delivery, WebhookTarget

if TYPE_CHECKING:  # the store imports this module: its types are for the checker only
    from sandbox.store.collection import Doc
    from sandbox.store.tenant import TenantData

log = logging.getLogger(__name__)

# events a stream may fall behind by before it is closed (the page reconnects and catches up)
STREAM_BACKLOG = 10_000


def frame(message_id: str, encoded: bytes) -> bytes:
    """One server-sent event `message`: its id is the message's, its data the message JSON."""
    return b"id: " + message_id.encode() + b"\nevent: message\ndata: " + encoded + b"\n\n"


@dataclass
class Listeners:
    """Who hears one tenant's messages."""

    streams: set[asyncio.Queue[bytes | None]] = field(default_factory=set)
    webhook: Callable[[Doc, bytes], None] | None = None


class MessageEvents:
    """The tenants' listeners, and the event loop their deliveries run on."""

    def __init__(self) -> None:
        self.tenants: dict[str, Listeners] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        # the store's lookup of a tenant by name (set by the store that owns these events)
        self.find: Callable[[str], TenantData | None] = lambda name: None
        self._targets: dict[tuple[str, str], WebhookTarget] = {}

    # the store's side --------------------------------------------------------------------
    def committed(self, tenant: str, message: Doc) -> None:
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
        encoded = orjson.dumps(message)
        if running is loop:
            self._deliver(listeners, message, encoded)
        else:
            loop.call_soon_threadsafe(self._deliver, listeners, message, encoded)

    def _deliver(self, listeners: Listeners, message: Doc, encoded: bytes) -> None:
        event = frame(message["id"], encoded)
        for queue in list(listeners.streams):
            if queue.qsize() >= STREAM_BACKLOG:
                with self._lock:
                    listeners.streams.discard(queue)
                queue.put_nowait(None)  # closes that stream
            else:
                queue.put_nowait(event)
        if listeners.webhook is not None:
            listeners.webhook(message, encoded)

    # the listeners' side -----------------------------------------------------------------
    def attach(self) -> None:
        """Remember the event loop deliveries run on (the app's)."""
        if self.loop is None:
            self.loop = asyncio.get_running_loop()

    def open_stream(self, tenant: str) -> asyncio.Queue[bytes | None]:
        self.attach()
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        with self._lock:
            self.tenants.setdefault(tenant, Listeners()).streams.add(queue)
        return queue

    def close_stream(self, tenant: str, queue: asyncio.Queue[bytes | None]) -> None:
        with self._lock:
            listeners = self.tenants.get(tenant)
            if listeners is not None:
                listeners.streams.discard(queue)
                self._forget_if_idle(tenant, listeners)

    # webhooks ----------------------------------------------------------------------------
    def watch_webhook(self, tenant: str, url: str | None) -> None:
        """Deliver `tenant`'s messages to `url` from now on (None: to no webhook)."""
        with self._lock:
            listeners = self.tenants.setdefault(tenant, Listeners())
            listeners.webhook = (lambda m, b: self._to_webhook(tenant, m, b)) if url else None
            self._forget_if_idle(tenant, listeners)
            # a target no longer set is dropped (deliveries under way finish on their own)
            self._targets = {
                key: target
                for key, target in self._targets.items()
                if key[0] != tenant or key[1] == url
            }

    def _to_webhook(self, tenant: str, message: Doc, body: bytes) -> None:
        """The URL is read again at each delivery: a reset or a deleted tenant has none."""
        data = self.find(tenant)
        url = webhook_url(data) if data is not None else None
        if url is None:
            self.watch_webhook(tenant, None)
            return
        target = self._targets.get((tenant, url))
        if target is None:
            target = WebhookTarget(
                url, lambda messages, outcome: self._delivered(tenant, url, messages, outcome)
            )
            self._targets = {
                key: value for key, value in self._targets.items() if key[0] != tenant
            } | {(tenant, url): target}
        target.deliver(message, body)

    def _delivered(self, tenant: str, url: str, messages: list[Doc], outcome: Delivery) -> None:
        """Each delivery's outcome is an entry of the tenant's request log."""
        data = self.find(tenant)
        if data is None:
            return
        entry = Entry(
            "POST",
            url,
            b"",
            outcome.status,
            "webhook",
            messages[0]["vendor"],
            data.clock.now(),
            outcome.seconds,
            [message["id"] for message in messages],
            outcome.error,
        )
        data.request_log.append(entry.bounded())

    def _forget_if_idle(self, tenant: str, listeners: Listeners) -> None:
        if not listeners.streams and listeners.webhook is None:
            self.tenants.pop(tenant, None)


def webhook_url(data: TenantData) -> str | None:
    settings = data["meta"].get("settings")
    return settings.get("webhook_url") if settings is not None else None
