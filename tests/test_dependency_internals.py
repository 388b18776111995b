"""The libraries' internals the code relies on, each checked by name: when a new release moves
one, this test fails naming the library, its version, the internal and the code that uses it,
before anything fails in a way that is hard to trace. Every library listed here has an upper
bound in pyproject.toml, and every dependency is pinned in constraints.txt (docs/testing.md
"Dependencies")."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import re
import tomllib
from collections.abc import Callable, Mapping
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from uvicorn_by_hand import RecordingTransport, uvicorn_protocol

ROOT = Path(__file__).resolve().parent.parent


class Internal:
    """One internal of `library` the code relies on, and the check that it is still there."""

    def __init__(self, name: str, library: str, used_by: str, check: Callable[[], object]) -> None:
        self.name, self.library, self.used_by, self.check = name, library, used_by, check


INTERNALS: dict[str, Internal] = {}


def internal(name: str, library: str, used_by: str) -> Callable[[Callable[[], object]], None]:
    def register(check: Callable[[], object]) -> None:
        INTERNALS[name] = Internal(name, library, used_by, check)

    return register


def parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)


# -- uvicorn: sandbox/guarded_http.py, sandbox/asgi.py ---------------------------------------


def _uvicorn_protocol(protocol_class: type[Any]) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        # sandbox/asgi.py drop_connection: `send` is the cycle's method, the cycle holds the
        # connection's transport
        expect(getattr(send.__self__, "transport", None) is seen["transport"], "send.__self__")
        seen["sent"] = True
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    seen: dict[str, Any] = {}
    protocol = uvicorn_protocol(app, protocol_class)
    protocol.seen = seen
    return protocol


@internal(
    "uvicorn.protocols.http.httptools_impl.HttpToolsProtocol: loop, connections, scope, cycle",
    "uvicorn",
    "sandbox/guarded_http.py (the head and body limits, the connection cap)",
)
def _uvicorn_http_tools_protocol() -> None:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    expect(
        parameters(HttpToolsProtocol.__init__)[:4]
        == ["self", "config", "server_state", "app_state"],
        "__init__(config, server_state, app_state)",
    )

    async def probe() -> None:
        loop = asyncio.get_running_loop()
        protocol = _uvicorn_protocol(HttpToolsProtocol)
        expect(protocol.loop is loop, "loop")
        expect(protocol.scope is None, "scope is None before a request")
        expect(protocol.cycle is None, "cycle is None before a request")
        transport = RecordingTransport()
        protocol.seen["transport"] = transport
        protocol.connection_made(transport)
        expect(
            protocol in protocol.connections, "connections (the server's set) after connection_made"
        )
        expect(protocol.transport is transport and protocol.client is not None, "transport, client")
        protocol.data_received(b"POST / HTTP/1.1\r\nhost: x\r\n")
        scope = protocol.scope
        expect(isinstance(scope, dict), "scope is a new dict once a request began")
        expect("method" not in scope, 'scope has no "method" while the head arrives')
        protocol.data_received(b"content-length: 2\r\n\r\n")
        expect(protocol.scope is scope and scope.get("method") == "POST", 'scope["method"]')
        cycle = protocol.cycle
        expect(cycle.more_body is True and cycle.response_complete is False, "cycle.more_body")
        protocol.data_received(b"{}")
        expect(cycle.more_body is False, "cycle.more_body is False once the body is whole")
        for _ in range(10):
            await asyncio.sleep(0)
        expect(protocol.seen.get("sent") is True, "the app ran")
        expect(cycle.response_complete is True, "cycle.response_complete")
        expect(transport.written.startswith(b"HTTP/1.1 204"), "the answer was written")
        protocol.connection_lost(None)

    asyncio.run(probe())


@internal(
    "uvicorn.protocols.http.httptools_impl.HttpToolsProtocol: no attribute of the subclass's",
    "uvicorn",
    "sandbox/guarded_http.py (GuardedHttpToolsProtocol's own attributes)",
)
def _uvicorn_names_free() -> None:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from sandbox.guarded_http import GuardedHttpToolsProtocol

    async def probe() -> set[str]:
        protocol = _uvicorn_protocol(HttpToolsProtocol)
        guarded = _uvicorn_protocol(GuardedHttpToolsProtocol)
        ours = (set(vars(guarded)) - set(vars(protocol)) - {"seen"}) | {
            name for name in vars(GuardedHttpToolsProtocol) if not name.startswith("__")
        }
        overridden = {"connection_made", "data_received"}
        return (ours - overridden) & (set(dir(HttpToolsProtocol)) | set(vars(protocol)))

    clash = asyncio.run(probe())
    expect(not clash, f"uvicorn now defines {sorted(clash)}, which the subclass sets too")


_GET = b"GET /a HTTP/1.1\r\nhost: x\r\n\r\n"
_POSTED = b"POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}"
# (requests, status, body, how the app answers): what send_json answers, through each path;
# how: "" answers at once, "read" reads the body first, "then-read" reads after answering (an
# `expect: 100-continue` must not be answered after the answer), "gone" answers a client that
# hung up, "raising" a connection whose write raises, "logged" with the access log on,
# "twice" answers a second time
ANSWERED = [
    (_GET, 200, {"ok": True}, ""),
    (b"HEAD /a HTTP/1.1\r\nhost: x\r\n\r\n", 200, {"ok": True}, ""),
    (b"DELETE /a HTTP/1.1\r\nhost: x\r\n\r\n", 204, None, ""),
    (b"POST /a HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n", 200, b"", ""),
    (b"GET /a HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n", 404, {"e": 1}, ""),
    (b"GET /a HTTP/1.0\r\n\r\n", 200, {"ok": True}, ""),
    (_GET + b"GET /b HTTP/1.1\r\nhost: x\r\n\r\n", 200, {}, ""),
    (_POSTED, 201, {}, "read"),
    (
        b"POST /a HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\n",
        401,
        {},
        "then-read",
    ),
    (_GET, 200, {}, "gone"),
    (_GET, 200, {}, "raising"),
    (_GET, 200, {}, "logged"),
    (_GET, 200, {}, "twice"),
]


class _Raising(RecordingTransport):
    def write(self, data: bytes | bytearray | memoryview) -> None:
        raise OSError("the connection broke")


def _answered(requests: bytes, status: int, body: Any, how: str, at_once: bool) -> Any:
    """`requests` through uvicorn's httptools protocol, each answered by send_json as `how`
    says: written at once (sandbox/uvicorn_answer.py), or (`at_once` False) through uvicorn's
    own send. What was written, how many writes, and the state of the connection and of each
    request's cycle after it."""
    from uvicorn.server import ServerState

    from sandbox.asgi import send_json

    cycles: list[Any] = []
    protocol: Any = None

    async def app(scope: Any, receive: Any, send: Any) -> None:
        cycles.append(send.__self__)

        async def uvicorns(message: Any) -> None:  # (not the cycle's method: uvicorn's path)
            await send(message)

        if how == "read":
            await receive()
        elif how == "gone":
            protocol.connection_lost(None)
        answer = {**body, "path": scope["path"]} if isinstance(body, dict) else body
        await send_json(send if at_once else uvicorns, status, answer)
        if how == "then-read":
            await receive()
        elif how == "twice":  # (uvicorn refuses a second answer)
            with contextlib.suppress(RuntimeError):
                await send_json(send if at_once else uvicorns, status, answer)

    async def run() -> tuple[RecordingTransport, tuple[Any, Any]]:
        nonlocal protocol
        state = ServerState()
        state.default_headers = [(b"date", b"Mon, 07 Dec 2026 00:00:00 GMT"), (b"server", b"x")]
        protocol = uvicorn_protocol(app, access_log=how == "logged", state=state)
        transport = _Raising() if how == "raising" else RecordingTransport()
        protocol.connection_made(transport)
        protocol.data_received(requests)
        for _ in range(20):
            await asyncio.sleep(0)
        # (taken before connection_lost, which closes the transport and sets the event)
        connection = (
            transport.closed,
            state.total_requests,
            protocol.timeout_keep_alive_task is not None,
            len(protocol.pipeline),
        )
        cycles_state = [
            (
                c.response_started,
                c.response_complete,
                c.waiting_for_100_continue,
                c.keep_alive,
                c.disconnected,
                c.more_body,
                c.message_event.is_set(),
            )
            for c in cycles
        ]
        protocol.connection_lost(None)
        return transport, (connection, cycles_state)

    access = logging.getLogger("uvicorn.access")
    handler = logging.NullHandler()
    if how == "logged":  # (uvicorn logs access when its logger has a handler)
        access.addHandler(handler)
    try:
        transport, (connection, cycles_state) = asyncio.run(run())
    finally:
        access.removeHandler(handler)
    return transport.written, len(transport.writes), connection, cycles_state


@internal(
    "uvicorn.protocols.http.httptools_impl.RequestResponseCycle: what its send writes, and "
    "the state it leaves (STATUS_LINE, default_headers, keep_alive, flow, on_response, ...)",
    "uvicorn",
    "sandbox/uvicorn_answer.py (an answer written at once, as uvicorn's send would write it)",
)
def _uvicorn_answer_at_once() -> None:
    for requests, status, body, how in ANSWERED:
        ours, writes, *state = _answered(requests, status, body, how, at_once=True)
        theirs, their_writes, *their_state = _answered(requests, status, body, how, False)
        case = f"{requests.split(b' ')[0].decode()} {status} {how}"
        expect(ours == theirs, f"{case}: written as uvicorn writes it ({ours!r} vs {theirs!r})")
        expect(state == their_state, f"{case}: the state left ({state} vs {their_state})")
        answers = len(state[1]) if how not in ("gone", "raising") else 0
        expected = their_writes if how == "logged" else answers  # (logged: uvicorn's send)
        expect(writes == expected, f"{case}: {writes} writes, not {expected}")


# -- respx: sandbox/testing/respx_routes.py --------------------------------------------------


@internal(
    "respx.mocks.Mocker.registry, Mocker.routers, MockRouter.handler/async_handler",
    "respx",
    "sandbox/testing/respx_routes.py (SandboxRouter, other routers deciding other hosts)",
)
def _respx_router() -> None:
    import respx
    from respx.mocks import Mocker
    from respx.models import AllMockedAssertionError

    expect(isinstance(Mocker.registry, Mapping) and bool(Mocker.registry), "Mocker.registry")
    for mocker in Mocker.registry.values():
        expect(isinstance(mocker.routers, list), f"{mocker.__name__}.routers")
        source = inspect.getsource(mocker.handler) + inspect.getsource(mocker.async_handler)
        expect(
            "router.handler(" in source and "router.async_handler(" in source,
            f"{mocker.__name__} calls each router's handler/async_handler",
        )
    expect(parameters(respx.MockRouter.handler) == ["self", "request"], "handler(request)")
    expect(parameters(respx.MockRouter.async_handler) == ["self", "request"], "async_handler")
    expect(issubclass(AllMockedAssertionError, AssertionError), "AllMockedAssertionError")


# -- aiohttp: sandbox/testing/aiohttp_routes.py ----------------------------------------------


@internal(
    "aiohttp.ClientSession._request(method, str_or_url, *, middlewares), ._middlewares",
    "aiohttp",
    "sandbox/testing/aiohttp_routes.py (the sandbox's client middleware added to every request)",
)
def _aiohttp_session() -> None:
    from aiohttp import ClientSession

    signature = inspect.signature(ClientSession._request)
    expect(list(signature.parameters)[:3] == ["self", "method", "str_or_url"], "_request")
    middlewares = signature.parameters.get("middlewares")
    expect(
        middlewares is not None and middlewares.kind is inspect.Parameter.KEYWORD_ONLY,
        "middlewares=",
    )
    expect(inspect.iscoroutinefunction(ClientSession._request), "_request is a coroutine function")

    async def probe() -> None:
        async with ClientSession(middlewares=()) as session:
            expect(session._middlewares == (), "ClientSession._middlewares")

    asyncio.run(probe())


@internal(
    "aiohttp.ClientResponse(writer, continue100, timer, request_info, traces, loop, session) "
    "and its _headers, _raw_headers, _raw_cookie_headers, _closed, _response_eof",
    "aiohttp",
    "sandbox/testing/aiohttp_routes.py (_response: the sandbox's answer as a ClientResponse)",
)
def _aiohttp_response() -> None:
    from aiohttp import ClientRequest, ClientResponse

    from sandbox.testing.aiohttp_routes import _STREAM_WRITER

    given = {"writer", "continue100", "timer", "request_info", "traces", "loop", "session"}
    if _STREAM_WRITER:
        given.add("stream_writer")
    accepted = inspect.signature(ClientResponse.__init__).parameters
    expect(given <= set(accepted), f"ClientResponse() lacks {sorted(given - set(accepted))}")
    required = {
        name
        for name, p in accepted.items()
        if p.default is inspect.Parameter.empty and p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    expect(required <= given, f"ClientResponse() now requires {sorted(required - given)}")
    source = inspect.getsource(ClientResponse)
    for field in ("_headers", "_raw_headers", "_raw_cookie_headers", "_closed"):
        expect(f"self.{field}" in source, f"ClientResponse.{field}")
    expect(callable(ClientResponse._response_eof), "ClientResponse._response_eof")
    expect("self._traces" in inspect.getsource(ClientRequest), "ClientRequest._traces")


# -- urllib3: sandbox/testing/urllib3_routes.py ----------------------------------------------


@internal(
    "urllib3.connectionpool.HTTPConnectionPool._make_request, "
    "HTTPSConnectionPool._prepare_proxy, HTTPResponse(...), util.request.body_to_chunks",
    "urllib3",
    "sandbox/testing/urllib3_routes.py (the one request step replaced for a vendor's host)",
)
def _urllib3_pool() -> None:
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.response import HTTPResponse
    from urllib3.util.request import body_to_chunks

    from sandbox.testing.urllib3_routes import _PARAMETERS

    expect(
        parameters(HTTPConnectionPool._make_request)
        == ["self", "conn", "method", "url", *_PARAMETERS],
        "_make_request(conn, method, url, body, headers, retries, timeout, chunked, "
        "response_conn, preload_content, decode_content, enforce_content_length)",
    )
    expect(parameters(HTTPSConnectionPool._prepare_proxy) == ["self", "conn"], "_prepare_proxy")
    used = {
        "body", "headers", "status", "version", "version_string", "reason", "preload_content",
        "decode_content", "original_response", "pool", "connection", "retries",
        "enforce_content_length", "request_method", "request_url",
    }  # fmt: skip
    missing = used - set(parameters(HTTPResponse.__init__))
    expect(not missing, f"HTTPResponse() lacks {sorted(missing)}")
    chunks = body_to_chunks(iter([b"a", b"b"]), "POST", 65536).chunks
    expect(chunks is not None and b"".join(chunks) == b"ab", "body_to_chunks(...).chunks")


# -- mutmut: mutation/campaign.py ------------------------------------------------------------


@internal(
    "mutmut.mutation.file_mutation.mutate_file_contents(path, source).mutant_names",
    "mutmut",
    "mutation/campaign.py (the names of a session's mutants)",
)
def _mutmut_names() -> None:
    from mutmut.mutation.file_mutation import mutate_file_contents

    from mutation.campaign import _mangled

    source = "def f(a):\n    return a + 1\n\n\nclass C:\n    def g(self):\n        return 1\n"
    names = list(mutate_file_contents("m.py", source).mutant_names)
    for function in ("f", "C.g"):
        expect(
            any(re.fullmatch(rf"{re.escape(_mangled(function))}__mutmut_\d+", n) for n in names),
            f"a mutant of {function} named {_mangled(function)}__mutmut_<n> (got {names})",
        )


# -- Python: sandbox/testing/transport.py ----------------------------------------------------


@internal(
    "asyncio.events._set_running_loop",
    "python",
    "sandbox/testing/transport.py (AppCaller._drive: a call run to its end without a loop turn)",
)
def _asyncio_running_loop() -> None:
    loop = asyncio.new_event_loop()
    try:
        asyncio.events._set_running_loop(loop)
        try:
            expect(asyncio.get_running_loop() is loop, "_set_running_loop(loop)")
        finally:
            asyncio.events._set_running_loop(None)
    finally:
        loop.close()


# -- the tests -------------------------------------------------------------------------------


def moved(relied: Internal) -> str | None:
    """What moved, naming the library's version, the internal and the code that uses it."""
    try:
        relied.check()
    except Exception as exc:
        found = version(relied.library) if relied.library != "python" else "this Python"
        return (
            f"{relied.library} {found} moved an internal that {relied.used_by} relies on: "
            f"{relied.name} ({type(exc).__name__}: {exc}). Adapt that code, or keep the "
            f"library below this release in pyproject.toml and constraints.txt (`make lock`)."
        )
    return None


@pytest.mark.parametrize("name", sorted(INTERNALS))
def test_each_internal_the_code_relies_on_is_where_it_expects(name: str) -> None:
    message = moved(INTERNALS[name])
    if message is not None:
        pytest.fail(message, pytrace=False)


def test_a_moved_internal_is_reported_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """Broken on purpose: a release without ClientSession._request, and one whose protocol
    has an attribute of the same name as one GuardedHttpToolsProtocol keeps its clock in."""
    from aiohttp import ClientSession
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    monkeypatch.delattr(ClientSession, "_request")
    [session] = [i for i in INTERNALS.values() if "ClientSession._request" in i.name]
    message = moved(session) or ""
    assert f"aiohttp {version('aiohttp')} moved" in message
    assert "ClientSession._request" in message and "aiohttp_routes.py" in message

    monkeypatch.setattr(HttpToolsProtocol, "_since", None, raising=False)
    [names] = [i for i in INTERNALS.values() if "subclass's" in i.name]
    message = moved(names) or ""
    assert f"uvicorn {version('uvicorn')} moved" in message and "['_since']" in message


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared += extra
    return [Requirement(line) for line in declared]


def test_each_library_whose_internals_are_used_has_an_upper_bound() -> None:
    """A user installing the package gets no release its internals checks have not seen."""
    bounds = {canonicalize_name(r.name): r.specifier for r in _requirements()}
    unbounded = []
    for library in sorted({i.library for i in INTERNALS.values()} - {"python"}):
        specifier = bounds.get(canonicalize_name(library))
        if specifier is None or not any(s.operator in {"<", "<=", "==", "~="} for s in specifier):
            unbounded.append(f"{library} ({specifier or 'not declared'})")
    assert not unbounded, f"internals used, no upper bound in pyproject.toml: {unbounded}"


def _pins() -> dict[str, str]:
    pins = {}
    for written in (ROOT / "constraints.txt").read_text().splitlines():
        line = written.split("#", 1)[0].strip()
        if line:
            name, _, pinned = line.partition("==")
            assert pinned, f"constraints.txt: {written!r} is not name==version"
            pins[canonicalize_name(name)] = pinned
    return pins


def test_the_lock_pins_every_dependency_at_the_installed_version() -> None:
    """constraints.txt names every dependency (so `make lock` ran after one was added), and
    the environment the tests run in holds the versions it pins (`make install` took them)."""
    pins = _pins()
    own = canonicalize_name("comms-sandbox")
    names = {canonicalize_name(r.name) for r in _requirements()} - {own}
    unpinned = sorted(names - set(pins))
    assert not unpinned, f"not in constraints.txt (run `make lock`): {unpinned}"
    other = {name: (pins[name], version(name)) for name in names if version(name) != pins[name]}
    assert not other, f"installed versions differ from constraints.txt (`make install`): {other}"
