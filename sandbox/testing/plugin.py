"""The pytest plugin (entry point `pytest11: comms_sandbox`): a sandbox for every test.

    def test_blocked_customer_gets_nothing(comms_sandbox):
        tenant = comms_sandbox.create_tenant({"capillary": {...}})
        my_app.send_shipping_sms(base_url="https://eu.api.capillarytech.com",
                                 auth=tenant.capillary_auth())
        tenant.assert_suppressed(to="919353491050", reason="CUSTOMER_STATUS_BLOCKED")

    @pytest.mark.comms_sandbox(fixture="fixtures/shop.yaml", clock="2026-11-23T10:00:00Z")
    def test_with_a_declared_tenant(comms_sandbox):
        comms_sandbox.tenant.assert_nothing_sent()

The sandbox runs in this process (one app per test session) unless `--sandbox-url URL` or
`SANDBOX_URL` names a running one. While a test that uses `comms_sandbox` runs, requests to the
vendors' real hosts reach the sandbox, from httpx (sync and async clients), requests, urllib3
and aiohttp (sandbox.testing.interceptors); other hosts go out, unless
`comms_sandbox_block_network` (ini or marker, sandbox.testing.network) blocks them. The tenants
it created are deleted afterwards. With pytest-bdd installed the reusable Gherkin steps
(sandbox.testing.steps) are registered too; `comms_sandbox_steps = false` in the ini file leaves
them out. Importing this module costs nothing: the sandbox loads on first use.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sandbox import CONTROL_PREFIX
from sandbox.testing import coverage
from sandbox.testing.network import add_option, blocks_network, describe_marker

if TYPE_CHECKING:
    import respx

    from sandbox.testing.client import Sandbox, Tenant

MARKER = "comms_sandbox"
STEPS = "sandbox.testing.steps"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("comms-sandbox")
    group.addoption(
        "--sandbox-url",
        default=None,
        metavar="URL",
        help="run comms_sandbox tests against the sandbox at URL (default: $SANDBOX_URL, "
        "else an in-process sandbox)",
    )
    parser.addini(
        "comms_sandbox_steps",
        type="bool",
        default=True,
        help="register comms-sandbox's pytest-bdd steps when pytest-bdd is installed",
    )
    coverage.add_options(group)
    add_option(parser)  # comms_sandbox_block_network


def sandbox_url(config: pytest.Config) -> str | None:
    """The running sandbox to use, or None for an in-process one."""
    url: str | None = config.getoption("sandbox_url") or os.environ.get("SANDBOX_URL") or None
    return url.rstrip("/") if url else None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(fixture=None, clock=None, settings=None, faults=None, name=None): the "
        "tenant `comms_sandbox.tenant` is made from: a fixture or snapshot document (a dict, "
        "or a YAML/JSON file relative to the test file), a clock (ISO time to freeze at, or a "
        "PUT .../clock body), settings, faults ({operationId: fault}) and a name",
    )
    describe_marker(config)  # comms_sandbox_block_network
    url = sandbox_url(config)
    if url is not None:
        _check_answers(url)
    coverage.register(config)
    if (
        config.getini("comms_sandbox_steps")
        and importlib.util.find_spec("pytest_bdd") is not None
        and not config.pluginmanager.has_plugin(STEPS)
    ):
        config.pluginmanager.import_plugin(STEPS)


def _check_answers(url: str) -> None:
    """Stop the run at start, with one line, when the named sandbox does not answer."""
    import httpx

    try:
        answer = httpx.get(f"{url}{CONTROL_PREFIX}/health", timeout=5)
    except httpx.HTTPError as exc:
        raise pytest.UsageError(
            f"comms-sandbox: no sandbox answers at {url} ({type(exc).__name__}: {exc}); "
            "start one with `comms-sandbox serve`, or drop --sandbox-url/SANDBOX_URL to run "
            "in-process"
        ) from None
    if answer.status_code != 200:
        raise pytest.UsageError(
            f"comms-sandbox: {url}{CONTROL_PREFIX}/health answered {answer.status_code}, not 200: "
            "is this a comms-sandbox server?"
        )


def pytest_report_header(config: pytest.Config) -> str:
    from sandbox import __version__

    url = sandbox_url(config)
    return f"comms-sandbox {__version__}: " + (f"live at {url}" if url else "in-process")


@pytest.fixture(scope="session")
def comms_sandbox_server(pytestconfig: pytest.Config) -> Iterator[Sandbox]:
    """The sandbox of this test session: in-process, or the running one --sandbox-url names."""
    from sandbox.testing.client import in_process, live

    url = sandbox_url(pytestconfig)
    if url is not None:
        with live(url) as running, coverage.watching(pytestconfig, running):
            yield running
    else:
        with in_process() as running, coverage.watching(pytestconfig, running):
            yield running


class SandboxUnderTest:
    """What a test sees as `comms_sandbox`: tenants it creates (deleted after the test), the
    marker's tenant, and the respx router that sends the vendors' hosts to the sandbox (add
    your own routes for other hosts to it, or use respx as usual)."""

    def __init__(self, sandbox: Sandbox, router: respx.MockRouter, base: Path) -> None:
        self.sandbox = sandbox
        self.router = router
        self.http = sandbox.http
        self._base = base
        self._created: list[Tenant] = []
        self._tenant: Tenant | None = None

    def create_tenant(
        self, document: dict[str, Any] | str | Path | bytes | None = None, name: str | None = None
    ) -> Tenant:
        """A tenant from a fixture or snapshot document: a dict, or a path to a YAML or JSON
        file (relative to the test file's directory)."""
        if isinstance(document, str | Path):
            path = Path(document)
            document = (path if path.is_absolute() else self._base / path).read_bytes()
        tenant = self.sandbox.create_tenant(document, name)
        self._created.append(tenant)
        return tenant

    @property
    def tenant(self) -> Tenant:
        """The test's tenant: the one its `comms_sandbox` marker declares, or else an empty
        one made on first use."""
        if self._tenant is None:
            self._tenant = self.create_tenant()
        return self._tenant

    def set_up(self, marker: pytest.Mark) -> None:
        """Create the tenant a `@pytest.mark.comms_sandbox(...)` declares."""
        unknown = set(marker.kwargs) - {"fixture", "clock", "settings", "faults", "name"}
        if marker.args or unknown:
            raise pytest.UsageError(
                f"{MARKER} marker: only the keywords fixture, clock, settings, faults and "
                f"name are known (got {sorted(unknown) or list(marker.args)})"
            )
        tenant = self.create_tenant(marker.kwargs.get("fixture"), marker.kwargs.get("name"))
        clock = marker.kwargs.get("clock")
        if clock is not None:
            tenant.set_clock(
                **(clock if isinstance(clock, dict) else {"now": clock, "frozen": True})
            )
        if marker.kwargs.get("settings"):
            tenant.settings(**marker.kwargs["settings"])
        for operation_id, fault in (marker.kwargs.get("faults") or {}).items():
            tenant.set_fault(operation_id, **fault)
        self._tenant = tenant

    def close(self) -> None:
        for tenant in self._created:
            tenant.delete()
        self._created.clear()


@pytest.fixture
def comms_sandbox(
    comms_sandbox_server: Sandbox, request: pytest.FixtureRequest
) -> Iterator[SandboxUnderTest]:
    """The sandbox, with the vendors' real hosts routed into it for this test."""
    from sandbox.testing.interceptors import intercepting

    with intercepting(comms_sandbox_server, block_network=blocks_network(request)) as routes:
        under_test = SandboxUnderTest(comms_sandbox_server, routes["httpx"], request.path.parent)
        try:
            marker = request.node.get_closest_marker(MARKER)
            if marker is not None:
                under_test.set_up(marker)
            yield under_test
        finally:
            under_test.close()
