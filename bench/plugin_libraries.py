"""`plugin-libraries`: requests and urllib3 through the plugin's routes (issue 25).

One loop in this process posts sendMessage to `https://eu.api.capillarytech.com` (a requests
`Session`, or a urllib3 `PoolManager`), answered by the in-process sandbox through the routes the
`comms_sandbox` fixture enters for them (`sandbox.testing.urllib3_routes`: urllib3's pools'
`_make_request`), and the same loop answered by a library mock that returns a constant (the
sandbox's own answer to that send, same size):

- requests: `responses` (its `RequestsMock`, which patches `HTTPAdapter.send`). Target >= 0.6.
- urllib3: a constant returned by a patched `HTTPConnectionPool.urlopen`, the point urllib3's own
  mocks patch (urllib3-mock, unmaintained since 2015, and its forks): all of urllib3's pooling
  and retry handling skipped, so the cheapest answer a urllib3 mock gives. Target >= 0.6.

Also measured in the same rounds, to choose the interception point (docs/architecture.md): the
same sandbox answer reached through `responses` (a callback registered for the vendors' hosts,
calling the sandbox exactly as urllib3_routes does), and a constant at `_make_request` itself
(the sandbox's own cost, with nothing of urllib3 skipped). The sides run in an order rotated
round after round; each figure is the median of its per-round ratios of sends per second, with
their spread.
"""

from __future__ import annotations

import io
import re
import statistics
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import orjson
import requests
import responses
import urllib3
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.response import HTTPResponse

from bench import rotated
from bench.inprocess import BODY, CONSTANT, FIXTURE, HOST, PATH
from bench.model import Env, Measurement
from sandbox.testing import Sandbox, in_process
from sandbox.testing.urllib3_routes import Router, body_bytes, urllib3_routes
from sandbox.vendors import VENDORS

URL = HOST + PATH
SENDS = 2_000  # per side and round
ROUNDS = 6
QUICK_ROUNDS = 2
TARGET = 0.6
ANSWER = orjson.dumps(CONSTANT)
JSON = {"Content-Type": "application/json"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _requests_loop(headers: dict[str, str]) -> Callable[[int], None]:
    def run(sends: int) -> None:
        with requests.Session() as session:
            session.headers.update(headers)
            for _ in range(sends):
                answer = session.post(URL, json=BODY)
                if answer.status_code != 200:
                    raise RuntimeError(f"the send answered {answer.status_code}: {answer.text}")

    return run


def _urllib3_loop(headers: dict[str, str]) -> Callable[[int], None]:
    def run(sends: int) -> None:
        with urllib3.PoolManager(headers=headers) as pool:
            for _ in range(sends):
                answer = pool.request("POST", URL, json=BODY)
                if answer.status != 200:
                    raise RuntimeError(f"the send answered {answer.status}: {answer.data!r}")

    return run


@contextmanager
def _responses_constant() -> Iterator[None]:
    """`responses` answering every send with the constant."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, URL, body=ANSWER, status=200, content_type="application/json")
        yield


@contextmanager
def _responses_routes(sandbox: Sandbox) -> Iterator[None]:
    """The candidate not chosen: `responses` callbacks for every vendor's hosts and methods,
    each calling the sandbox as urllib3_routes does."""
    router = Router(sandbox, VENDORS, block_network=False)

    def callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        url = urlsplit(request.url or "")
        vendor = router.hosts.find(url.hostname or "")
        assert vendor is not None
        target = url.path + (f"?{url.query}" if url.query else "")
        status, headers, content = router.call(
            (url.scheme, url.hostname or "", url.port),
            request.method or "GET",
            vendor.path(target),
            request.headers,
            body_bytes(request.body, request.method or "GET"),
        )
        return status, dict(headers), content

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for vendor in VENDORS:
            if vendor.real_hosts is not None:
                hosts = re.compile(rf"https?://{vendor.real_hosts.hosts.pattern}(?::\d+)?/")
                for method in METHODS:
                    mock.add_callback(method, hosts, callback=callback)
        yield


def _constant_response(pool: HTTPConnectionPool, **kwargs: Any) -> HTTPResponse:
    return HTTPResponse(
        body=io.BytesIO(ANSWER),
        headers=JSON,
        status=200,
        reason="OK",
        preload_content=kwargs.get("preload_content", True),
        decode_content=kwargs.get("decode_content", True),
        pool=pool,
    )


@contextmanager
def _patched(name: str) -> Iterator[None]:
    """`HTTPConnectionPool.<name>` answering the constant."""
    original = getattr(HTTPConnectionPool, name)

    def constant(pool: HTTPConnectionPool, *args: Any, **kwargs: Any) -> HTTPResponse:
        return _constant_response(pool, **kwargs)

    setattr(HTTPConnectionPool, name, constant)
    try:
        yield
    finally:
        setattr(HTTPConnectionPool, name, original)


def plugin_libraries(env: Env, rounds: int = ROUNDS) -> list[Measurement]:
    del env  # in this process: no server, no CPU pinning
    print(f"plugin libraries: {rounds} rotated rounds of {SENDS:,} sends a side", flush=True)
    with in_process() as sandbox:
        tenant = sandbox.create_tenant(FIXTURE)
        with_requests, with_urllib3 = (
            _requests_loop(tenant.capillary_auth()),
            _urllib3_loop(tenant.capillary_auth()),
        )
        sides: dict[str, tuple[rotated.Routes, rotated.Loop]]
        sides = {
            "requests routed": (lambda: urllib3_routes(sandbox), with_requests),
            "requests constant (responses)": (_responses_constant, with_requests),
            "requests via responses": (lambda: _responses_routes(sandbox), with_requests),
            "urllib3 routed": (lambda: urllib3_routes(sandbox), with_urllib3),
            "urllib3 constant (urlopen)": (lambda: _patched("urlopen"), with_urllib3),
            "urllib3 constant (_make_request)": (lambda: _patched("_make_request"), with_urllib3),
        }
        measured = rotated.rates(sides, rounds, SENDS, after_round=tenant.clear_outbox)
    with_responses = rotated.ratios(measured, "requests routed", "requests constant (responses)")
    with_urlopen = rotated.ratios(measured, "urllib3 routed", "urllib3 constant (urlopen)")
    choice = rotated.ratios(measured, "requests routed", "requests via responses")
    own_point = rotated.ratios(measured, "urllib3 routed", "urllib3 constant (_make_request)")
    per_second = rotated.medians(measured)
    details = rotated.details(
        measured,
        rounds,
        SENDS,
        requests_vs_responses_constant=with_responses,
        urllib3_vs_urlopen_constant=with_urlopen,
        urllib3_point_vs_responses_point=choice,
        urllib3_vs_make_request_constant=own_point,
    )
    shown = ", ".join(f"{name} {rate:,}/s" for name, rate in per_second.items())
    return [
        Measurement(
            "plugin-libraries",
            "sendMessage with requests through the plugin's routes vs responses' constant",
            f"{rotated.figure(with_responses)}; {per_second['requests routed']:,} vs "
            f"{per_second['requests constant (responses)']:,} sends/s",
            f">= {TARGET}x",
            passed=statistics.median(with_responses) >= TARGET,
            details=details,
            notes=[
                f"the interception point: urllib3's _make_request vs responses' HTTPAdapter.send, "
                f"both calling the sandbox: {rotated.figure(choice)}",
                f"medians: {shown}",
            ],
        ),
        Measurement(
            "plugin-libraries",
            "sendMessage with urllib3 through the plugin's routes vs a constant at urlopen",
            f"{rotated.figure(with_urlopen)}; {per_second['urllib3 routed']:,} vs "
            f"{per_second['urllib3 constant (urlopen)']:,} sends/s",
            f">= {TARGET}x",
            passed=statistics.median(with_urlopen) >= TARGET,
            details=details,
            notes=[
                "vs a constant at _make_request (the sandbox's own cost): "
                + rotated.figure(own_point)
            ],
        ),
    ]
