"""A tenant's webhook (`webhook_url` in its settings, docs/contract.md section 10): every
recorded message, with its decision, POSTed as JSON to that URL. Once, no retry, a 1 s
timeout, as Symplify's and Mailpit's webhooks behave; the outcome of each delivery is an entry
of the tenant's request log (`operationId` "webhook", its status, 0 when none came, and why).

Deliveries to one URL go in order over one kept-alive connection, on the event loop, after
the API call that recorded the message has answered: a target that hangs or refuses costs the
sender nothing. A minimal HTTP/1.1 client: a webhook is one small POST, and a general client
costs the sandbox's one process several times more per message.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

from sandbox.clock import monotonic
from sandbox.errors import InvalidInput

if TYPE_CHECKING:
    from sandbox.store.collection import Doc

log = logging.getLogger(__name__)

TIMEOUT = 1.0  # seconds for one delivery: connect, send, answer
BACKLOG = 10_000  # deliveries waiting for one URL; past it a message is logged undelivered
PIPELINE = 64  # requests written at once when several are waiting


class Delivery(NamedTuple):
    status: int  # the target's answer; 0 when none came
    error: str | None  # why none came
    seconds: float


# where each delivery's outcome is told
Outcome = Callable[[dict[str, Any], Delivery], None]


def checked_url(value: object, field: str = "webhook_url") -> str:
    """An absolute http(s) URL, or a 400 naming the field."""
    text = value if isinstance(value, str) else ""
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 (a port that is not a number raises here)
    except ValueError:
        parts = parts._replace(netloc="")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput(f"{field}: {value!r} is not an absolute http(s) URL", field=field)
    if not all(33 <= ord(c) < 127 for c in text):  # what a request line can carry as it is
        raise InvalidInput(
            f"{field}: {value!r} holds spaces, control or non-ASCII characters "
            "(percent-encode them; a host in its punycode form)",
            field=field,
        )
    return text


class WebhookTarget:
    """One URL: its queue of deliveries and its connection."""

    def __init__(self, url: str, outcome: Outcome) -> None:
        parts = urlsplit(url)
        self.url = url
        self.host = parts.hostname or ""
        self.tls = parts.scheme == "https"
        self.port = parts.port or (443 if self.tls else 80)
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.host_header = parts.netloc.rpartition("@")[2]
        self.outcome = outcome
        self.head = (
            f"POST {self.target} HTTP/1.1\r\nHost: {self.host_header}\r\n"
            "Content-Type: application/json\r\nUser-Agent: comms-sandbox\r\nContent-Length: "
        ).encode("latin-1")
        self.queue: asyncio.Queue[tuple[Doc, bytes]] = asyncio.Queue()
        self.worker: asyncio.Task[None] | None = None
        self.connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def deliver(self, message: Doc, body: bytes) -> None:
        """Queue one delivery (on the event loop's thread)."""
        if self.queue.qsize() >= BACKLOG:
            self.outcome(message, Delivery(0, f"not sent: {BACKLOG} deliveries were waiting", 0.0))
            return
        self.queue.put_nowait((message, body))
        if self.worker is None or self.worker.done():
            self.worker = asyncio.get_running_loop().create_task(self._work())

    async def _work(self) -> None:
        """Deliver what is queued, a batch at a time: the batch's requests are written at
        once on the kept-alive connection (HTTP/1.1 pipelining) and their answers read in
        order; each answer has a second from the later of its writing and the answer
        before it (connecting counts against the first)."""
        try:
            while not self.queue.empty():
                count = min(PIPELINE, self.queue.qsize())
                batch = [self.queue.get_nowait() for _ in range(count)]
                while batch:
                    batch = await self._deliver_batch(batch)
        except Exception:  # a bug here must not silence the webhook for good
            log.exception("webhook %s: deliveries failed", self.url)
        finally:
            self._close()  # idle: no connection is kept open between bursts

    async def _deliver_batch(self, batch: list[tuple[Doc, bytes]]) -> list[tuple[Doc, bytes]]:
        """Deliver `batch`; returns the deliveries to send again on a new connection: those
        written after an answer that closed the connection, which the target never read."""
        started = monotonic()
        reused = self.connection is not None
        try:
            reader, writer = await asyncio.wait_for(self._connect(), TIMEOUT)
            writer.write(b"".join(self._request(body) for _, body in batch))
            await asyncio.wait_for(writer.drain(), TIMEOUT)
        except Exception as exc:  # refused, unresolvable, a bad TLS handshake, too slow
            self._close()
            if reused and isinstance(exc, OSError):  # the kept-alive connection had gone
                return batch
            self._fail(batch, started, _why(exc))
            return []
        previous = monotonic()
        for index, (message, _) in enumerate(batch):
            try:
                status, close = await asyncio.wait_for(_answer(reader), TIMEOUT)
            except Exception as exc:  # no answer in time, a closed connection, not HTTP
                self._close()
                if reused and index == 0 and isinstance(exc, asyncio.IncompleteReadError):
                    return batch  # closed before it read anything: a stale connection
                self._fail(batch[index:], previous, _why(exc))
                return []
            now = monotonic()
            self.outcome(
                message, Delivery(status, None, now - (started if index == 0 else previous))
            )
            previous = now
            if close:
                self._close()
                return batch[index + 1 :]
        return []

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.connection is None:
            context = ssl.create_default_context() if self.tls else None
            self.connection = await asyncio.open_connection(self.host, self.port, ssl=context)
        return self.connection

    def _request(self, body: bytes) -> bytes:
        return self.head + str(len(body)).encode() + b"\r\n\r\n" + body

    def _fail(self, batch: list[tuple[Doc, bytes]], started: float, why: str) -> None:
        seconds = monotonic() - started
        for message, _ in batch:
            self.outcome(message, Delivery(0, why, seconds))

    def _close(self) -> None:
        if self.connection is not None:
            self.connection[1].close()
            self.connection = None


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """One final answer's status, read whole (interim 1xx answers skipped); and whether the
    target closes the connection."""
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(None, 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdecimal():
            raise ValueError(f"not an HTTP answer: {lines[0][:60]!r}")
        status = int(parts[1])
        if not 100 <= status < 200:
            break
    length, chunked, close = None, False, parts[0] == "HTTP/1.0"
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length" and value.isdecimal():
            length = int(value)
        elif name == "transfer-encoding" and "chunked" in value:
            chunked = True
        elif name == "connection":
            close = "close" in value or (close and "keep-alive" not in value)
    if chunked:
        while True:
            size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readline()).strip():  # trailers, up to the empty line
                    pass
                break
            await reader.readexactly(size + 2)
    elif length is not None:
        await reader.readexactly(length)
    elif status not in {204, 304}:
        close = True  # the answer ends when the connection does: nothing more can follow
    return status, close


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT:g} s"
    if isinstance(exc, asyncio.IncompleteReadError):
        return "the connection closed before an answer"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
