"""The request path (sandbox/request_path.py) as a whole: its steps run once each, in order."""

from __future__ import annotations

import gc
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from symplify.helpers import ACCOUNT, FIXTURE

from sandbox.request_log import Entry, RequestLogs
from sandbox.store import Store, TenantData
from sandbox.testing import Sandbox, Tenant, in_process
from sandbox.vendors import VENDORS, symplify

ADD = {"delimiter": "44", "encoding": "UTF8", "type": "ADD", "identityColumn": "originalId"}


class Counted:
    """A vendor's `authenticate`, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, headers: Mapping[str, str], store: Store) -> TenantData:
        self.calls += 1
        return symplify.VENDOR.authenticate(headers, store)


@pytest.fixture
def counted() -> Counted:
    return Counted()


@pytest.fixture
def made(counted: Counted) -> Iterator[tuple[Sandbox, Tenant]]:
    wrapped = replace(symplify.VENDOR, authenticate=counted)
    vendors = [wrapped if vendor.name == "symplify" else vendor for vendor in VENDORS]
    with in_process(vendors=vendors) as sandbox:
        yield sandbox, sandbox.create_tenant(FIXTURE)


def test_an_offloaded_secured_operation_checks_its_credentials_once(
    made: tuple[Sandbox, Tenant], counted: Counted
) -> None:
    """A CSV import (offloaded: its large body is read only from a caller whose credentials
    are good) checks them once, not once for the body's limit and again for the call."""
    sandbox, tenant = made
    auth = tenant.symplify_auth()
    declared = sandbox.http.post(f"/symplify/{ACCOUNT}/lists/42/imports", json=ADD, headers=auth)
    assert declared.status_code == 200, declared.text
    counted.calls = 0
    posted = sandbox.http.post(
        f"/symplify/{ACCOUNT}/lists/42/recipients/{declared.json()['id']}",
        content=b"originalId\nonce-1\n",
        headers={**auth, "Content-Type": "text/csv"},
    )
    assert posted.status_code == 200, posted.text
    assert counted.calls == 1


@pytest.mark.parametrize(
    ("call", "status"),
    [
        (("GET", f"/symplify/{ACCOUNT}/lists", None), 200),
        # a stranger's upload: read only up to the small limit, answered 401
        (("POST", f"/symplify/{ACCOUNT}/lists/42/recipients/1", "wrong"), 401),
    ],
)
def test_a_secured_operation_checks_its_credentials_once(
    made: tuple[Sandbox, Tenant], counted: Counted, call: tuple[str, str, str | None], status: int
) -> None:
    sandbox, tenant = made
    method, path, token = call
    auth = tenant.symplify_auth() if token is None else {"X-Carma-Authentication-Token": token}
    counted.calls = 0
    answer = sandbox.http.request(
        method, path, content=b"originalId\nx\n", headers={**auth, "Content-Type": "text/csv"}
    )
    assert answer.status_code == status, answer.text
    assert counted.calls == 1


def test_the_request_log_and_rate_window_last_as_long_as_the_tenants_state(
    made: tuple[Sandbox, Tenant],
) -> None:
    """Writing settings keeps both; a reset starts both afresh, as when they lived in the
    tenant's state; a tenant deleted and made again under its name starts a new log."""
    sandbox, tenant = made
    auth = tenant.symplify_auth()

    def logged() -> int:
        total: int = sandbox.http.get(f"{tenant.control}/requests").json()["total"]
        return total

    tenant.settings(rate_limits={"symplify": 2})
    lists = f"/symplify/{ACCOUNT}/lists"
    assert [sandbox.http.get(lists, headers=auth).status_code for _ in range(2)] == [200, 200]
    tenant.settings(outbox_retention=500)  # the same state: the window goes on
    assert sandbox.http.get(lists, headers=auth).status_code == 429
    assert logged() == 3
    tenant.reset()  # a new state: a new log, a new window (its settings are the fixture's)
    tenant.settings(rate_limits={"symplify": 2})
    assert logged() == 0
    assert sandbox.http.get(lists, headers=auth).status_code == 200
    tenant.delete()
    again = sandbox.create_tenant(FIXTURE, name=tenant.name)  # the same name, a new state
    assert sandbox.http.get(f"{again.control}/requests").json()["total"] == 0


def test_a_tenants_log_is_let_go_with_its_state() -> None:
    """The logs hold a tenant's state weakly: a state no one holds takes its log with it."""

    class State:
        pass

    logs = RequestLogs(2)
    kept, dropped = State(), State()
    entry = Entry("GET", "/x", b"", 200, "op", "fake", datetime(2020, 1, 1, tzinfo=UTC), 0.0, [])
    for _ in range(3):
        logs.append(kept, entry)
    logs.append(dropped, entry)
    assert (len(logs.of(kept)), len(logs.of(dropped))) == (2, 1)  # each bounded to its size
    del dropped
    gc.collect()
    assert list(logs._logs.values()) == [logs.of(kept)]


def test_a_request_log_entry_has_every_field_of_entry(made: tuple[Sandbox, Tenant]) -> None:
    """The request path builds its entries field by field, without Entry's own constructor
    (one Python call fewer per request): a field added to Entry and not there would be
    missing from every entry, read past its end. Each entry is whole, each field as typed."""
    sandbox, tenant = made
    lists = f"/symplify/{ACCOUNT}/lists"
    assert sandbox.http.get(lists, headers=tenant.symplify_auth()).is_success
    assert sandbox.caller is not None
    app = sandbox.caller.app
    [entry] = app.request_logs.of(app.store.tenants[tenant.name])  # type: ignore[attr-defined]
    assert len(entry) == len(Entry._fields)
    assert (entry.method, entry.path, entry.status) == ("GET", lists, 200)
    assert entry.vendor == "symplify" and entry.message_ids == [] and entry.error is None
    assert isinstance(entry.time, datetime) and isinstance(entry.seconds, float)
    assert entry.headers is not None and entry.body == b"" and entry.body_size == -1
    assert entry.logged == 0.0
