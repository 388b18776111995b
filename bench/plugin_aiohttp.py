"""aiohttp sends through the plugin's routes (issue 25), against aioresponses answering a constant.

One `aiohttp.ClientSession` loop in this process posts sendMessage to
`https://eu.api.capillarytech.com`, three ways, in the same rounds:

- routed: `sandbox.testing.aiohttp_routes` (a client middleware answers from an in-process
  sandbox): the plugin's path;
- constant: aioresponses answering a constant (the mock library's own cost, no sandbox work):
  the reference, target >= 0.6 of its sends per second;
- aioresponses-routed: the design not taken, aioresponses with a callback that hands the
  request to the same in-process sandbox (`AppCaller.exchange`), measured to choose;
- middleware-constant: the plugin's middleware answering a constant instead of the sandbox
  (what the interception itself costs; the rest of "routed" is the sandbox's work).

The sides rotate (each goes first in one or two rounds of six); the figure is the median of the
per-round ratios routed/constant in sends per second, with their spread. aioresponses 0.7.9
cannot build a response on aiohttp 3.14 (its ClientResponse takes a `stream_writer`,
pnuckowski/aioresponses#289): the constant side gives it a response class that supplies one.
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import time
from collections.abc import Callable
from typing import Any, cast

import aiohttp
from aioresponses import CallbackResult, aioresponses

from bench.inprocess import BODY, CONSTANT, FIXTURE, HOST, PATH
from bench.model import Env, Measurement
from sandbox.testing import Sandbox, in_process
from sandbox.testing.aiohttp_routes import aiohttp_routes
from sandbox.testing.transport import Answer

SENDS = 1_000  # per side and round
ROUNDS = 6
QUICK_ROUNDS = 2
TARGET = 0.6
VENDOR = re.compile(r"^https://eu\.api\.capillarytech\.com/")


class _Response(aiohttp.ClientResponse):
    """aioresponses' ClientResponse, with the argument aiohttp 3.14 added."""

    def __init__(self, method: str, url: Any, **arguments: Any) -> None:
        arguments.setdefault("stream_writer", _Written())
        super().__init__(method, url, **arguments)


class _Written:
    output_size = 0


def _loop(headers: dict[str, str]) -> Callable[[int], None]:
    async def sends_of(count: int) -> None:
        async with aiohttp.ClientSession(HOST, headers=headers) as session:
            for _ in range(count):
                async with session.post(PATH, json=BODY) as answer:
                    await answer.read()
                    if answer.status != 200:
                        raise RuntimeError(f"the send answered {answer.status}")

    return lambda count: asyncio.run(sends_of(count))


def _rate(side: Callable[[Callable[[int], None]], None], loop: Callable[[int], None]) -> float:
    started = time.perf_counter()
    side(loop)
    return SENDS / (time.perf_counter() - started)


def _routed(sandbox: Sandbox) -> Callable[[Callable[[int], None]], None]:
    def run(loop: Callable[[int], None]) -> None:
        with aiohttp_routes(sandbox):
            loop(SENDS)

    return run


def _constant(loop: Callable[[int], None]) -> None:
    with aioresponses() as mocked:
        mocked.post(VENDOR, payload=CONSTANT, repeat=True, response_class=_Response)
        loop(SENDS)


def _aioresponses_routed(sandbox: Sandbox) -> Callable[[Callable[[int], None]], None]:
    """The alternative: aioresponses' callback rebuilds the request from the call's keywords
    (here only json= and headers: the rest of aiohttp's request building would be copied)."""
    caller = sandbox.caller
    assert caller is not None

    async def callback(url: Any, **call: Any) -> CallbackResult:
        body = json.dumps(call["json"]).encode()
        headers = [(k.lower().encode(), v.encode()) for k, v in call["headers"].items()]
        headers.append((b"content-type", b"application/json"))
        answer = await caller.exchange(
            method="POST",
            scheme="https",
            server=(url.raw_host, 443),
            target=f"/capillary{url.raw_path_qs}",
            headers=headers,
            body=body,
        )
        assert answer is not None
        status, answer_headers, content = answer
        return CallbackResult(
            status=status,
            body=content,
            headers={k.decode(): v.decode() for k, v in answer_headers},
            response_class=_Response,
        )

    def run(loop: Callable[[int], None]) -> None:
        with aioresponses() as mocked:
            mocked.post(VENDOR, callback=callback, repeat=True)
            loop(SENDS)

    return run


class _ConstantCaller:
    """Stands for the in-process app: answers every request with the same send's answer."""

    answer_headers = [(b"content-type", b"application/json")]

    async def exchange(self, **request: Any) -> Answer:
        return 200, self.answer_headers, _CONSTANT_BODY


_CONSTANT_BODY = json.dumps(CONSTANT).encode()


def _middleware_constant(sandbox: Sandbox) -> Callable[[Callable[[int], None]], None]:
    return _routed(Sandbox(sandbox.http, cast(Any, _ConstantCaller())))


def plugin_aiohttp(env: Env, rounds: int = ROUNDS) -> list[Measurement]:
    del env  # in this process: no server, no CPU pinning
    print(f"plugin-aiohttp: {rounds} rotated rounds of {SENDS:,} sends a side", flush=True)
    with in_process() as sandbox:
        tenant = sandbox.create_tenant(FIXTURE)
        loop = _loop(tenant.capillary_auth())
        sides = {
            "routed": _routed(sandbox),
            "constant": _constant,
            "aioresponses-routed": _aioresponses_routed(sandbox),
            "middleware-constant": _middleware_constant(sandbox),
        }
        rates: dict[str, list[float]] = {name: [] for name in sides}
        for side in sides.values():  # warm-up, unmeasured
            side(loop)
        names = list(sides)
        for round_ in range(rounds):
            for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
                rates[name].append(_rate(sides[name], loop))
            tenant.clear_outbox()
    ratios = [r / c for r, c in zip(rates["routed"], rates["constant"], strict=True)]
    other = [a / c for a, c in zip(rates["aioresponses-routed"], rates["constant"], strict=True)]
    floor = [r / m for r, m in zip(rates["routed"], rates["middleware-constant"], strict=True)]
    median = statistics.median(ratios)
    per_second = {name: round(statistics.median(values)) for name, values in rates.items()}
    figure = (
        f"{median:.2f}x of aioresponses answering a constant (spread {min(ratios):.2f}-"
        f"{max(ratios):.2f}; {per_second['routed']:,} vs {per_second['constant']:,} sends/s)"
    )
    return [
        Measurement(
            "plugin-aiohttp",
            "sendMessage from an aiohttp ClientSession through the plugin's routes, in-process",
            figure,
            f">= {TARGET}x",
            passed=median >= TARGET,
            details={
                "rounds": rounds,
                "sends_per_round": SENDS,
                "sends_per_second_median": per_second,
                "ratios": [round(r, 3) for r in ratios],
                "aioresponses_routed_ratios": [round(r, 3) for r in other],
                "routed_vs_middleware_constant": [round(r, 3) for r in floor],
                "aiohttp": aiohttp.__version__,
            },
            notes=[
                f"the design not taken, aioresponses with a callback into the same sandbox: "
                f"{statistics.median(other):.2f}x (spread {min(other):.2f}-{max(other):.2f})",
                f"routed vs the same middleware answering a constant (the sandbox's own share): "
                f"{statistics.median(floor):.2f}x (spread {min(floor):.2f}-{max(floor):.2f})",
            ],
        )
    ]
