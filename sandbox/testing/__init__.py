"""Helpers for tests against the sandbox, in-process or live (`SANDBOX_URL`).

    with in_process() as sandbox:            # or: live("http://127.0.0.1:8000")
        tenant = sandbox.create_tenant(fixture={...})
        sandbox.http.post("/capillary/v2/communications/sendMessage",
                          json={...}, headers=tenant.capillary_auth())
        tenant.outbox(status="SUPPRESSED")

Every tenant gets a unique name, so tests can run in parallel against one server.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Tenant:
    name: str
    credentials: dict[str, Any]
    http: httpx.Client

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

    def outbox(self, **filters: Any) -> list[dict[str, Any]]:
        response = self.http.get(f"{self.control}/outbox", params={"limit": 1000, **filters})
        response.raise_for_status()
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def set_clock(self, **body: Any) -> dict[str, Any]:
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

    def set_rate_limits(self, **per_vendor: int | None) -> dict[str, Any]:
        """Requests per minute per vendor credential, e.g. `set_rate_limits(capillary=1000)`;
        replaces the previous limits (none given: no limit)."""
        settings = {"rate_limits": per_vendor}
        return _json(self.http.put(f"{self.control}/settings", json=settings))

    def delete(self) -> None:
        self.http.delete(self.control)


def _json(response: httpx.Response) -> dict[str, Any]:
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


@dataclass
class Sandbox:
    http: httpx.Client

    def create_tenant(
        self, fixture: dict[str, Any] | None = None, name: str | None = None
    ) -> Tenant:
        name = name or f"t-{uuid.uuid4().hex[:12]}"
        response = self.http.put(f"/_sandbox/tenants/{name}", json=fixture)
        if response.status_code not in (200, 201):
            raise AssertionError(f"creating tenant {name}: {response.status_code} {response.text}")
        return Tenant(name, response.json()["credentials"], self.http)


@contextmanager
def in_process(**settings: Any) -> Iterator[Sandbox]:
    """A sandbox app in this process (in memory unless `data_dir` is given), called directly
    in this thread: no socket, no worker thread."""
    from sandbox.app import create_app
    from sandbox.settings import Settings
    from sandbox.testing.transport import InProcessTransport

    app = create_app(Settings(**settings))
    transport = InProcessTransport(app)
    try:
        with httpx.Client(transport=transport, base_url="http://testserver") as client:
            yield Sandbox(client)
    finally:
        transport.close()
        app.store.close()


@contextmanager
def live(base_url: str | None = None) -> Iterator[Sandbox]:
    """A running sandbox, by default the one `SANDBOX_URL` names."""
    url = base_url or os.environ["SANDBOX_URL"]
    with httpx.Client(base_url=url, timeout=30) as client:
        yield Sandbox(client)
