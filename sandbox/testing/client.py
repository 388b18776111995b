"""The sandbox and its tenants as Python objects, in-process or live (`SANDBOX_URL`).

    with in_process() as sandbox:            # or: live("http://127.0.0.1:8000")
        tenant = sandbox.create_tenant({...})
        sandbox.http.post("/capillary/v2/communications/sendMessage",
                          json={...}, headers=tenant.capillary_auth())
        tenant.assert_suppressed(to="919353491050", reason="CUSTOMER_STATUS_BLOCKED")

Every tenant gets a unique name unless given one, so tests can run in parallel on one server.
"""

from __future__ import annotations

import base64
import gc
import os
import uuid
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from sandbox.testing import assertions
from sandbox.testing.transport import AppCaller, InProcessTransport

if TYPE_CHECKING:
    from sandbox.vendor import Vendor


@dataclass
class Tenant:
    name: str
    credentials: dict[str, Any]
    http: httpx.Client

    # credentials, as each vendor's clients send them ----------------------------------------
    def capillary_auth(self) -> dict[str, str]:
        creds = self.credentials["capillary"]
        token = base64.b64encode(f"{creds['username']}:{creds['password']}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def messangi_auth(self) -> dict[str, str]:
        return {"Authorization": self.credentials["messangi"]["value"]}

    def symplify_auth(self) -> dict[str, str]:
        return {"X-Carma-Authentication-Token": self.credentials["symplify"]["value"]}

    @property
    def control(self) -> str:
        return f"/_sandbox/tenants/{self.name}"

    # the outbox ------------------------------------------------------------------------------
    def outbox(self, **filters: Any) -> list[dict[str, Any]]:
        """Messages, newest first, as `GET .../outbox` filters them (vendor, channel, to,
        status, reason, customer_id, operation, category; limit up to 1000)."""
        params = {"limit": 1000, **filters}
        items: list[dict[str, Any]] = _json(self.http.get(f"{self.control}/outbox", params=params))[
            "items"
        ]
        return items

    def message(self, message_id: str) -> dict[str, Any]:
        return _json(self.http.get(f"{self.control}/outbox/{message_id}"))

    def clear_outbox(self) -> None:
        self.http.delete(f"{self.control}/outbox").raise_for_status()

    def assert_suppressed(
        self, to: str | None = None, reason: str | None = None, **filters: Any
    ) -> list[dict[str, Any]]:
        """At least one message (to `to`, and matching `filters`) was recorded, and every one
        was suppressed (for `reason`, when given). Returns them."""
        wanted = assertions.wanted_text(
            "a suppressed message", {"to": to, "reason": reason, **filters}
        )
        check = assertions.every("SUPPRESSED", reason)
        return assertions.expect(self.outbox, wanted, {"to": to, **filters}, check)

    def assert_delivered(self, to: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        """At least one message (to `to`, and matching `filters`) was recorded, and every one
        was delivered. Returns them."""
        wanted = assertions.wanted_text("a delivered message", {"to": to, **filters})
        check = assertions.every("DELIVERED", None)
        return assertions.expect(self.outbox, wanted, {"to": to, **filters}, check)

    def assert_nothing_delivered(self, to: str | None = None, **filters: Any) -> None:
        """No message (to `to`, matching `filters`) was delivered; suppressed ones may exist."""
        wanted = assertions.wanted_text("nothing delivered", {"to": to, **filters})
        assertions.expect(self.outbox, wanted, {"to": to, **filters}, assertions.none_delivered)

    def assert_nothing_sent(self, to: str | None = None, **filters: Any) -> None:
        """No message at all (to `to`, matching `filters`) was recorded, not even a suppressed
        one: the code under test did not call a vendor API that sends."""
        wanted = assertions.wanted_text("no message", {"to": to, **filters})
        assertions.expect(self.outbox, wanted, {"to": to, **filters}, assertions.none_recorded)

    # clock, faults, settings -----------------------------------------------------------------
    def clock(self) -> dict[str, Any]:
        return _json(self.http.get(f"{self.control}/clock"))

    def set_clock(self, **body: Any) -> dict[str, Any]:
        """`set_clock(now="2026-11-23T10:00:00Z", frozen=True)`: either or both."""
        return _json(self.http.put(f"{self.control}/clock", json=body))

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return _json(self.http.post(f"{self.control}/clock/advance", json={"seconds": seconds}))

    def set_fault(self, operation_id: str, status: int, **spec: Any) -> dict[str, Any]:
        """Make the next calls of a vendor operation (its operationId) answer `status`, or drop
        the connection when it is 0; `spec`: times, latency_ms, probability, seed."""
        body = {"status": status, **spec}
        return _json(self.http.put(f"{self.control}/faults/{operation_id}", json=body))

    def clear_faults(self) -> None:
        self.http.delete(f"{self.control}/faults").raise_for_status()

    def settings(self, **changes: Any) -> dict[str, Any]:
        """The tenant's settings, after applying `changes` when any are given."""
        if changes:
            return _json(self.http.put(f"{self.control}/settings", json=changes))
        return _json(self.http.get(f"{self.control}/settings"))

    def set_rate_limits(self, **per_vendor: int | None) -> dict[str, Any]:
        """Requests per minute per vendor credential, e.g. `set_rate_limits(capillary=1000)`;
        replaces the previous limits (none given: no limit)."""
        return self.settings(rate_limits=per_vendor)

    # the tenant as a whole -------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The tenant's whole state as a document `Sandbox.create_tenant` accepts."""
        return _json(self.http.get(f"{self.control}/snapshot"))

    def reset(self) -> None:
        self.http.post(f"{self.control}/reset").raise_for_status()

    def delete(self) -> None:
        self.http.delete(self.control)


def _json(response: httpx.Response) -> dict[str, Any]:
    if response.is_error:
        raise AssertionError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text}"
        )
    result: dict[str, Any] = response.json()
    return result


@dataclass
class Sandbox:
    """A running sandbox: its control-plane client, and for an in-process one the app caller
    that vendor-host routing hands requests to (None when the sandbox is live)."""

    http: httpx.Client
    caller: AppCaller | None = None

    def create_tenant(
        self, document: dict[str, Any] | bytes | None = None, name: str | None = None
    ) -> Tenant:
        """A new tenant (or `name` replaced) from a fixture or snapshot document: a dict, or
        the text of a YAML (or JSON) document."""
        name = name or f"t-{uuid.uuid4().hex[:12]}"
        path = f"/_sandbox/tenants/{name}"
        if isinstance(document, bytes):
            yaml = {"Content-Type": "application/yaml"}
            response = self.http.put(path, content=document, headers=yaml)
        else:
            response = self.http.put(path, json=document)
        if response.status_code not in (200, 201):
            raise AssertionError(f"creating tenant {name}: {response.status_code} {response.text}")
        return Tenant(name, response.json()["credentials"], self.http)

    def tenant(self, name: str) -> Tenant:
        """An existing tenant, by name."""
        document = _json(self.http.get(f"/_sandbox/tenants/{name}"))
        return Tenant(name, document["credentials"], self.http)


@contextmanager
def in_process(vendors: Sequence[Vendor] | None = None, **settings: Any) -> Iterator[Sandbox]:
    """A sandbox app in this process (in memory unless `data_dir` is given), called directly
    in this thread: no socket, no worker thread. `vendors`: other vendors than the ones of
    sandbox/vendors (a vendor of the caller's own)."""
    from sandbox.app import VENDORS, create_app
    from sandbox.settings import Settings

    app = create_app(Settings(**settings), vendors=VENDORS if vendors is None else vendors)
    # What the app loaded lives as long as it does: out of the cyclic collector's sight, as the
    # server does it (cli.tune_gc), or every full collection of the test process walks it.
    gc.collect()
    gc.freeze()
    transport = InProcessTransport(app)
    try:
        with httpx.Client(transport=transport, base_url="http://localhost") as client:
            yield Sandbox(client, transport.caller)
    finally:
        transport.close()
        app.store.close()


class ControlToken(httpx.Auth):
    """`Authorization: Bearer <token>` on control-plane requests only: the vendor calls made
    with the same client carry their own credentials."""

    def __init__(self, token: str) -> None:
        self.header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if request.url.path.startswith("/_sandbox/") and "authorization" not in request.headers:
            request.headers["Authorization"] = self.header
        yield request


@contextmanager
def live(base_url: str | None = None, control_token: str | None = None) -> Iterator[Sandbox]:
    """A running sandbox, by default the one `SANDBOX_URL` names; `control_token` (default
    `SANDBOX_CONTROL_TOKEN`) for a server started with --control-token."""
    url = base_url or os.environ["SANDBOX_URL"]
    token = control_token or os.environ.get("SANDBOX_CONTROL_TOKEN")
    auth = ControlToken(token) if token else None
    with httpx.Client(base_url=url, timeout=30, auth=auth) as client:
        yield Sandbox(client)
