"""Who may use the control plane (docs/contract.md section 11): a page the developer visits must
not reach it (DNS rebinding, cross-origin POSTs), a token can be required, and an exposed bind
is warned about. The vendor APIs answer to their own credentials either way."""

from __future__ import annotations

import http.client
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_server import server

from sandbox.testing import Sandbox, in_process
from sandbox.testing.example import EXAMPLE_FIXTURE

SMS = "/capillary/v2/communications/sendMessage?channel=sms"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with in_process(allowed_hosts=("sandbox.internal",)) as running:
        yield running


@pytest.mark.parametrize(
    "host",
    ["localhost", "localhost:8000", "127.0.0.1:9", "[::1]:8000", "LOCALHOST", "sandbox.internal"],
)
def test_loopback_names_and_allowed_hosts_reach_the_control_plane(
    sandbox: Sandbox, host: str
) -> None:
    assert sandbox.http.get("/_sandbox/tenants", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", ""]
)
def test_any_other_host_is_refused_as_a_rebinding_page_would_be(
    sandbox: Sandbox, host: str
) -> None:
    tenant = sandbox.create_tenant(EXAMPLE_FIXTURE)
    for method, path in (("GET", f"{tenant.control}"), ("POST", f"{tenant.control}/reset")):
        answer = sandbox.http.request(method, path, headers={"Host": host})
        assert answer.status_code == 403
        assert answer.json()["error"]["field"] == "Host"
    # health answers any host; the vendor APIs answer to their credentials
    assert sandbox.http.get("/_sandbox/health", headers={"Host": host}).status_code == 200
    sent = sandbox.http.post(
        SMS,
        json={"sms": [{"to": "919988221100", "body": "x"}]},
        headers={**tenant.capillary_auth(), "Host": host},
    )
    assert sent.status_code == 200


def test_a_cross_origin_post_changes_nothing(sandbox: Sandbox) -> None:
    """What `fetch(url, {mode: "no-cors", method: "POST"})` from another site sends."""
    tenant = sandbox.create_tenant(EXAMPLE_FIXTURE)
    tenant.set_clock(now="2026-11-23T10:00:00Z", frozen=True)
    for origin in ("http://evil.example", "null", "http://localhost:9999"):
        for method, path in (
            ("POST", f"{tenant.control}/reset"),
            ("DELETE", f"{tenant.control}"),
            ("PUT", f"{tenant.control}/clock"),
        ):
            answer = sandbox.http.request(
                method,
                path,
                headers={"Origin": origin, "Content-Type": "text/plain"},
                content=b"{}",
            )
            assert answer.status_code == 403, (origin, method)
            assert answer.json()["error"]["field"] == "Origin"
    assert tenant.clock() == {"now": "2026-11-23T10:00:00.000Z", "frozen": True}
    same = sandbox.http.post(f"{tenant.control}/reset", headers={"Origin": "http://localhost"})
    assert same.status_code == 200  # the sandbox's own pages may
    assert (
        sandbox.http.get(
            f"{tenant.control}/outbox", headers={"Origin": "http://evil.example"}
        ).status_code
        == 200
    )


def test_a_control_token_is_required_when_set() -> None:
    with in_process(control_token="s3cret") as sandbox:
        assert sandbox.http.get("/_sandbox/tenants").status_code == 401
        wrong = sandbox.http.get("/_sandbox/tenants", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401 and wrong.json()["error"]["field"] == "Authorization"
        token = {"Authorization": "Bearer s3cret"}
        assert sandbox.http.get("/_sandbox/tenants", headers=token).json() == {"tenants": ["demo"]}
        assert sandbox.http.get("/_sandbox/health").status_code == 200  # liveness probes
        sent = sandbox.http.post(
            SMS,
            json={"sms": [{"to": "919988221100", "body": "x"}]},
            auth=("demo_till", "demo-password"),
        )
        assert sent.status_code == 200


def test_an_exposed_bind_without_a_token_is_warned_about(tmp_path: Path) -> None:
    with server(tmp_path / "a", args=("--host", "0.0.0.0")) as (process, _):
        log = process.log.read_text()  # type: ignore[attr-defined]
        assert "listening on 0.0.0.0 without a control token: anyone who can reach port" in log
    with server(
        tmp_path / "b", args=("--host", "0.0.0.0"), env={**os.environ, "SANDBOX_CONTROL_TOKEN": "t"}
    ) as (
        process,
        client,
    ):
        assert "without a control token" not in process.log.read_text()  # type: ignore[attr-defined]
        assert client.get("/_sandbox/tenants").status_code == 401
        assert (
            client.get("/_sandbox/tenants", headers={"Authorization": "Bearer t"}).status_code
            == 200
        )


def test_a_login_key_dies_with_its_tenant(sandbox: Sandbox) -> None:
    """A Messangi login key names its tenant's incarnation: deleting the tenant and creating
    another of the same name does not revive the key."""
    first = sandbox.create_tenant(EXAMPLE_FIXTURE, name="reborn")
    creds = first.credentials["messangi"]
    login = sandbox.http.post(
        "/messangi/kingslanding/login",
        json={"username": creds["username"], "password": creds["password"]},
    )
    key = {"Authorization": login.headers["authorization"]}
    body = {"from": "528811", "to": "525511111111", "text": "hi", "type": "MT"}
    assert (
        sandbox.http.post("/messangi/raven/v2/messages", json=body, headers=key).status_code == 200
    )
    first.delete()
    sandbox.create_tenant(EXAMPLE_FIXTURE, name="reborn")
    assert (
        sandbox.http.post("/messangi/raven/v2/messages", json=body, headers=key).status_code == 401
    )
    assert isinstance(httpx, object)


def test_the_testing_client_sends_the_token_to_the_control_plane_only(tmp_path: Path) -> None:
    from sandbox.testing import live

    with server(tmp_path, env={**os.environ, "SANDBOX_CONTROL_TOKEN": "t0k"}) as (_, client):
        url = str(client.base_url).rstrip("/")
        with live(url, control_token="t0k") as sandbox:
            tenant = sandbox.create_tenant(EXAMPLE_FIXTURE)
            sent = sandbox.http.post(
                "/messangi/raven/v2/messages",
                json={"from": "528811", "to": "525511111111", "text": "hi", "type": "MT"},
                headers=tenant.messangi_auth(),
            )
            assert sent.status_code == 200
            tenant.assert_delivered(to="+525511111111")


# every spelling of a path a client may send as it is (curl --path-as-is), as the server gets
# it: doubled, encoded and dot segments, trailing junk, near misses of the open paths
SPELLINGS = [
    "//_sandbox/ui/static/x",
    "///_sandbox/ui/static/x",
    "/%2F_sandbox/ui/static/x",
    "//_sandbox/ui/login",
    "//_sandbox/ui/",
    "//_sandbox/ui/tenants/nobody",
    "/_sandbox//ui/static/x",
    "/_sandbox/ui//static/x",
    "/_sandbox/ui/static//x",
    "/_sandbox/ui/static/./x",
    "/_sandbox/./ui/static/x",
    "/./_sandbox/ui/static/x",
    "/_sandbox/ui/static/x/../../tenants/nobody",
    "/_sandbox/ui/static/%2e%2e/%2e%2e/",
    "/_sandbox/ui/static/..%2F..%2F",
    "/_sandbox%2Fui%2Fstatic%2Fx",
    "/_sandbox/ui/static%2Fx",
    "/_sandbox/ui/static/x%00",
    "/_sandbox/ui/static/x;a=b",
    "/_sandbox/ui/static/app.js/",
    "/_sandbox/ui/static/app.js/..",
    "/_sandbox/ui/static/",
    "/_sandbox/ui/static",
    "/_sandbox/ui/loginx",
    "/_sandbox/ui/login/",
    "/_sandbox/ui/login/..",
    "/_sandbox/ui/login?next=//evil.example/",
    "/_sandbox/ui/nothing",
    "/_sandbox/ui/tenants/nobody/events",
    "/_sandbox/tenants/nobody/events",
    "/_sandbox/health",
    "//_sandbox/health",
    "/_sandbox/health/",
    "/_sandbox/tenants",
    "/_sandbox/nothing",
    "/nothing",
]


def test_nothing_reachable_without_the_token_names_a_tenant(tmp_path: Path) -> None:
    """With --control-token, no answer to a request without it (a page, an asset, an error, a
    health check) holds a tenant's name: not the switcher of a not-found page, not the list
    of quarantined tenants."""
    with in_process(data_dir=tmp_path) as sandbox:
        sandbox.create_tenant(EXAMPLE_FIXTURE, name="acme-secret-live")
        sandbox.create_tenant(EXAMPLE_FIXTURE, name="acme-secret-broken")
    (tmp_path / "tenants" / "acme-secret-broken" / "snapshot.1.json").write_bytes(b"")
    token = {"Authorization": "Bearer t0k"}
    with server(tmp_path, args=("--control-token", "t0k")) as (_, client):
        names = client.get("/_sandbox/tenants", headers=token).json()["tenants"]
        assert {"acme-secret-live", "acme-secret-broken", "demo"} <= set(names)
        port = client.base_url.port
        assert port is not None
        for path in SPELLINGS:
            for method in ("GET", "HEAD", "POST"):
                status, text = raw_request(port, method, path)
                assert "acme-secret" not in text and "demo" not in text, (method, path, text)
                assert status in {200, 307, 401, 404, 405}, (method, path, status)
        # the token's holder still sees them: the quarantined one in health
        health = client.get("/_sandbox/health", headers=token).json()
        assert [d["tenant"] for d in health["degraded"]] == ["acme-secret-broken"]
        assert client.get("/_sandbox/health").json() == {"status": "ok"}
        # and the pages under a doubled slash are the pages, with the token
        status, text = raw_request(port, "GET", "//_sandbox/ui/", token)
        assert status == 200 and "acme-secret-live" in text


def raw_request(
    port: int, method: str, path: str, headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """(status, head and body as text) of `path` sent exactly as written."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", "0")
        connection.endheaders()
        answer = connection.getresponse()
        head = "".join(f"{name}: {value}\n" for name, value in answer.getheaders())
        return answer.status, head + answer.read().decode("utf-8", "replace")
    finally:
        connection.close()


def test_a_request_marked_as_a_webhook_delivery_is_refused(sandbox: Sandbox) -> None:
    tenant = sandbox.create_tenant(EXAMPLE_FIXTURE)
    tenant.set_clock(now="2020-01-15T09:00:00Z", frozen=True)
    mark = {"X-Comms-Sandbox-Webhook": "1"}
    for method, path in (("POST", f"{tenant.control}/reset"), ("GET", "/_sandbox/tenants")):
        answer = sandbox.http.request(method, path, headers=mark)
        assert answer.status_code == 403
        assert answer.json()["error"]["field"] == "x-comms-sandbox-webhook"
    assert sandbox.http.post("/_sandbox/ui/login", headers=mark).status_code == 403
    assert tenant.clock()["frozen"] is True  # not reset
