"""A pytest plugin for bench/bdd.py: the time the suite spent in HTTP calls (httpx.Client.send),
printed at exit as `bench-http: <seconds> <requests>`."""

from __future__ import annotations

import atexit
import time
from typing import Any

import httpx

_TOTAL = [0.0, 0]
_SEND = httpx.Client.send


def _timed_send(self: httpx.Client, *args: Any, **kwargs: Any) -> httpx.Response:
    started = time.perf_counter()
    try:
        return _SEND(self, *args, **kwargs)
    finally:
        _TOTAL[0] += time.perf_counter() - started
        _TOTAL[1] += 1


httpx.Client.send = _timed_send  # type: ignore[method-assign]
atexit.register(lambda: print(f"\nbench-http: {_TOTAL[0]:.6f} {_TOTAL[1]}"))
