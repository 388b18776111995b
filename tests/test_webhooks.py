"""The webhook client on its own: URL checks, and a full backlog told in one entry."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import socket
import sys
import tracemalloc
from typing import Any

import pytest

from sandbox import webhooks
from sandbox.errors import InvalidInput
from sandbox.webhooks import Delivery, WebhookTarget


def test_a_full_backlog_is_told_once_for_the_messages_it_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(webhooks, "BACKLOG", 2)
    monkeypatch.setattr(webhooks, "TIMEOUT", 0.2)
    monkeypatch.setattr(webhooks, "IDLE", 0.1)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)  # accepts, never answers
    told: list[tuple[list[str], Delivery]] = []

    async def run() -> None:
        target = WebhookTarget(
            f"http://127.0.0.1:{silent.getsockname()[1]}/",
            lambda messages, outcome: told.append(([m["id"] for m in messages], outcome)),
        )
        for number in range(6):
            message: dict[str, Any] = {"id": str(number), "vendor": "capillary"}
            target.deliver([(message, b"{}")])
        assert target.worker is not None
        await target.worker

    try:
        asyncio.run(run())
    finally:
        silent.close()
    # two queued before the worker ran; the other four found the backlog full: one entry
    by_ids = {tuple(ids): outcome for ids, outcome in told}
    full = f"not sent: the backlog was full (2 deliveries or {webhooks.BACKLOG_BYTES} bytes)"
    assert by_ids[("2", "3", "4", "5")].error == full
    assert by_ids[("0", "1")].error == "no answer within 0.2 s"  # the batch shares its fate
    assert sorted(i for ids, _ in told for i in ids) == [str(n) for n in range(6)]
    assert all(outcome.status == 0 for _, outcome in told)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8000/hook?x=1", "https://example.com"])
def test_absolute_http_urls_are_accepted(url: str) -> None:
    assert webhooks.checked_url(url) == url


@pytest.mark.parametrize(
    "path",
    [
        "/_sandbox/tenants/t/reset",
        "//_sandbox/tenants/t/reset",
        "/%5f%53ANDBOX/tenants/t/reset",
        "/%252F_sandbox/tenants/t/reset",  # a proxy decodes once, the sandbox again
        "/%5C_sandbox/tenants/t/reset",
        "/a/b/../../_sandbox",
        "/../_sandbox",
        "/.%2E/_sandbox/ui/login",
        "/_sandbox?x=1",
        "/_sandboxy",
    ],
)
def test_a_url_at_a_control_plane_is_refused_on_any_host(path: str) -> None:
    for host in ("127.0.0.1:8000", "sandbox.example"):
        with pytest.raises(InvalidInput, match="control plane") as refused:
            webhooks.checked_url(f"http://{host}{path}")
        assert refused.value.field == "webhook_url"


@pytest.mark.parametrize("path", ["/", "/hooks/_sandbox", "/sandbox", "/x_sandbox", "/%2e%2e%2f"])
def test_other_paths_are_not_the_control_plane(path: str) -> None:
    assert webhooks.checked_url(f"http://127.0.0.1:8000{path}")


def test_a_port_that_is_no_number_is_refused() -> None:
    with pytest.raises(InvalidInput, match="webhook_url"):
        webhooks.checked_url("http://example.com:port/")


def answers_of(*pieces: bytes, count: int) -> list[tuple[int, bool]]:
    """`count` answers read from a connection whose bytes arrive in `pieces`."""

    async def run() -> list[tuple[int, bool]]:
        reader = asyncio.StreamReader()
        answers = webhooks.Answers(reader)

        async def feed() -> None:
            for piece in pieces:
                reader.feed_data(piece)
                await asyncio.sleep(0)
            reader.feed_eof()

        feeding = asyncio.ensure_future(feed())
        got = [await answers.next() for _ in range(count)]
        await feeding
        return got

    return asyncio.run(run())


def test_pipelined_answers_in_one_read_are_each_read_whole() -> None:
    burst = (
        b"HTTP/1.1 204 No Content\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;x=1\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n"
        b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    expected = [(204, False), (200, False), (202, False), (500, True)]
    assert answers_of(burst, count=4) == expected
    # the same bytes a few at a time: no answer is taken before it is whole
    pieces = [burst[i : i + 7] for i in range(0, len(burst), 7)]
    assert answers_of(*pieces, count=4) == expected


def test_an_answer_cut_short_or_not_http_fails() -> None:
    with pytest.raises(asyncio.IncompleteReadError):
        answers_of(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", count=1)
    with pytest.raises(ValueError, match="not an HTTP answer"):
        answers_of(b"SMTP ready\r\n\r\n", count=1)
    with pytest.raises(ValueError, match="longer than"):
        answers_of(b"HTTP/1.1 200 OK\r\nX: " + b"y" * (webhooks.MAX_HEAD + webhooks.READ), count=1)


def test_answers_alike_in_a_row_share_an_outcome_and_a_change_starts_another() -> None:
    statuses = iter([204, 204, 500, 204])
    told: list[tuple[list[str], int]] = []

    async def run() -> None:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            for status in statuses:
                head = await reader.readuntil(b"\r\n\r\n")
                await reader.readexactly(int(head.split(b"Content-Length: ")[1].split(b"\r")[0]))
                writer.write(b"HTTP/1.1 %d X\r\nContent-Length: 0\r\n\r\n" % status)
            await writer.drain()

        target_server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = target_server.sockets[0].getsockname()[1]
        target = WebhookTarget(
            f"http://127.0.0.1:{port}/",
            lambda messages, outcome: told.append(([m["id"] for m in messages], outcome.status)),
        )
        target.deliver([({"id": str(n), "vendor": "capillary"}, b"{}") for n in range(4)])
        assert target.worker is not None
        while sum(len(ids) for ids, _ in told) < 4:
            await asyncio.sleep(0.01)
        target_server.close()

    asyncio.run(run())
    assert told == [(["0", "1"], 204), (["2"], 500), (["3"], 204)]


def work_to_read(*pieces: bytes, count: int = 1) -> int:
    """The calls (Python and C) made while `count` answers arrive in `pieces`, one read
    each: a measure of the parsing work that does not depend on the machine's speed."""
    calls = 0

    def counting(frame: object, event: str, arg: object) -> None:
        nonlocal calls
        calls += 1

    sys.setprofile(counting)
    try:
        answers_of(*pieces, count=count)
    finally:
        sys.setprofile(None)
    return calls


def one_byte_chunks(count: int) -> list[bytes]:
    """A chunked answer of `count` one-byte chunks, in as many pieces."""
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    return [head, *[b"1\r\nx\r\n"] * count, b"0\r\n\r\n"]


def test_an_answer_in_tiny_chunks_is_parsed_in_linear_work() -> None:
    """Each read is parsed from where the last stopped: twice the chunks, twice the work (it
    was four times: every read parsed the answer again from its start)."""
    assert answers_of(*one_byte_chunks(300), count=1) == [(200, False)]
    small = work_to_read(*one_byte_chunks(300))
    large = work_to_read(*one_byte_chunks(600))
    assert large < 2.3 * small, (small, large)


def test_answers_with_large_heads_leave_nothing_behind() -> None:
    """A target answering a different large head each time (a cache of heads kept every one,
    256 of them: ~250 MB with 1 MB heads): what reading them holds is freed after."""
    heads = [
        b"HTTP/1.1 204 No Content\r\nX-Pad: %s\r\n\r\n" % (b"%05d" % n * 10_000)
        for n in range(20)  # 50 kB each, different
    ]
    answers_of(b"HTTP/1.1 204 No Content\r\n\r\n", count=1)  # what the first run allocates
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        assert answers_of(*heads, count=20) == [(204, False)] * 20
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 200_000, held


def test_one_megabyte_heads_are_refused_and_leave_nothing_behind() -> None:
    """The issue's case: each connection answering a different 1 MB head."""
    answers_of(b"HTTP/1.1 204 No Content\r\n\r\n", count=1)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(10):
            head = b"HTTP/1.1 204 No Content\r\nX-Pad: %s\r\n\r\n" % (b"%07d" % n * 140_000)
            with pytest.raises(ValueError, match="head longer than"):
                answers_of(head, count=1)
            del head
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 200_000, held


def test_reading_a_large_answer_holds_a_read_not_the_answer() -> None:
    """A body is counted, not kept, and read as far as MAX_BODY: its answer is told by its
    status, and the connection closes (the rest unread)."""
    body = b"x" * (1 << 20)
    answer = b"HTTP/1.1 500 Oops\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    pieces = [answer[i : i + webhooks.READ] for i in range(0, len(answer), webhooks.READ)]
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        assert answers_of(*pieces, count=1) == [(500, True)]
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    # the pieces themselves are the test's; reading them holds a few reads at the most
    assert peak - len(answer) < 4 * webhooks.READ, peak
    small = b"HTTP/1.1 200 OK\r\nContent-Length: 60000\r\n\r\n" + b"x" * 60_000
    assert answers_of(small, small, count=2) == [(200, False), (200, False)]


def test_a_head_past_its_limit_is_refused_before_it_is_whole() -> None:
    endless = [b"HTTP/1.1 200 OK\r\nX: ", *[b"y" * 1000] * (webhooks.MAX_HEAD // 1000 + 70)]
    with pytest.raises(ValueError, match="head longer than"):
        answers_of(*endless, b"\r\n\r\n", count=1)


def test_the_backlog_is_bounded_in_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhooks, "BACKLOG_BYTES", 10_000)
    monkeypatch.setattr(webhooks, "TIMEOUT", 0.2)
    monkeypatch.setattr(webhooks, "IDLE", 0.1)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(4)  # accepts, never answers
    told: list[tuple[list[str], Delivery]] = []

    async def run() -> None:
        target = WebhookTarget(
            f"http://127.0.0.1:{silent.getsockname()[1]}/",
            lambda messages, outcome: told.append(([m["id"] for m in messages], outcome)),
        )
        batch = [({"id": str(n), "vendor": "capillary"}, b"x" * 1000) for n in range(25)]
        target.deliver(batch)
        assert target.waiting_bytes <= 10_000
        assert target.worker is not None
        await target.worker

    try:
        asyncio.run(run())
    finally:
        silent.close()
    dropped = [ids for ids, outcome in told if outcome.error and "not sent" in outcome.error]
    assert dropped == [[str(n) for n in range(10, 25)]]


def test_past_a_long_body_the_connection_is_cut_and_nothing_sent_twice() -> None:
    """A target answering 500 with a 1 MB page to each of a pipelined batch: the first is
    told by its status, the connection is closed unread, and the others (which the target
    did get) are told unanswered, not sent again."""
    told: list[tuple[list[str], int, str | None]] = []
    connections = 0

    async def run() -> None:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            page = b"x" * (1 << 20)
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    await reader.readexactly(
                        int(head.split(b"Content-Length: ")[1].split(b"\r")[0])
                    )
                    writer.write(b"HTTP/1.1 500 Oops\r\nContent-Length: %d\r\n\r\n" % len(page))
                    writer.write(page)
                    await writer.drain()

        target_server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = target_server.sockets[0].getsockname()[1]
        target = WebhookTarget(
            f"http://127.0.0.1:{port}/",
            lambda messages, outcome: told.append(
                ([m["id"] for m in messages], outcome.status, outcome.error)
            ),
        )
        target.deliver([({"id": str(n), "vendor": "capillary"}, b"{}") for n in range(3)])
        async with asyncio.timeout(10):
            while sum(len(ids) for ids, _, _ in told) < 3:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)
        target_server.close()

    asyncio.run(run())
    assert told == [(["0"], 500, None), (["1", "2"], 0, webhooks.CUT)]
    assert connections == 1  # none sent again on a new connection
