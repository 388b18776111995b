"""Waiting in the tests that run a real server: `wait_for` polls until a check holds, and
`listening` opens a tenant's event stream (GET .../events) in a thread and collects the
messages it hears."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx


def wait_for(check: Callable[[], Any], seconds: float = 10.0) -> Any:
    """The first truthy answer of `check`, polled every 20 ms; an AssertionError after
    `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"not within {seconds} s")


@contextmanager
def listening(
    client: httpx.Client, events_path: str, count: int = 1, seconds: float = 5.0
) -> Iterator[list[dict[str, Any]]]:
    """The `message` events the stream at `events_path` hears, up to `count` of them, in the
    list this yields. The stream is open and registered when the body runs; leaving it waits
    up to `seconds` for the `count`-th event (the assertions after it say what was missing)."""
    events: list[dict[str, Any]] = []
    opened = threading.Event()

    def listen() -> None:
        with client.stream("GET", events_path, timeout=seconds + 5) as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            opened.set()
            kind = None
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind == "message":
                    events.append(json.loads(line[6:]))
                    if len(events) == count:
                        return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    assert opened.wait(5), "the event stream did not open"
    time.sleep(0.2)  # the stream is registered before its first byte is sent
    yield events
    listener.join(seconds)
