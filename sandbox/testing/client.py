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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, Unpack

import httpx

from sandbox import CONTROL_PREFIX
from sandbox.testing import assertions
from sandbox.testing.filters import (
    KEYWORDS,
    PAGE_KEYWORDS,
    Filters,
    PageFilters,
    ReasonFilters,
    query,
)
from sandbox.testing.transport import AppCaller, InProcessTransport
from sandbox.testing.vendor_auth import VendorAuth

if TYPE_CHECKING:
    from sandbox.vendor import Vendor


PAGE = 1000  # messages per request when an assertion reads every match (the API's most)


class Watch(Protocol):
    """Told when a Sandbox makes a tenant, and before a tenant's messages go (deleted, reset,
    cleared): the suppression coverage (sandbox/testing/coverage.py) reads them then."""

    def created(self, tenant: Tenant) -> None: ...

    def leaving(self, tenant: Tenant, deleted: bool) -> None: ...


@dataclass(repr=False)
class Tenant:
    name: str
    credentials: dict[str, Any]
    http: httpx.Client
    watch: Watch | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        """Its name and which vendors' credentials it holds, never their values: a failed
        test's report shows it."""
        return f"Tenant({self.name!r}, credentials for {', '.join(self.credentials) or 'none'})"

    # credentials, as each vendor's clients send them: each an httpx `auth=`, a requests
    # `auth=` and a Mapping of headers (`headers=`, for every library) at once ---------------
    def capillary_auth(self) -> VendorAuth:
        """`Authorization: Basic ...` with the tenant's till (username and password)."""
        creds = self.credentials["capillary"]
        token = base64.b64encode(f"{creds['username']}:{creds['password']}".encode()).decode()
        return VendorAuth("capillary", "Authorization", f"Basic {token}")

    def messangi_auth(self) -> VendorAuth:
        """`Authorization: Bearer ...` with the tenant's Messangi API key."""
        return VendorAuth("messangi", "Authorization", self.credentials["messangi"]["value"])

    def symplify_auth(self) -> VendorAuth:
        """`X-Carma-Authentication-Token: ...` with the tenant's Symplify API token."""
        token = self.credentials["symplify"]["value"]
        return VendorAuth("symplify", "X-Carma-Authentication-Token", token)

    @property
    def control(self) -> str:
        return f"{CONTROL_PREFIX}/tenants/{self.name}"

    # the outbox ------------------------------------------------------------------------------
    def outbox(self, **filters: Unpack[PageFilters]) -> list[dict[str, Any]]:
        """Messages, newest first, as `GET .../outbox` filters them: vendor, channel, to,
        from_ (or **{"from": ...}: the sender), customer_id, contact (Symplify's originalId),
        status, reason, operation, category, since, until (ISO 8601 or a datetime, on the
        tenant's clock: since <= created_at < until), q (free text); limit (default and at most
        1000) and offset. An unknown keyword is a TypeError naming it, before any request."""
        params = query("outbox", filters, PAGE_KEYWORDS)
        answer = _json(self.http.get(f"{self.control}/outbox", params={"limit": 1000, **params}))
        items: list[dict[str, Any]] = answer["items"]
        return items

    def messages(self) -> Iterator[dict[str, Any]]:
        """Every message of the outbox, newest first, page after page as they are consumed:
        stop early and the later pages are not asked for."""
        return self._each({})

    def _each(self, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            page = {**params, "limit": PAGE, "offset": offset}
            answer = _json(self.http.get(f"{self.control}/outbox", params=page))
            yield from answer["items"]
            offset += len(answer["items"])
            if not answer["items"] or offset >= answer["total"]:
                return

    def _matching(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every message matching `params`, newest first, page after page."""
        return list(self._each(params))

    def _expect(
        self, call: str, check: assertions.Check, filters: dict[str, Any], count: int | None
    ) -> list[dict[str, Any]]:
        __tracebackhide__ = True  # a failure shows the test's line, not the plugin's
        params = query(call, filters, KEYWORDS)
        assertions.check_count(call, count, least=0 if check.none_wanted else 1)
        found = self._matching(params)
        problem = assertions.miscounted(found, count) or check(found)
        if problem is not None:
            wanted = check.text(params, count)
            shown = self.outbox(limit=assertions.SHOWN)
            raise AssertionError(f"expected {wanted}: {problem}\n{assertions.describe(shown)}")
        return found

    def message(self, message_id: str) -> dict[str, Any]:
        return _json(self.http.get(f"{self.control}/outbox/{message_id}"))

    def clear_outbox(self) -> None:
        if self.watch is not None:
            self.watch.leaving(self, deleted=False)
        self.http.delete(f"{self.control}/outbox").raise_for_status()

    def assert_suppressed(
        self,
        to: str | None = None,
        reason: str | None = None,
        *,
        count: int | None = None,
        **filters: Unpack[Filters],
    ) -> list[dict[str, Any]]:
        """At least one message (to `to`, and matching `filters`) was recorded - exactly
        `count` when given - and every one was suppressed (for `reason`, when given). Returns
        them. Filters as `outbox` takes them; an unknown one is a TypeError."""
        __tracebackhide__ = True
        # `reason` is checked of every match, not filtered on: a message to `to` suppressed
        # for another reason, or delivered, fails the assertion
        check = assertions.every("SUPPRESSED", reason)
        return self._expect("assert_suppressed", check, {"to": to, **filters}, count)

    def assert_delivered(
        self, to: str | None = None, *, count: int | None = None, **filters: Unpack[ReasonFilters]
    ) -> list[dict[str, Any]]:
        """At least one message (to `to`, and matching `filters`) was recorded - exactly
        `count` when given - and every one was delivered. Returns them."""
        __tracebackhide__ = True
        check = assertions.every("DELIVERED", None)
        return self._expect("assert_delivered", check, {"to": to, **filters}, count)

    def assert_nothing_delivered(
        self, to: str | None = None, *, count: int | None = None, **filters: Unpack[ReasonFilters]
    ) -> list[dict[str, Any]]:
        """No message (to `to`, matching `filters`) was delivered; suppressed ones may exist
        (exactly `count` of them, when given). Returns them."""
        __tracebackhide__ = True
        check = assertions.none_delivered
        return self._expect("assert_nothing_delivered", check, {"to": to, **filters}, count)

    def assert_nothing_sent(self, to: str | None = None, **filters: Unpack[ReasonFilters]) -> None:
        """No message at all (to `to`, matching `filters`) was recorded, not even a suppressed
        one: the code under test did not call a vendor API that sends."""
        __tracebackhide__ = True
        if "count" in filters:
            raise TypeError("assert_nothing_sent() takes no count: it expects no message at all")
        self._expect("assert_nothing_sent", assertions.none_recorded, {"to": to, **filters}, None)

    # clock, faults, settings -----------------------------------------------------------------
    def clock(self) -> dict[str, Any]:
        return _json(self.http.get(f"{self.control}/clock"))

    def set_clock(self, **body: Any) -> dict[str, Any]:
        """`set_clock(now="2026-11-23T10:00:00Z", frozen=True)`: either or both."""
        return _json(self.http.put(f"{self.control}/clock", json=body))

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return _json(self.http.post(f"{self.control}/clock/advance", json={"seconds": seconds}))

    def set_fault(self, operation_id: str, status: int, **fault: Any) -> dict[str, Any]:
        """Make the next calls of a vendor operation (its operationId) answer `status`, or drop
        the connection when it is 0; `fault`: times, latency_ms, probability, seed."""
        body = {"status": status, **fault}
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
        if self.watch is not None:
            self.watch.leaving(self, deleted=False)
        self.http.post(f"{self.control}/reset").raise_for_status()

    def delete(self) -> None:
        if self.watch is not None:
            self.watch.leaving(self, deleted=True)
        self.http.delete(self.control)


def _json(response: httpx.Response) -> dict[str, Any]:
    __tracebackhide__ = True
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
    watch: Watch | None = None  # told of the tenants made and leaving (coverage.py)

    def create_tenant(
        self, document: dict[str, Any] | bytes | None = None, name: str | None = None
    ) -> Tenant:
        """A new tenant (or `name` replaced) from a fixture or snapshot document: a dict, or
        the text of a YAML (or JSON) document."""
        name = name or f"t-{uuid.uuid4().hex[:12]}"
        path = f"{CONTROL_PREFIX}/tenants/{name}"
        if isinstance(document, bytes):
            yaml = {"Content-Type": "application/yaml"}
            response = self.http.put(path, content=document, headers=yaml)
        else:
            response = self.http.put(path, json=document)
        if response.status_code not in (200, 201):
            raise AssertionError(f"creating tenant {name}: {response.status_code} {response.text}")
        tenant = Tenant(name, response.json()["credentials"], self.http, self.watch)
        if self.watch is not None:
            self.watch.created(tenant)
        return tenant

    def tenant(self, name: str) -> Tenant:
        """An existing tenant, by name."""
        document = _json(self.http.get(f"{CONTROL_PREFIX}/tenants/{name}"))
        return Tenant(name, document["credentials"], self.http, self.watch)


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
        app.request_logs.close()
        app.store.close()


class ControlToken(httpx.Auth):
    """`Authorization: Bearer <token>` on control-plane requests only: the vendor calls made
    with the same client carry their own credentials."""

    def __init__(self, token: str) -> None:
        self.header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if (
            request.url.path.startswith(f"{CONTROL_PREFIX}/")
            and "authorization" not in request.headers
        ):
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
