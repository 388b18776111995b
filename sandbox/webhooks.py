"""A tenant's webhook (`webhook_url` in its settings, docs/contract.md section 10): every
recorded message, with its decision, POSTed as JSON to that URL. Once, no retry, a 1 s
timeout, as Symplify's and Mailpit's webhooks behave; the result of each delivery is an entry
of the tenant's request log (`operationId` "webhook", its status, 0 when none came, and why).

Deliveries to one URL go in order over one kept-alive connection, on the event loop, after
the API call that recorded the message has answered: a target that hangs or refuses costs the
sender nothing. A minimal HTTP/1.1 client: a webhook is one small POST, and a general client
costs the sandbox's one process several times more per message; the answers are parsed by
llhttp (httptools), each byte once, as they arrive.

What one URL may hold, in bytes: its backlog (BACKLOG_BYTES of JSON, and BACKLOG messages);
its connection's reads (the stream's buffer, READ at a time) and llhttp's state (a head
being parsed, at most MAX_HEAD past the read it began in). Bodies are counted, not kept, and
read as far as MAX_BODY. A target idle for IDLE seconds has its connection, and with it
everything but its empty backlog, freed. Nothing is kept across targets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import unquote, urlsplit

import httptools

from sandbox import CONTROL_PREFIX
from sandbox.errors import InvalidInput

if TYPE_CHECKING:
    from sandbox.doc import Doc

log = logging.getLogger(__name__)

OPERATION = "webhook"  # the operationId of a delivery's request-log entry
TIMEOUT = 1.0  # seconds for one delivery: connect, send, answer
# deliveries waiting for one URL, and their bytes; past either a message is logged undelivered
BACKLOG = 10_000
BACKLOG_BYTES = 16 << 20
PIPELINE = 256  # requests written at once when several are waiting
ANSWERS_AFTER = 0.01  # seconds between writing a batch and reading its answers
EXTEND = 0.05  # seconds between moves of the answers' deadline (each answer has >= 0.95 s)
IDLE = 5.0  # seconds a worker and its connection wait for the next delivery
READ = 65_536  # bytes read at once from a target
# bytes of one answer's head (status line and headers), and of its body read (counted, not
# kept: the rest is not read), each past the read (READ) the answer began in
MAX_HEAD = 65_536
MAX_BODY = 65_536
CUT = f"not read: an answer before it had a body over {MAX_BODY} bytes; the connection was closed"
DECODINGS = 4  # percent-decodings of a URL's path checked (a proxy's, then the server's)
# marks every delivery: the control plane's guard refuses a request that carries it
WEBHOOK_HEADER = "x-comms-sandbox-webhook"


class Delivery(NamedTuple):
    status: int  # the target's answer; 0 when none came
    error: str | None  # why none came
    seconds: float


# where each delivery's result (a Delivery) is told: the message(s) it was about (several only for
# messages dropped while the backlog was full, told in one entry)
Delivered = Callable[[list[dict[str, Any]], Delivery], None]
DROPPED_ENTRY = 1000  # dropped messages told in one request-log entry at the most


def checked_url(value: object, field: str = "webhook_url") -> str:
    """An absolute http(s) URL, not at a control plane, or a 400 naming the field."""
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
    if _at_control_plane(parts.path):
        raise InvalidInput(
            f"{field}: {value!r} is at the sandbox's control plane ({CONTROL_PREFIX}/...): a "
            "webhook may not act on the sandbox",
            field=field,
        )
    return text


def _at_control_plane(path: str) -> bool:
    """Whether `path` names the control plane, however it is spelled: percent-encoded (as
    many times as a chain of servers may decode it), with doubled or backslashed slashes,
    with dot segments, in any case. Whatever the host is: a name or a proxy may lead
    anywhere, the sandbox included (its guard also refuses any request marked as a webhook's,
    WEBHOOK_HEADER, should one get through)."""
    for _ in range(DECODINGS):
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    segments: list[str] = []
    for segment in path.replace("\\", "/").split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in {"", "."}:
            segments.append(segment)
    return bool(segments) and segments[0].lower().startswith(CONTROL_PREFIX[1:])


class WebhookTarget:
    """One URL: its deliveries waiting, and its connection."""

    def __init__(self, url: str, delivered: Delivered) -> None:
        parts = urlsplit(url)
        self.url = url
        self.host = parts.hostname or ""
        self.tls = parts.scheme == "https"
        self.port = parts.port or (443 if self.tls else 80)
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.host_header = parts.netloc.rpartition("@")[2]
        self.delivered = delivered
        self.head = (
            f"POST {self.target} HTTP/1.1\r\nHost: {self.host_header}\r\n"
            "Content-Type: application/json\r\nUser-Agent: comms-sandbox\r\n"
            f"{WEBHOOK_HEADER}: 1\r\nContent-Length: "
        ).encode("latin-1")
        self.waiting: deque[tuple[Doc, bytes]] = deque()
        self.waiting_bytes = 0  # the JSON bodies in `waiting`
        self.worker: asyncio.Task[None] | None = None
        self._wake: asyncio.Future[None] | None = None
        self.dropped: list[Doc] = []  # not sent: the backlog was full
        self.connection: Connection | None = None

    def deliver(self, batch: list[tuple[Doc, bytes]]) -> None:
        """Queue deliveries, each a message and its JSON (on the event loop's thread)."""
        room = max(BACKLOG - len(self.waiting), 0)
        taken = 0
        for _, body in batch[:room]:
            if self.waiting_bytes + len(body) > BACKLOG_BYTES:
                break
            self.waiting_bytes += len(body)
            taken += 1
        self.waiting.extend(batch[:taken])
        if len(batch) > taken:
            self.dropped.extend(message for message, _ in batch[taken:])
            if len(self.dropped) >= DROPPED_ENTRY:
                self._tell_dropped()
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)
        elif self.worker is None or self.worker.done():
            self.worker = asyncio.get_running_loop().create_task(self._work())

    async def _work(self) -> None:
        """Deliver what is waiting, a batch at a time: the batch's requests are written at
        once on the kept-alive connection (HTTP/1.1 pipelining) and their answers read in
        order; the answers have a second from the later of their writing and the answer
        before (connecting counts against the first). The worker and its connection stay
        for IDLE seconds after the last delivery."""
        try:
            while True:
                if not self.waiting:
                    self._wake = asyncio.get_running_loop().create_future()
                    try:
                        async with asyncio.timeout(IDLE):
                            await self._wake
                    except TimeoutError:
                        return
                    finally:
                        self._wake = None
                take = min(PIPELINE, len(self.waiting))
                batch = [self.waiting.popleft() for _ in range(take)]
                self.waiting_bytes -= sum(len(body) for _, body in batch)
                while batch:
                    batch = await self._deliver_batch(batch)
                self._tell_dropped()
        except Exception:  # a bug here must not silence the webhook for good
            log.exception("webhook %s: deliveries failed", self.url)
        finally:
            self._close()
            self._tell_dropped()
            if self.waiting:  # queued as the worker was leaving
                with contextlib.suppress(RuntimeError):  # the loop is closing
                    self.worker = asyncio.get_running_loop().create_task(self._work())

    async def _deliver_batch(self, batch: list[tuple[Doc, bytes]]) -> list[tuple[Doc, bytes]]:
        """Deliver `batch`; returns the deliveries to send again on a new connection: those
        written after an answer that closed the connection, which the target never read.
        Answers alike in a row are told in one result (one request-log entry)."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        reused = self.connection is not None
        try:
            async with asyncio.timeout(TIMEOUT):  # (wait_for would make a task each time)
                connection = await self._connect()
                connection.writer.write(b"".join(self._request(body) for _, body in batch))
                await connection.writer.drain()
            # the answers come one by one: reading them a moment later takes them in a few
            # reads, not one wake-up each (the sandbox's one loop serves the API meanwhile)
            await asyncio.sleep(ANSWERS_AFTER)
        except Exception as exc:  # refused, unresolvable, a bad TLS handshake, too slow
            self._close()
            if reused and isinstance(exc, OSError):  # the kept-alive connection had gone
                return batch
            self._fail(batch, started, _why(exc))
            return []
        told = 0  # answers already told
        alike: tuple[int, float] | None = None  # the status of answers told next, and when
        previous = extended = loop.time()
        try:
            async with asyncio.timeout(TIMEOUT) as deadline:
                for index in range(len(batch)):
                    status, close = await connection.answers.next()
                    previous = loop.time()
                    if alike is not None and alike[0] != status:
                        self._tell(batch[told:index], alike[0], alike[1] - started)
                        told = index
                    alike = (status, previous)
                    if close:
                        self._tell(batch[told : index + 1], status, previous - started)
                        self._close()
                        if connection.answers.cut:  # the target read the rest: no resend
                            self._fail(batch[index + 1 :], previous, CUT)
                            return []
                        return batch[index + 1 :]
                    if previous - extended > EXTEND:  # the next answers' second
                        deadline.reschedule(previous + TIMEOUT)
                        extended = previous
            if alike is not None:
                self._tell(batch[told:], alike[0], alike[1] - started)
        except Exception as exc:  # no answer in time, a closed connection, not HTTP
            self._close()
            if alike is not None:  # those answered, then those not
                self._tell(batch[told:index], alike[0], alike[1] - started)
            if reused and index == 0 and isinstance(exc, asyncio.IncompleteReadError):
                return batch  # closed before it read anything: a stale connection
            self._fail(batch[index:], previous, _why(exc))
        return []

    async def _connect(self) -> Connection:
        if self.connection is None:
            context = ssl.create_default_context() if self.tls else None
            reader, writer = await asyncio.open_connection(self.host, self.port, ssl=context)
            self.connection = Connection(writer, Answers(reader))
        return self.connection

    def _request(self, body: bytes) -> bytes:
        return self.head + str(len(body)).encode() + b"\r\n\r\n" + body

    def _tell(
        self, batch: list[tuple[Doc, bytes]], status: int, seconds: float, why: str | None = None
    ) -> None:
        if batch:
            self.delivered([message for message, _ in batch], Delivery(status, why, seconds))

    def _fail(self, batch: list[tuple[Doc, bytes]], started: float, why: str) -> None:
        self._tell(batch, 0, asyncio.get_running_loop().time() - started, why)

    def _tell_dropped(self) -> None:
        if self.dropped:
            dropped, self.dropped = self.dropped, []
            why = f"not sent: the backlog was full ({BACKLOG} deliveries or {BACKLOG_BYTES} bytes)"
            for start in range(0, len(dropped), DROPPED_ENTRY):
                self.delivered(dropped[start : start + DROPPED_ENTRY], Delivery(0, why, 0.0))

    def _close(self) -> None:
        if self.connection is not None:
            self.connection.writer.close()
            self.connection = None


class Connection(NamedTuple):
    writer: asyncio.StreamWriter
    answers: Answers


class Answers:
    """A connection's answers, in order, parsed as they arrive by llhttp (httptools, the
    parser uvicorn serves the sandbox with): each byte is parsed once, where the last read
    stopped, and nothing is kept but the answers' statuses. A head past MAX_HEAD is refused;
    of a body, MAX_BODY bytes are read at the most (counted, not kept): past them its
    answer is told by its status and the connection is `cut` (closed, the rest unread)."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self.reader = reader
        self.parser = httptools.HttpResponseParser(self)
        self.ready: deque[tuple[int, bool]] = deque()  # (status, closes) parsed, not taken
        self.answering = False  # an answer began and is not complete
        self.in_head = False  # its head is not all here
        self.framed = False  # its body has a length (or is chunked)
        self.began = False  # it began in the last read
        self.size = 0  # its bytes, past the read it began in
        self.ended = False  # no answer follows the last one told: the connection closes
        self.cut = False  # ... because the last one's body was too long to read

    async def next(self) -> tuple[int, bool]:
        """The next final answer's status (interim 1xx answers skipped), read whole (or as
        far as MAX_BODY); and whether the connection closes after it."""
        while not self.ready:
            if self.ended:
                raise asyncio.IncompleteReadError(b"", None)
            more = await self.reader.read(READ)
            if not more:
                raise asyncio.IncompleteReadError(b"", None)
            self._feed(more)
        return self.ready.popleft()

    def _feed(self, data: bytes) -> None:
        self.began = False
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            if not isinstance(exc.__context__, _Over):
                raise
            self.ended = True  # what follows is the last answer's body, or nothing
            return
        except httptools.HttpParserUpgrade:
            raise ValueError("the target switched protocols (101): no answer") from None
        except httptools.HttpParserError as exc:
            raise ValueError(f"not an HTTP answer: {exc}") from None
        if not self.answering or self.began:  # counted from the read after it began
            return
        self.size += len(data)
        if self.in_head and self.size > MAX_HEAD:
            raise ValueError(f"an answer's head longer than {MAX_HEAD} bytes")
        if not self.in_head and self.size > MAX_BODY:
            self.ready.append((self.parser.get_status_code(), True))
            self.ended = self.cut = True

    # the parser's callbacks ------------------------------------------------------------
    def on_message_begin(self) -> None:
        self.answering = self.in_head = self.began = True
        self.framed, self.size = False, 0

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() in {b"content-length", b"transfer-encoding"}:
            self.framed = True

    def on_headers_complete(self) -> None:
        self.in_head = False
        status = self.parser.get_status_code()
        if not self.framed and status >= 200 and status not in {204, 304}:
            # the answer ends when the connection does: nothing more can follow
            self.ready.append((status, True))
            raise _Over

    def on_message_complete(self) -> None:
        self.answering = False
        status = self.parser.get_status_code()
        if status < 200:  # interim: the final answer follows
            return
        closes = not self.parser.should_keep_alive()
        self.ready.append((status, closes))
        if closes:
            raise _Over


class _Over(Exception):
    """Raised in a parser callback: the connection's last answer is parsed."""


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return f"no answer within {TIMEOUT:g} s"
    if isinstance(exc, asyncio.IncompleteReadError):
        return "the connection closed before an answer"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
