"""The pytest plugin as an integrator meets it: an outside project with no conftest.py uses
`comms_sandbox`, its marker, the assertion helpers and the Gherkin steps, in-process and against
a live server; a --sandbox-url that does not answer stops the run with one line."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import httpx
import pytest
import respx
from integrator import copy_project, passed, run_pytest
from live_server import free_port, server

from sandbox.testing import in_process
from sandbox.testing.example import EXAMPLE_FIXTURE
from sandbox.testing.respx_routes import vendor_routes

PASSED = passed()  # the integrator project's tests and scenario


def test_an_outside_project_passes_in_process(tmp_path: Path) -> None:
    done = run_pytest(sys.executable, copy_project(tmp_path / "project"), "-v")  # with header
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert PASSED in done.stdout
    assert "comms-sandbox 0.1.0: in-process" in done.stdout  # the report header


def test_the_same_project_passes_against_a_live_server(tmp_path: Path) -> None:
    with server(tmp_path / "data") as (_, client):
        url = str(client.base_url).rstrip("/")
        project = copy_project(tmp_path / "project")
        done = run_pytest(sys.executable, project, "-v", "--sandbox-url", url)
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        assert PASSED in done.stdout and f"live at {url}" in done.stdout
        # every tenant the tests made is gone; the demo tenant is untouched
        assert client.get("/_sandbox/tenants").json() == {"tenants": ["demo"]}


def test_a_sandbox_url_that_does_not_answer_stops_the_run_with_one_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    done = run_pytest(sys.executable, copy_project(tmp_path / "project"), env={"SANDBOX_URL": url})
    assert done.returncode == 4  # pytest's usage error: no test ran
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert errors == [
        f"ERROR: comms-sandbox: no sandbox answers at {url} (ConnectError: [Errno 111] "
        "Connection refused); start one with `comms-sandbox serve`, or drop "
        "--sandbox-url/SANDBOX_URL to run in-process"
    ]
    assert "Traceback" not in done.stdout + done.stderr


def test_a_bad_marker_keyword_is_named(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_marker.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.comms_sandbox(fixtures={})\n"
        "def test_typo(comms_sandbox):\n"
        "    pass\n"
    )
    done = run_pytest(sys.executable, project)
    assert done.returncode != 0
    assert "only the keywords fixture, clock, settings, faults and name are known" in done.stdout
    assert "['fixtures']" in done.stdout


def test_steps_are_left_out_when_the_ini_says_so(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    (project / "pytest.ini").write_text("[pytest]\ncomms_sandbox_steps = false\n")
    done = run_pytest(sys.executable, project, "test_notices.py")
    assert done.returncode == 1
    assert "StepDefinitionNotFoundError" in done.stdout


def test_other_respx_routers_decide_about_other_hosts() -> None:
    """Inside the sandbox's routing, a test's own respx router still mocks its own hosts, and
    the vendors' hosts still reach the sandbox."""
    with in_process() as sandbox, vendor_routes(sandbox), respx.mock() as mine:
        tenant = sandbox.create_tenant(EXAMPLE_FIXTURE)
        mine.get("https://api.example.com/orders/1").respond(200, json={"shipped": True})
        assert httpx.get("https://api.example.com/orders/1").json() == {"shipped": True}
        sent = httpx.post(
            "https://us.api.capillarytech.com/v2/communications/sendMessage",
            json={"sms": [{"to": "919988221100", "body": "shipped"}]},
            headers=tenant.capillary_auth(),
        )
        assert sent.status_code == 200
        tenant.assert_delivered(to="919988221100")
        with pytest.raises(respx.models.AllMockedAssertionError):
            httpx.get("https://api.example.com/unmocked")


def test_without_another_router_other_hosts_go_out_as_usual(tmp_path: Path) -> None:
    with server(tmp_path / "data") as (_, client), in_process() as sandbox, vendor_routes(sandbox):
        # a real server on loopback stands in for "the rest of the internet"
        answer = httpx.get(f"{str(client.base_url).rstrip('/')}/_sandbox/health")
        assert answer.json() == {"status": "ok"}


def test_legacy_carma_hosts_strip_their_server_and_rest_path() -> None:
    with in_process() as sandbox, vendor_routes(sandbox):
        tenant = sandbox.create_tenant(EXAMPLE_FIXTURE)
        answer = httpx.get(
            "https://ibt-proxy.carmamail.com/sb2/rest/1234/lists/42/contacts/111",
            headers=tenant.symplify_auth(),
        )
    assert answer.status_code == 200
    assert answer.json()["originalId"] == "111"


def test_a_sync_client_inside_a_running_loop_still_gets_its_answer() -> None:
    async def handler_that_blocks(tenant_auth: dict[str, str]) -> int:
        return httpx.get("https://elastic.messangi.me/subscribers", headers=tenant_auth).status_code

    with in_process() as sandbox, vendor_routes(sandbox):
        tenant = sandbox.create_tenant(EXAMPLE_FIXTURE)
        status = asyncio.run(handler_that_blocks(tenant.messangi_auth()))
    assert status == 400  # the documented query parameters are missing: the sandbox's answer


def test_an_injected_latency_waits_for_sync_and_async_clients_alike() -> None:
    """A call that really waits (an injected latency) goes on from where it stopped."""
    url = "https://eu.api.capillarytech.com/v2/communications/sendMessage"
    body = {"sms": [{"to": "919988221100", "body": "late"}]}
    with in_process() as sandbox, vendor_routes(sandbox):
        tenant = sandbox.create_tenant(EXAMPLE_FIXTURE)
        tenant.set_fault("sendMessage", 503, times=2, latency_ms=150)

        async def async_send() -> httpx.Response:
            async with httpx.AsyncClient() as client:
                return await client.post(url, json=body, headers=tenant.capillary_auth())

        for send in (
            lambda: httpx.post(url, json=body, headers=tenant.capillary_auth()),
            lambda: asyncio.run(async_send()),
        ):
            started = time.monotonic()
            assert send().status_code == 503
            assert time.monotonic() - started >= 0.15
        assert httpx.post(url, json=body, headers=tenant.capillary_auth()).status_code == 200
        tenant.assert_delivered(to="919988221100")
