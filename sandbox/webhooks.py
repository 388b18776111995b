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
import contextlib
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
COALESCE = 0.01  # seconds between writing a batch and reading its answers
IDLE = 5.0  # seconds a worker and its connection wait for the next delivery


class Delivery(NamedTuple):
    status: int  # the target's answer; 0 when none came
    error: str | None  # why none came
    seconds: float


# where each delivery's outcome is told: the message(s) it was about (several only for
# messages dropped while the backlog was full, told in one entry)
Outcome = Callable[[list[dict[str, Any]], Delivery], None]
DROPPED_ENTRY = 1000  # dropped messages told in one request-log entry at the most


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
        self.dropped: list[Doc] = []  # not sent: the backlog was full
        self.connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    def deliver(self, message: Doc, body: bytes) -> None:
        """Queue one delivery (on the event loop's thread)."""
        if self.queue.qsize() >= BACKLOG:
            self.dropped.append(message)
            if len(self.dropped) >= DROPPED_ENTRY:
                self._tell_dropped()
            return
        self.queue.put_nowait((message, body))
        if self.worker is None or self.worker.done():
            self.worker = asyncio.get_running_loop().create_task(self._work())

    async def _work(self) -> None:
        """Deliver what is queued, a batch at a time: the batch's requests are written at
        once on the kept-alive connection (HTTP/1.1 pipelining) and their answers read in
        order; each answer has a second from the later of its writing and the answer
        before it (connecting counts against the first). The worker and its connection
        stay for IDLE seconds after the last delivery."""
        try:
            while True:
                try:
                    async with asyncio.timeout(IDLE):
                        first = await self.queue.get()
                except TimeoutError:
                    return
                more = min(PIPELINE - 1, self.queue.qsize())
                batch = [first, *(self.queue.get_nowait() for _ in range(more))]
                while batch:
                    batch = await self._deliver_batch(batch)
                self._tell_dropped()
        except Exception:  # a bug here must not silence the webhook for good
            log.exception("webhook %s: deliveries failed", self.url)
        finally:
            self._close()
            self._tell_dropped()
            if not self.queue.empty():  # queued as the worker was leaving
                with contextlib.suppress(RuntimeError):  # the loop is closing
                    self.worker = asyncio.get_running_loop().create_task(self._work())

    async def _deliver_batch(self, batch: list[tuple[Doc, bytes]]) -> list[tuple[Doc, bytes]]:
        """Deliver `batch`; returns the deliveries to send again on a new connection: those
        written after an answer that closed the connection, which the target never read."""
        started = monotonic()
        reused = self.connection is not None
        try:
            async with asyncio.timeout(TIMEOUT):  # (wait_for would make a task each time)
                reader, writer = await self._connect()
                writer.write(b"".join(self._request(body) for _, body in batch))
                await writer.drain()
            # the answers come one by one: reading them a moment later takes them in a few
            # reads, not one wake-up each (the sandbox's one loop serves the API meanwhile)
            await asyncio.sleep(COALESCE)
        except Exception as exc:  # refused, unresolvable, a bad TLS handshake, too slow
            self._close()
            if reused and isinstance(exc, OSError):  # the kept-alive connection had gone
                return batch
            self._fail(batch, started, _why(exc))
            return []
        previous, index = monotonic(), 0
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(TIMEOUT) as deadline:
                for index, (message, _) in enumerate(batch):
                    status, close = await _answer(reader)
                    now = monotonic()
                    seconds = now - (started if index == 0 else previous)
                    self.outcome([message], Delivery(status, None, seconds))
                    previous = now
                    if close:
                        self._close()
                        return batch[index + 1 :]
                    deadline.reschedule(loop.time() + TIMEOUT)  # the next answer's second
        except Exception as exc:  # no answer in time, a closed connection, not HTTP
            self._close()
            if reused and index == 0 and isinstance(exc, asyncio.IncompleteReadError):
                return batch  # closed before it read anything: a stale connection
            self._fail(batch[index:], previous, _why(exc))
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
            self.outcome([message], Delivery(0, why, seconds))

    def _tell_dropped(self) -> None:
        if self.dropped:
            dropped, self.dropped = self.dropped, []
            why = f"not sent: {BACKLOG} deliveries were waiting"
            self.outcome(dropped, Delivery(0, why, 0.0))

    def _close(self) -> None:
        if self.connection is not None:
            self.connection[1].close()
            self.connection = None


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """One final answer's status, read whole (interim 1xx answers skipped); and whether the
    target closes the connection."""
    while True:
        status, length, chunked, close = _head(await reader.readuntil(b"\r\n\r\n"))
        if not 100 <= status < 200:
            break
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


_HEADS: dict[bytes, tuple[int, int | None, bool, bool]] = {}  # a target repeats its answer


def _head(head: bytes) -> tuple[int, int | None, bool, bool]:
    """(status, Content-Length, chunked, closes) of an answer's head, parsed once per text."""
    known = _HEADS.get(head)
    if known is not None:
        return known
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(None, 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdecimal():
        raise ValueError(f"not an HTTP answer: {lines[0][:60]!r}")
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
    parsed = (int(parts[1]), length, chunked, close)
    if len(_HEADS) >= 256:  # answers that differ each time (a Date header): parsed each time
        _HEADS.clear()
    _HEADS[head] = parsed
    return parsed


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT:g} s"
    if isinstance(exc, asyncio.IncompleteReadError):
        return "the connection closed before an answer"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
