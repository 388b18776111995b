"""Another tenant's traffic while a large request runs (the stall benches): the demo tenant's
sendMessage every 5 ms on a thread of its own, timed while the large request is under way."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

SEND = "/capillary/v2/communications/sendMessage?channel=sms"
BODY = {"sms": [{"to": "919988221100", "body": "Your order has shipped"}]}
PAUSE = 0.005  # seconds between one send's answer and the next send


@contextmanager
def sending(base_url: str) -> Iterator[OtherTenant]:
    """The demo tenant sending until the block ends (0.5 s of warm-up first)."""
    other = OtherTenant(base_url)
    other.thread.start()
    time.sleep(0.5)
    try:
        yield other
    finally:
        other.done.set()
        other.thread.join()
    if other.failure is not None:
        raise RuntimeError(other.failure)


class OtherTenant:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.latencies: list[float] = []
        self.timing = threading.Event()
        self.done = threading.Event()
        self.failure: str | None = None
        self.thread = threading.Thread(target=self._send)

    def _send(self) -> None:
        with httpx.Client(base_url=self.base_url, auth=("demo_till", "demo-password")) as client:
            while not self.done.is_set():
                started = time.perf_counter()
                status = client.post(SEND, json=BODY).status_code
                if status != 200:
                    self.failure = f"a send of the other tenant answered {status}"
                    return
                if self.timing.is_set():
                    self.latencies.append(time.perf_counter() - started)
                time.sleep(PAUSE)

    @contextmanager
    def timed(self) -> Iterator[None]:
        """Its sends are timed while the block runs (the large request)."""
        self.latencies.clear()
        self.timing.set()
        try:
            yield
        finally:
            self.timing.clear()

    def figures(self) -> dict[str, Any]:
        """The timed sends: how many, the slowest, p99 and median in ms."""
        ordered = sorted(self.latencies)
        if not ordered:
            raise RuntimeError("no send of the other tenant was timed")
        return {
            "sends": len(ordered),
            "slowest_ms": ordered[-1] * 1000,
            "p99_ms": ordered[int(len(ordered) * 0.99)] * 1000,
            "median_ms": statistics.median(ordered) * 1000,
        }
