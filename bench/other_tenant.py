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
TIMEOUT = 300.0  # seconds a send may wait for its answer


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
        # (start, end) of each send, perf_counter seconds, since the last `timed` began
        self.sends: list[tuple[float, float]] = []
        self.window: tuple[float, float] | None = None
        self.answered = threading.Condition()
        self.done = threading.Event()
        self.failure: str | None = None
        self.thread = threading.Thread(target=self._send)

    def _send(self) -> None:
        # (a server held up for seconds is what is measured: no client timeout cuts it short)
        with httpx.Client(
            base_url=self.base_url, auth=("demo_till", "demo-password"), timeout=TIMEOUT
        ) as client:
            while not self.done.is_set():
                started = time.perf_counter()
                outcome: int | str
                try:
                    outcome = client.post(SEND, json=BODY).status_code
                except httpx.HTTPError as exc:
                    outcome = f"no answer ({exc!r})"
                ended = time.perf_counter()
                with self.answered:
                    if outcome != 200:
                        self.failure = f"a send of the other tenant answered {outcome}"
                    self.sends.append((started, ended))
                    self.answered.notify_all()
                if self.failure is not None:
                    return
                time.sleep(PAUSE)

    @contextmanager
    def timed(self) -> Iterator[None]:
        """Its sends are timed while the block runs (the large request): every send under way
        at some moment of it, the one the block held up at its end included (waited for)."""
        with self.answered:
            self.sends.clear()
        began = time.perf_counter()
        try:
            yield
        finally:
            ended = time.perf_counter()
            with self.answered:
                self.answered.wait_for(
                    lambda: (
                        self.failure is not None
                        or (bool(self.sends) and self.sends[-1][1] >= ended)
                    ),
                    timeout=TIMEOUT,
                )
            self.window = (began, ended)

    def figures(self) -> dict[str, Any]:
        """The timed sends: how many, the slowest, p99 and median in ms."""
        if self.window is None:
            raise RuntimeError("nothing was timed")
        began, ended = self.window
        with self.answered:
            ordered = sorted(
                end - start for start, end in self.sends if end >= began and start <= ended
            )
        if not ordered:
            raise RuntimeError(f"no send of the other tenant was timed ({self.failure})")
        return {
            "sends": len(ordered),
            "slowest_ms": ordered[-1] * 1000,
            "p99_ms": ordered[int(len(ordered) * 0.99)] * 1000,
            "median_ms": statistics.median(ordered) * 1000,
        }
