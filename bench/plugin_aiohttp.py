"""aiohttp sends through the plugin's routes (issue 25), against aioresponses answering a constant.

One `aiohttp.ClientSession` loop in this process posts sendMessage to
`https://eu.api.capillarytech.com`, four ways, in the same rounds:

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
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, cast

import aiohttp
from aioresponses import CallbackResult, aioresponses

from bench import rotated
from bench.inprocess import BODY, CONSTANT, FIXTURE, HOST, PATH
from bench.model import Env, Measurement
from sandbox.testing import Sandbox, in_process
from sandbox.testing.aiohttp_routes import aiohttp_routes
from sandbox.testing.transport import RawResponse

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


@contextmanager
def _constant() -> Iterator[None]:
    with aioresponses() as mocked:
        mocked.post(VENDOR, payload=CONSTANT, repeat=True, response_class=_Response)
        yield


@contextmanager
def _aioresponses_routed(sandbox: Sandbox) -> Iterator[None]:
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

    with aioresponses() as mocked:
        mocked.post(VENDOR, callback=callback, repeat=True)
        yield


class _ConstantCaller:
    """Stands for the in-process app: answers every request with the same send's answer."""

    answer_headers = [(b"content-type", b"application/json")]

    async def exchange(self, **request: Any) -> RawResponse:
        return 200, self.answer_headers, _CONSTANT_BODY


_CONSTANT_BODY = json.dumps(CONSTANT).encode()


def _middleware_constant(sandbox: Sandbox) -> AbstractContextManager[object]:
    return aiohttp_routes(Sandbox(sandbox.http, cast(Any, _ConstantCaller())))


def plugin_aiohttp(env: Env, rounds: int = ROUNDS) -> list[Measurement]:
    del env  # in this process: no server, no CPU pinning
    print(f"plugin-aiohttp: {rounds} rotated rounds of {SENDS:,} sends a side", flush=True)
    with in_process() as sandbox:
        tenant = sandbox.create_tenant(FIXTURE)
        loop = _loop(tenant.capillary_auth())
        sides: dict[str, tuple[rotated.Routes, rotated.Loop]] = {
            "routed": (lambda: aiohttp_routes(sandbox), loop),
            "constant": (_constant, loop),
            "aioresponses-routed": (lambda: _aioresponses_routed(sandbox), loop),
            "middleware-constant": (lambda: _middleware_constant(sandbox), loop),
        }
        measured = rotated.rates(sides, rounds, SENDS, after_round=tenant.clear_outbox)
    ratios = rotated.ratios(measured, "routed", "constant")
    other = rotated.ratios(measured, "aioresponses-routed", "constant")
    floor = rotated.ratios(measured, "routed", "middleware-constant")
    per_second = rotated.medians(measured)
    median = statistics.median(ratios)
    figure = (
        f"{rotated.figure(ratios)} of aioresponses answering a constant; "
        f"{per_second['routed']:,} vs {per_second['constant']:,} sends/s"
    )
    return [
        Measurement(
            "plugin-aiohttp",
            "sendMessage from an aiohttp ClientSession through the plugin's routes, in-process",
            figure,
            f">= {TARGET}x",
            passed=median >= TARGET,
            details={
                **rotated.details(
                    measured,
                    rounds,
                    SENDS,
                    ratios=ratios,
                    aioresponses_routed_ratios=other,
                    routed_vs_middleware_constant=floor,
                ),
                "aiohttp": aiohttp.__version__,
            },
            notes=[
                "the design not taken, aioresponses with a callback into the same sandbox: "
                + rotated.figure(other),
                "routed vs the same middleware answering a constant (the sandbox's own share): "
                + rotated.figure(floor),
            ],
        )
    ]
