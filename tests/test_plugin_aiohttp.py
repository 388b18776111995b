"""aiohttp under the sandbox: an integrator's project whose app uses `aiohttp.ClientSession`
passes its suppression tests with no conftest.py, in-process and against a live server; and
what such an app may send (json=, data= of every kind, params, headers, auth, a closed session,
a streamed answer) is answered as aiohttp would be by the real host."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp_project import write_project
from aioresponses import aioresponses
from integrator import run_pytest
from live_server import free_port, server

from sandbox.testing import Sandbox, Tenant, live
from sandbox.testing import aiohttp_routes as routes
from sandbox.testing.aiohttp_routes import aiohttp_routes
from sandbox.testing.example import BLOCKED, EXAMPLE_FIXTURE
from sandbox.testing.network import NetworkBlocked

CAPILLARY = "https://eu.api.capillarytech.com"
SEND = f"{CAPILLARY}/v2/communications/sendMessage"
SMS = {"sms": [{"to": "919353491050", "body": "Your order shipped"}]}


def test_an_aiohttp_project_passes_in_process_without_a_conftest(tmp_path: Path) -> None:
    project = write_project(tmp_path / "project")
    done = run_pytest(sys.executable, project)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "4 passed" in done.stdout
    # the ini option blocks the other hosts of every test but the one its marker lets out
    blocked = run_pytest(
        sys.executable, project, "-o", "comms_sandbox_block_network=true", "-k", "go_out or lets"
    )
    assert blocked.returncode == 1
    assert "1 failed, 1 passed" in blocked.stdout
    assert "FAILED test_notify.py::test_other_hosts_go_out" in blocked.stdout
    assert "NetworkBlocked: comms-sandbox: GET http://127.0.0.1:1/ not sent" in blocked.stdout


def test_the_aiohttp_project_passes_against_a_live_server(tmp_path: Path) -> None:
    with server(tmp_path / "data") as (_, client):
        url = str(client.base_url).rstrip("/")
        done = run_pytest(sys.executable, write_project(tmp_path / "project"), "--sandbox-url", url)
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        assert "4 passed" in done.stdout
        assert client.get("/_sandbox/tenants").json() == {"tenants": ["demo"]}


# in this process ------------------------------------------------------------------------------
Send = Callable[[aiohttp.ClientSession], Awaitable[Any]]


def _run(send: Send, **session: Any) -> Any:
    async def run() -> Any:
        async with aiohttp.ClientSession(**session) as client:
            return await send(client)

    return asyncio.run(run())


async def _answer(response: aiohttp.ClientResponse) -> tuple[int, Any]:
    async with response:
        return response.status, await response.json()


def _basic(tenant: Tenant) -> aiohttp.BasicAuth:
    creds = tenant.credentials["capillary"]
    return aiohttp.BasicAuth(creds["username"], creds["password"])


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # aiohttp 3.14 deprecates auth=
def test_every_way_to_give_a_body_and_credentials_reaches_the_sandbox(
    sandbox: Sandbox, tenant: Tenant
) -> None:
    text = json.dumps(SMS)
    as_json = {"Content-Type": "application/json"}
    with aiohttp_routes(sandbox):
        by_auth = _ask(lambda c: c.post(SEND, json=SMS, auth=_basic(tenant)))
        by_text = _ask(
            lambda c: c.post(SEND, data=text, headers={**tenant.capillary_auth(), **as_json})
        )
        # the session's base URL and default auth; params; bytes
        by_session = _ask(
            lambda c: c.post(
                "/v2/communications/sendMessage",
                params={"channel": "sms", "format": "json"},
                data=text.encode(),
                headers=as_json,
            ),
            base_url=CAPILLARY,
            auth=_basic(tenant),
        )
    assert [by_auth[0], by_text[0], by_session[0]] == [200, 200, 200]
    assert by_session[1]["status"]["success"] is True
    messages = tenant.assert_suppressed(
        to="919353491050", reason="CUSTOMER_STATUS_BLOCKED", count=3
    )
    assert {m["customer_id"] for m in messages} == {str(BLOCKED)}


async def _answer_of(pending: Any) -> tuple[int, Any]:
    return await _answer(await pending)


def _ask(send: Send, **session: Any) -> tuple[int, Any]:
    """The status and JSON of the answer to `send`, made with a new session."""
    return _run(lambda c: _answer_of(send(c)), **session)  # type: ignore[no-any-return]


def test_without_credentials_the_sandbox_refuses_as_capillary_does(
    sandbox: Sandbox, tenant: Tenant
) -> None:
    with aiohttp_routes(sandbox):
        status, body = _ask(lambda c: c.post(SEND, json=SMS))
    assert status == 401
    assert body["errors"]  # Capillary's own envelope
    tenant.assert_nothing_sent()


def test_a_compressed_body_arrives_compressed_as_on_the_wire(
    sandbox: Sandbox, tenant: Tenant
) -> None:
    """compress= deflates the body on the wire: the sandbox (in-process as live) reads it so."""
    with aiohttp_routes(sandbox):
        status, body = _ask(
            lambda c: c.post(SEND, json=SMS, compress=True, headers=tenant.capillary_auth())
        )
    assert status == 400
    assert "request body is not valid JSON" in body["errors"][0]["message"]
    tenant.assert_nothing_sent()


def test_a_body_aiohttp_cannot_replay_is_read_once_and_forwarded(
    sandbox: Sandbox, tenant: Tenant, tmp_path: Path
) -> None:
    pulls: list[int] = []

    async def chunks() -> AsyncIterator[bytes]:
        text = json.dumps(SMS).encode()
        for start in range(0, len(text), 10):
            pulls.append(start)
            yield text[start : start + 10]

    headers = {**tenant.capillary_auth(), "Content-Type": "application/json"}
    document = tmp_path / "sms.json"
    document.write_text(json.dumps(SMS))
    with aiohttp_routes(sandbox), document.open("rb") as file:
        generated = _ask(lambda c: c.post(SEND, data=chunks(), headers=headers))
        read = _ask(lambda c: c.post(SEND, data=file, headers=headers))
        text_io = _ask(
            lambda c: c.post(SEND, data=io.BytesIO(json.dumps(SMS).encode()), headers=headers)
        )
    assert [generated[0], read[0], text_io[0]] == [200, 200, 200]
    assert pulls == list(range(0, len(json.dumps(SMS)), 10))  # each chunk pulled once
    tenant.assert_suppressed(to="919353491050", count=3)


def test_a_streamed_answer_arrives_whole(sandbox: Sandbox, tenant: Tenant) -> None:
    """An answer larger than aiohttp's read buffer (twice 64 KiB), read chunk by chunk."""
    many = {"sms": [{"to": "919988221100", "body": "x" * 300}] * 500}

    async def stream(client: aiohttp.ClientSession) -> bytes:
        async with client.post(SEND, json=many, headers=tenant.capillary_auth()) as answer:
            assert answer.status == 200
            return b"".join([chunk async for chunk in answer.content.iter_chunked(4096)])

    with aiohttp_routes(sandbox):
        body = _run(stream)
    assert len(body) > 2 * 2**16
    assert json.loads(body)["status"]["count"] == 500


def test_a_closed_session_raises_as_aiohttp_does_and_sends_nothing(
    sandbox: Sandbox, tenant: Tenant
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        raise AssertionError("a closed session must not read the body")
        yield b""  # pragma: no cover

    async def after_close() -> None:
        client = aiohttp.ClientSession(headers=tenant.capillary_auth())
        await client.close()
        await client.post(SEND, data=chunks())

    with aiohttp_routes(sandbox), pytest.raises(RuntimeError, match=r"^Session is closed$"):
        asyncio.run(after_close())
    tenant.assert_nothing_sent()


def test_an_unemulated_path_on_a_vendor_host_answers_the_sandboxs_404(
    sandbox: Sandbox, tenant: Tenant
) -> None:
    with aiohttp_routes(sandbox):
        status, body = _ask(
            lambda c: c.get(f"{CAPILLARY}/v2/no/such/thing", headers=tenant.capillary_auth())
        )
        # the legacy Carma hosts lose their server and /rest base path, as with httpx
        legacy = _ask(
            lambda c: c.get(
                "https://ibt-proxy.carmamail.com/sb2/rest/1234/lists/42/contacts/111",
                headers=tenant.symplify_auth(),
            )
        )
        # a fully qualified name (trailing dot) is the same host: never the real vendor
        dotted = _ask(lambda c: c.get(f"{CAPILLARY}./v2/no/such/thing"))
    assert status == 404
    assert "/v2/no/such/thing" in body["errors"][0]["message"]
    assert legacy == (200, legacy[1]) and legacy[1]["originalId"] == "111"
    assert dotted[0] == 404


def test_other_hosts_go_out_unless_the_network_is_blocked(
    tmp_path: Path, sandbox: Sandbox, tenant: Tenant
) -> None:
    with server(tmp_path / "data") as (_, client):  # a real server stands in for the internet
        health = f"{str(client.base_url).rstrip('/')}/_sandbox/health"
        with aiohttp_routes(sandbox):
            assert _ask(lambda c: c.get(health)) == (200, {"status": "ok"})
        with aiohttp_routes(sandbox, block_network=True):
            with pytest.raises(NetworkBlocked) as refused:
                _run(lambda c: c.get(health))
            # the vendors' hosts still answer, from the sandbox
            sent = _ask(lambda c: c.post(SEND, json=SMS, headers=tenant.capillary_auth()))
    assert str(refused.value).startswith(f"comms-sandbox: GET {health} not sent: the network")
    # one error for every library, a RuntimeError: an app's `except aiohttp.ClientError` (or
    # a retry on it) does not swallow it
    assert not isinstance(refused.value, aiohttp.ClientError)
    assert "comms_sandbox_block_network is set" in str(refused.value)
    assert sent[0] == 200
    tenant.assert_suppressed(to="919353491050", count=1)


def test_the_sessions_own_middlewares_see_the_sandboxs_answer(
    sandbox: Sandbox, tenant: Tenant
) -> None:
    seen: list[int] = []

    async def retry_once_on_503(
        request: aiohttp.ClientRequest, handler: Any
    ) -> aiohttp.ClientResponse:
        answer: aiohttp.ClientResponse = await handler(request)
        seen.append(answer.status)
        if answer.status == 503:
            answer.release()
            answer = await handler(request)
            seen.append(answer.status)
        return answer

    tenant.set_fault("sendMessage", 503, times=1)
    with aiohttp_routes(sandbox):
        status, _ = _ask(
            lambda c: c.post(SEND, json=SMS, headers=tenant.capillary_auth()),
            middlewares=(retry_once_on_503,),
        )
    assert (status, seen) == (200, [503, 200])
    tenant.assert_suppressed(to="919353491050", count=1)


def test_a_dropped_connection_raises_what_aiohttp_raises(sandbox: Sandbox, tenant: Tenant) -> None:
    tenant.set_fault("sendMessage", 0, times=1)
    with aiohttp_routes(sandbox), pytest.raises(aiohttp.ServerDisconnectedError):
        _run(lambda c: c.post(SEND, json=SMS, headers=tenant.capillary_auth()))
    tenant.assert_nothing_sent()
    # aiohttp sends an idempotent request once more after a dropped connection
    lookup = f"{CAPILLARY}/v2/customers/lookup"
    query = {"source": "INSTORE", "identifierName": "mobile", "identifierValue": "919353491050"}
    tenant.set_fault("lookupCustomerV2", 0, times=1)
    with aiohttp_routes(sandbox):
        status, body = _ask(lambda c: c.get(lookup, params=query, headers=tenant.capillary_auth()))
    assert status == 200 and body


def test_raise_for_status_sees_the_sandboxs_error(sandbox: Sandbox, tenant: Tenant) -> None:
    tenant.set_fault("sendMessage", 503, times=1)
    with aiohttp_routes(sandbox), pytest.raises(aiohttp.ClientResponseError) as refused:
        _run(
            lambda c: c.post(SEND, json=SMS, headers=tenant.capillary_auth()),
            raise_for_status=True,
        )
    assert refused.value.status == 503
    assert str(refused.value.request_info.url) == SEND
    tenant.assert_nothing_sent()


def test_a_live_sandbox_answers_the_vendor_hosts(tmp_path: Path) -> None:
    with server(tmp_path / "data") as (_, client), live(str(client.base_url)) as running:
        tenant = running.create_tenant(EXAMPLE_FIXTURE)
        auth = tenant.capillary_auth()
        health = f"{str(client.base_url).rstrip('/')}/_sandbox/health"
        elsewhere = f"http://127.0.0.1:{free_port()}/"  # loopback, but not the sandbox
        with aiohttp_routes(running, block_network=True):
            # the live sandbox's own address is never blocked; another loopback port is
            assert _ask(lambda c: c.get(health)) == (200, {"status": "ok"})
            with pytest.raises(NetworkBlocked, match=f"GET {elsewhere} not sent"):
                _run(lambda c: c.get(elsewhere))
            sent = _ask(lambda c: c.post(SEND, json=SMS, headers=auth))
            missing = _ask(lambda c: c.get(f"{CAPILLARY}/v2/no/such/thing"))
            compressed = _ask(lambda c: c.post(SEND, json=SMS, compress=True, headers=auth))
            tenant.set_fault("sendMessage", 0, times=1)
            with pytest.raises(aiohttp.ServerDisconnectedError):
                _run(lambda c: c.post(SEND, json=SMS, headers=auth))
        assert (sent[0], missing[0], compressed[0]) == (200, 404, 400)  # as in-process
        tenant.assert_suppressed(to="919353491050", reason="CUSTOMER_STATUS_BLOCKED", count=1)


def test_a_live_sandbox_that_went_away_is_named(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    refused = pytest.raises(aiohttp.ClientConnectionError, match=f"the sandbox at {url}")
    with live(url) as gone, aiohttp_routes(gone), refused:
        _run(lambda c: c.post(SEND, json=SMS))


def test_an_aiohttp_without_client_middlewares_sends_nothing(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "SUPPORTED", False)
    with (
        aiohttp_routes(sandbox),
        pytest.raises(aiohttp.ClientConnectionError, match=r"aiohttp 3\.12\.1 or later"),
    ):
        _run(lambda c: c.post(SEND, json=SMS))


def test_a_tests_own_aioresponses_decides_first_and_passes_vendors_through(
    sandbox: Sandbox, tenant: Tenant
) -> None:
    with aiohttp_routes(sandbox), aioresponses(passthrough=[CAPILLARY]):
        sent = _ask(lambda c: c.post(SEND, json=SMS, headers=tenant.capillary_auth()))
        with pytest.raises(aiohttp.ClientConnectionError, match="Connection refused"):
            _run(lambda c: c.get("https://api.example.com/orders/1"))  # aioresponses' refusal
    assert sent[0] == 200
    tenant.assert_suppressed(to="919353491050", count=1)
